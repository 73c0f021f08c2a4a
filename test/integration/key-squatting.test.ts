/**
 * Public keys are public: a stranger who registers someone's public key before them gains nothing.
 * Against a real core with real ssh and git: the owner can still add the key; their pushes go through
 * and are theirs (build, release summary); the stranger, who never holds the private key, cannot push
 * to the owner's app with their own key; a key held by an admin and by an app's owner is the owner's
 * in that app. And the same user still cannot add one key twice.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { removeAppImages } from '../support/run-stage';

const hasDocker = await dockerAvailable();
const APP = 'squatted';

describe.skipIf(!hasDocker)('a public key registered by a stranger first', () => {
  let t: TestCore;
  let admin: Api;
  let olivia: Api;
  let mallory: Api;
  let oliviaKey: Pusher;
  let malloryKey: Pusher;
  let work: string;

  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
    olivia = await new Api(t.url).register('olivia', 'secret-pw', admin);
    mallory = await new Api(t.url).register('mallory', 'secret-pw', admin);
    expect((await olivia.post('/v2/apps/', { id: APP })).status).toBe(201);
    oliviaKey = new Pusher(t.core.builderPort, 'olivia');
    malloryKey = new Pusher(t.core.builderPort, 'mallory');
    work = repoFromFixture('dockerfile-app').dir;
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    oliviaKey?.remove();
    malloryKey?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await removeAppImages([APP]);
  });

  it("does not stop its owner from adding it, and the owner's pushes stay the owner's", async () => {
    // Mallory copies Olivia's public key (from a forge, a shared machine, anywhere) and registers it.
    const copied = fs.readFileSync(`${oliviaKey.keyFile}.pub`, 'utf8').trim();
    expect((await mallory.post('/v2/keys/', { id: 'not-mine', public: copied })).status).toBe(201);
    await oliviaKey.addKeyTo(olivia, 'laptop');
    // The same user adding the same key again is still refused.
    const twice = await olivia.post('/v2/keys/', { id: 'again', public: copied });
    expect([twice.status, twice.body]).toEqual([400, { public: ['Public Key is already in use'] }]);

    const r = await oliviaKey.push(work, APP);
    expect(r.code, r.output).toBe(0);
    const builds = (await olivia.get(`/v2/apps/${APP}/builds/`)).body as { results: { owner: string }[] };
    expect(builds.results[0]!.owner).toBe('olivia');
    const releases = (await olivia.get(`/v2/apps/${APP}/releases/`)).body as {
      results: { summary: string }[];
    };
    expect(releases.results[0]!.summary).toMatch(/^olivia deployed [0-9a-f]{7}$/);
  }, 300_000);

  it('gives the stranger nothing: their own key may not push to the app', async () => {
    await malloryKey.addKeyTo(mallory, 'own');
    const before = (await olivia.get(`/v2/apps/${APP}/releases/`)).body as { count: number };
    const r = await malloryKey.push(work, APP);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`You do not have permission to push to ${APP}.`);
    expect(((await olivia.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count).toBe(
      before.count,
    );
  });

  it("is the app owner's key in the owner's app even when an administrator registered it first", async () => {
    const shared = new Pusher(t.core.builderPort, 'shared');
    try {
      await shared.addKeyTo(admin, 'admin-first');
      await shared.addKeyTo(olivia, 'olivia-second');
      fs.appendFileSync(`${work}/server.js`, '\n// pushed with a key two users hold\n');
      git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'shared key');
      const r = await shared.push(work, APP);
      expect(r.code, r.output).toBe(0);
      const builds = (await olivia.get(`/v2/apps/${APP}/builds/`)).body as {
        results: { owner: string; sha: string }[];
      };
      expect(builds.results[0]).toMatchObject({ owner: 'olivia', sha: git(work, 'rev-parse', 'HEAD') });
    } finally {
      shared.remove();
    }
  }, 300_000);
});
