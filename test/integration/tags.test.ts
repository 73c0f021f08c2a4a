/**
 * `deis tags:set` is checked against the nodes of the target, as Deis checked it against the
 * Kubernetes nodes: on Docker the engine is the one node, its labels those of `docker info` plus the
 * well-known hostname/os/arch ones. A tag no node has is refused and nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from '../support/cli';
import { dockerAvailable } from '../support/images';
import { docker, instanceName, removeInstance, startDockerCore } from '../support/run-stage';
import type { TestCore } from '../support/core';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('tags tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('tags');
const APP = 'tag-app';

describe.skipIf(!hasDocker)('tags on the Docker target', () => {
  let t: TestCore;
  let user: CliUser;
  let os = '';

  beforeAll(async () => {
    t = await startDockerCore(instance);
    user = new CliUser();
    const reg = await user.run([
      'register',
      t.url,
      '--username=owner',
      '--password=pw',
      '--email=o@example.com',
    ]);
    if (reg.code !== 0) throw new Error(reg.stderr);
    const created = await user.run(['create', APP, '--no-remote']);
    if (created.code !== 0) throw new Error(created.stderr);
    os = ((await docker.info()) as { OSType: string }).OSType;
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    user?.remove();
    await removeInstance(instance);
  });

  it('refuses a tag no node has, with Deis words, and cuts no release', async () => {
    const before = await user.run(['releases', '-a', APP]);
    const r = await user.run(['tags:set', 'environ=nonexistent', '-a', APP]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: No nodes matched the provided labels\n');
    expect((await user.run(['releases', '-a', APP])).stdout).toBe(before.stdout);
  });

  it("accepts the engine's own labels, and then names the tag that breaks them", async () => {
    const ok = await user.run(['tags:set', `kubernetes.io/os=${os}`, '-a', APP]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^kubernetes.io\\/os +${os}$`, 'm'));
    const token = JSON.parse(
      (await import('node:fs')).readFileSync(`${user.home}/.deis/client.json`, 'utf8'),
    ) as { token: string };
    const res = await fetch(`${t.url}/v2/apps/${APP}/config/`, {
      method: 'POST',
      headers: { Authorization: `token ${token.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tags: { disk: 'none' } }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      detail: `No nodes matched the provided labels: kubernetes.io/os=${os}, disk=none - Addition of disk=none is the cause`,
    });
    const list = await user.run(['tags:list', '-a', APP]);
    expect(list.stdout).not.toContain('disk');
  });
});
