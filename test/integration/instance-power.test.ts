/**
 * Stopping, starting and removing everything a core runs, with the real CLI against a real core on the
 * real engine with its own instance: an administrator stops the router and the apps, they stay
 * stopped across a core restart, start brings the app back behind the router, and remove (confirmed
 * with the instance's name) leaves no container, network, volume or app image of the instance.
 * Nobody else may do any of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_APP_UUID, LABEL_INSTANCE, LABEL_ROLE } from '../../cluster/docker/labels';
import { STOPPED_MESSAGE } from '../../main/contract/instance';
import { CliUser } from '../support/cli';
import { Api, type TestCore } from '../support/core';
import { repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import {
  docker,
  eventually,
  instanceName,
  removeAppImages,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
const instance = instanceName('power');
const APP = 'power-app';
const mine = { label: [`${LABEL_INSTANCE}=${instance}`] };

const containers = () => docker.listContainers({ all: true, filters: mine });
const running = async () => (await containers()).filter((c) => c.State === 'running');

describe.skipIf(!hasDocker)('stopping, starting and removing everything', () => {
  let t: TestCore;
  let home: string;
  let admin: CliUser;
  let bob: CliUser;
  let pusher: Pusher;
  let work: string;
  let uuid: string;

  const api = async () => {
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'pw' });
    return new Api(t.url, (login.body as { token: string }).token);
  };
  const routerPort = async () =>
    ((await new Api(t.url).get('/v2/desktop/info/')).body as { router_port: number }).router_port;
  const answers = async () => {
    const r = await viaRouter(await routerPort(), `${APP}.localhost`);
    return r.status === 200 && r.body.includes('Hello from a Dockerfile app');
  };

  beforeAll(async () => {
    await ensureStackImage();
    t = await startDockerCore(instance);
    home = t.home;
    admin = new CliUser();
    const r = await admin.run([
      'register',
      t.url,
      '--username=admin',
      '--password=pw',
      '--email=a@example.com',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const a = await api();
    await new Api(t.url).register('bob', 'pw', a);
    bob = new CliUser();
    expect((await bob.run(['login', t.url, '--username=bob', '--password=pw'])).code).toBe(0);
    pusher = new Pusher(t.core.builderPort, 'power');
    await pusher.addKeyTo(a);
    const created = await a.post('/v2/apps/', { id: APP });
    uuid = (created.body as { uuid: string }).uuid;
    work = repoFromFixture('dockerfile-app').dir;
    const pushed = await pusher.push(work, APP);
    expect(pushed.code, pushed.output).toBe(0);
    await eventually(answers, 30_000);
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
    pusher?.remove();
    admin?.remove();
    bob?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await removeInstance(instance);
    await removeAppImages([APP]);
  });

  it('lets only an administrator stop, start or remove', async () => {
    for (const args of [
      ['instance:stop'],
      ['instance:start'],
      ['instance:remove', `--confirm=${instance}`],
    ]) {
      const r = await bob.run(args);
      expect(r.code).not.toBe(0);
      // The CLI prints Deis's words for a 403; the API says why.
      expect(r.stderr).toContain('You do not have permission to perform this action.');
    }
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'bob', password: 'pw' });
    const asBob = new Api(t.url, (login.body as { token: string }).token);
    for (const action of ['stop', 'start', 'remove']) {
      const r = await asBob.post(`/v2/desktop/instance/${action}/`, { confirm: instance });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({
        detail: 'Only an administrator may stop, start or remove everything Deis Desktop runs.',
      });
    }
    expect((await bob.run(['instance:info'])).stdout).toContain('state: running');
    expect(await answers()).toBe(true);
  }, 120_000);

  it('stops the router and the apps, and refuses deploys while stopped', async () => {
    const r = await admin.run(['instance:stop']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`done, ${instance} is stopped`);
    expect(await running()).toEqual([]);
    expect((await admin.run(['ps', '-a', APP])).stdout).not.toContain(`${APP}-v`);
    const set = await admin.run(['config:set', 'A=1', '-a', APP]);
    expect(set.code).not.toBe(0);
    expect(set.stderr).toContain(STOPPED_MESSAGE);
    expect(await running()).toEqual([]);
  }, 120_000);

  it('stays stopped when the core restarts', async () => {
    await t.core.stop();
    t = await startDockerCore(instance, home);
    expect((await admin.run(['login', t.url, '--username=admin', '--password=pw'])).code).toBe(0);
    expect((await admin.run(['instance:info'])).stdout).toContain('state: stopped');
    expect(await running()).toEqual([]);
  }, 120_000);

  it('starts everything again: the app answers behind the router', async () => {
    const r = await admin.run(['instance:start']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`done, ${instance} is running`);
    await eventually(answers, 30_000);
    const roles = (await running()).map((c) => c.Labels[LABEL_ROLE]).sort();
    expect(roles).toEqual(['process', 'router']);
  }, 180_000);

  it('removes everything of the instance only when confirmed with its name', async () => {
    const wrong = await admin.run(['instance:remove'], { input: 'not-it\n' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('aborting; nothing was removed');
    const refused = await (await api()).post('/v2/desktop/instance/remove/', { confirm: 'not-it' });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      detail: `To remove everything, confirm with the instance name, ${instance}; nothing was removed.`,
    });
    expect(await answers()).toBe(true);

    const r = await admin.run(['instance:remove', `--confirm=${instance}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/done: \d+ containers, \d+ networks, \d+ volumes and [1-9]\d* images removed/);
    expect(await containers()).toEqual([]);
    expect(await docker.listNetworks({ filters: mine })).toEqual([]);
    expect((await docker.listVolumes({ filters: mine })).Volumes ?? []).toEqual([]);
    expect(await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } })).toEqual([]);
    expect((await admin.run(['instance:info'])).stdout).toContain('state: stopped');
  }, 180_000);

  it('destroys an app while stopped, leaving nothing of it for a new app of its name', async () => {
    const logs = path.join(home, 'logs', `${APP}.log`);
    expect(fs.existsSync(logs)).toBe(true);
    const r = await admin.run(['destroy', `--app=${APP}`, `--confirm=${APP}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(logs)).toBe(false);
    expect(await containers()).toEqual([]);
  }, 120_000);
});
