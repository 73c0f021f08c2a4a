/**
 * A non-administrator's `git push` of a Dockerfile that ADDs the core's own API (on 127.0.0.1) or
 * builds FROM another user's app image, end to end with a real core, OpenSSH, git and Docker: the
 * push is rejected with the reason, the API is never asked, no release is cut, and the core stays
 * responsive throughout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('dockerfile push tests skipped: no Docker engine answers (start dockerd).');

let t: TestCore;
let admin: Api;
let user: Api;
let adminPusher: Pusher;
let userPusher: Pusher;
const suffix = process.pid;
const apps = { victim: `dfp-victim-${suffix}`, attacker: `dfp-attacker-${suffix}` };

function workTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-dfp-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  const { dir: work } = repoFromFolder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return work;
}

async function versions(api: Api, app: string): Promise<number[]> {
  return (
    (await api.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number }[] }
  ).results.map((r) => r.version);
}

describe.skipIf(!hasDocker)('pushing a Dockerfile that crosses a boundary', () => {
  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    const base = new Api(t.url);
    admin = await base.register('admin');
    user = await base.register('mallory', 'secret-pw', admin);
    adminPusher = new Pusher(t.core.builderPort, 'admin');
    await adminPusher.addKeyTo(admin);
    userPusher = new Pusher(t.core.builderPort, 'mallory');
    await userPusher.addKeyTo(user);
    expect((await admin.post('/v2/apps/', { id: apps.victim })).status).toBe(201);
    expect((await user.post('/v2/apps/', { id: apps.attacker })).status).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    adminPusher?.remove();
    userPusher?.remove();
    const docker = dockerEngine();
    for (const image of await docker.listImages())
      for (const tag of image.RepoTags ?? [])
        if (Object.values(apps).some((a) => tag.startsWith(`deis-desktop/${a}:`)))
          await docker
            .getImage(tag)
            .remove({ force: true })
            .catch(() => {});
  });

  it("refuses ADD of the core's API and leaves everything as it was, the core answering all along", async () => {
    const work = workTree({
      Dockerfile: `FROM ${DEFAULT_STACK_IMAGE}\nADD ${t.url}/v2/apps/ /apps.json\n`,
    });
    const before = await versions(user, apps.attacker);
    const [r, probes] = await whileProbing(t.url, () => userPusher.push(work, apps.attacker));
    expect(r.code).not.toBe(0);
    expect(r.remote.join('\n')).toMatch(
      /ADD http:\/\/127\.0\.0\.1:\d+\/v2\/apps\/ was refused: 127\.0\.0\.1:\d+ is this machine itself .*loopback/,
    );
    expect(r.output).not.toContain(apps.victim);
    expect(await versions(user, apps.attacker)).toEqual(before);
    expect(probes.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
  }, 300_000);

  it("refuses FROM of another user's app image, which the owner's own push built", async () => {
    const victimWork = workTree({
      'secret.txt': 'victim source\n',
      Dockerfile: `FROM ${DEFAULT_STACK_IMAGE}\nCOPY secret.txt /\n`,
    });
    const built = await adminPusher.push(victimWork, apps.victim);
    expect(built.code, built.output).toBe(0);
    const builds = (await admin.get(`/v2/apps/${apps.victim}/builds/`)).body as {
      results: { image: string }[];
    };
    const image = builds.results[0]!.image;
    const work = workTree({ Dockerfile: `FROM ${image}\nRUN cat /secret.txt\n` });
    const before = await versions(user, apps.attacker);
    const r = await userPusher.push(work, apps.attacker);
    expect(r.code).not.toBe(0);
    expect(r.remote.join('\n')).toContain(`FROM ${image}: that image was built for another app`);
    expect(r.output).not.toContain('victim source');
    expect(await versions(user, apps.attacker)).toEqual(before);
  }, 300_000);
});
