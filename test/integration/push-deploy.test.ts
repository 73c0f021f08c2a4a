/**
 * The whole flow on the real Docker target: `git push` over SSH builds, releases and runs the app,
 * which answers at its URL through the router; a config change shows; a push whose release cannot
 * start is rejected with the reason and the app keeps serving the release before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import {
  instanceName,
  removeAppImages,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('push-deploy tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('push');
const APP = 'pushed';

describe.skipIf(!hasDocker)('git push to running app on Docker', () => {
  let t: TestCore;
  let owner: Api;
  let pusher: Pusher;
  let work: string;
  const routerPort = () => t.core.target.routerPort;

  beforeAll(async () => {
    await ensureStackImage();
    t = await startDockerCore(instance);
    owner = await new Api(t.url).register('owner');
    pusher = new Pusher(t.core.builderPort, 'owner');
    await pusher.addKeyTo(owner);
    await owner.post('/v2/apps/', { id: APP });
    await owner.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    work = repoFromFixture('python-app').dir;
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    await removeInstance(instance);
    await removeAppImages([APP]);
  });

  it('builds (bundled Python buildpack), releases and runs a pushed app that answers at <app>.localhost', async () => {
    const r = await pusher.push(work, APP);
    expect(r.code, r.output).toBe(0);
    expect(r.remote).toContain('-----> Python app detected');
    expect(r.remote).toContain(`Done, ${APP}:v3 deployed to Deis Desktop`);
    // The deploy's progress, between launching and done: the new process, up.
    const launched = r.remote.indexOf('Launching App...');
    expect(r.remote.slice(launched)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^  web: ${APP}-web-[a-z0-9]{10}-[a-z0-9]{5} up$`)),
      ]),
    );
    const reply = await viaRouter(routerPort(), `${APP}.localhost`);
    expect(reply).toEqual({ status: 200, body: 'Hello from a Python app, release v3\n' });
    const pods = (await owner.get(`/v2/apps/${APP}/pods/`)).body as {
      results: { type: string; state: string }[];
    };
    expect(pods.results).toEqual([expect.objectContaining({ type: 'web', state: 'up' })]);
  }, 300_000);

  it('shows a config change in the running app', async () => {
    const r = await owner.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Howdy' } });
    expect(r.status, r.text).toBe(201);
    expect(await viaRouter(routerPort(), `${APP}.localhost`)).toEqual({
      status: 200,
      body: 'Howdy from a Python app, release v4\n',
    });
  }, 120_000);

  it('rejects a push whose release crashes on boot, and keeps serving the release before', async () => {
    fs.writeFileSync(path.join(work, 'app.py'), 'raise SystemExit("this release cannot start")\n');
    git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'broken start');
    const r = await pusher.push(work, APP);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('this release cannot start');
    expect(await viaRouter(routerPort(), `${APP}.localhost`)).toEqual({
      status: 200,
      body: 'Howdy from a Python app, release v4\n',
    });
    const releases = (await owner.get(`/v2/apps/${APP}/releases/`)).body as {
      results: { version: number; failed: boolean }[];
    };
    expect(releases.results[0]).toMatchObject({ version: 5, failed: true });
  }, 300_000);
});
