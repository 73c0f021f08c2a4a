/**
 * Deploys that return as soon as the new release serves, whatever the app does with SIGTERM: an
 * app without a SIGTERM handler (PID 1 would ignore it) stops at once under the init Docker runs
 * as PID 1; an app that ignores SIGTERM drains and stops in the background while the API call has
 * returned; a second change during that drain leaves exactly the newest process; a core killed
 * during a drain leaves the job to the next core; a Node app runs `node` itself, not `npm start`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api } from '../support/core';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { BASE_IMAGE, dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  freePort,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-retire tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('retire');
const APP = 'rt-py';
const NODE = 'rt-node';

interface Pods {
  results: { name: string; state: string; type: string; release: string }[];
}

/** The app's containers, newest first: `name state`. */
async function containers(app: string): Promise<{ id: string; name: string; state: string }[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`io.deis-desktop.instance=${instance}`, `io.deis-desktop.app=${app}`] },
  });
  return list.map((c) => ({ id: c.Id, name: c.Names[0]!.slice(1), state: c.State }));
}

const running = async (id: string) =>
  (await docker
    .getContainer(id)
    .inspect()
    .then((i) => i.State.Running)
    .catch(() => false)) as boolean;
const gone = async (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => false,
      (err: { statusCode?: number }) => err.statusCode === 404,
    );

describe.skipIf(!hasDocker)('deploys return as soon as the new release serves', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-retire-'));
  let core: CoreProcess | undefined;
  let api: Api;
  let port: number;
  let py: Awaited<ReturnType<typeof buildFixture>>;
  let node: Awaited<ReturnType<typeof buildFixture>>;
  const get = (urlPath = '/', timeoutMs?: number) => viaRouter(port, `${APP}.localhost`, urlPath, timeoutMs);
  const start = async () => {
    core = await startCoreProcess({
      home,
      instance,
      apiPort: await freePort(),
      routerPort: port,
      routerBase: BASE_IMAGE,
    });
    return core;
  };
  const config = async (app: string, values: Record<string, string | null>) => {
    const r = await api.post(`/v2/apps/${app}/config/`, { values });
    expect(r.status, r.text).toBe(201);
  };
  const pods = async (app: string) => ((await api.get(`/v2/apps/${app}/pods/`)).body as Pods).results;
  /** The one container left once every process a change replaced has stopped. */
  const settled = async (app: string, timeoutMs = 30_000) => {
    await eventually(async () => (await containers(app)).length === 1, timeoutMs);
    return (await containers(app))[0]!;
  };

  beforeAll(async () => {
    py = await buildFixture(APP, 'python-http');
    node = await buildFixture(NODE, 'node-app');
    port = await freePort();
    const c = await start();
    api = await new Api(c.url).register('owner');
    for (const app of [APP, NODE]) expect((await api.post('/v2/apps/', { id: app })).status).toBe(201);
  }, 900_000);

  afterAll(async () => {
    await core?.kill();
    await removeInstance(instance);
    for (const built of [py, node])
      if (built) {
        await removeImage(built.image);
        await docker
          .getVolume(built.cache)
          .remove()
          .catch(() => undefined);
      }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('stops a Python app without a SIGTERM handler at once (an init is PID 1), on config:set and rollback', async () => {
    // Two minutes of grace: only a process that really stops on SIGTERM is gone within the wait below.
    await config(APP, { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '120' });
    const r = await pushBuild(api, APP, py);
    expect(r.status, r.text).toBe(201);
    expect((await get()).body).toMatch(/^Hello from v3 /);
    const first = await settled(APP);

    // The old process is gone long before its grace period would end, whether or not the call
    // waited for it (so this fails where SIGTERM is ignored, however the call behaves).
    const change = config(APP, { GREETING: 'Hi' });
    await eventually(() => gone(first.id), 30_000);
    await change;
    expect((await get()).body).toMatch(/^Hi from v4 /);
    expect(await pods(APP)).toEqual([expect.objectContaining({ type: 'cmd', state: 'up', release: 'v4' })]);

    const second = await settled(APP);
    const back = api.post(`/v2/apps/${APP}/releases/rollback/`, {});
    await eventually(() => gone(second.id), 30_000);
    expect((await back).status).toBe(201);
    expect((await get()).body).toMatch(/^Hello from v5 /);
  }, 300_000);

  it('returns while an old process that ignores SIGTERM still drains; a second change meanwhile leaves exactly the newest', async () => {
    await config(APP, { IGNORE_SIGTERM: '1', KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '10' });
    const old = await settled(APP);

    await config(APP, { GREETING: 'Second' });
    // What a user notices: the command came back before the old process was even stopped...
    expect(await running(old.id)).toBe(true);
    // ...and the new release already answers, and is all `deis ps` shows.
    expect((await get()).body).toMatch(/^Second from v7 /);
    expect(await pods(APP)).toEqual([expect.objectContaining({ state: 'up', release: 'v7' })]);

    // Another change while the old one still drains: neither waits for it nor disturbs it.
    await config(APP, { GREETING: 'Third' });
    expect(await running(old.id)).toBe(true);
    expect((await get()).body).toMatch(/^Third from v8 /);
    expect(await pods(APP)).toEqual([expect.objectContaining({ state: 'up', release: 'v8' })]);

    // SIGKILL after the grace period ends both old ones; the newest is all that is left.
    const left = await settled(APP, 60_000);
    expect(left.name).toMatch(/^rt-py-cmd-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(left.state).toBe('running');
    expect(await gone(old.id)).toBe(true);
    expect((await get()).body).toMatch(/^Third from v8 /);
  }, 300_000);

  it('a core killed while an old process drains: the request in flight finishes and the next core stops it', async () => {
    await config(APP, { IGNORE_SIGTERM: null });
    await settled(APP, 60_000);
    await config(APP, { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '60' });
    const old = await settled(APP);
    // A slow request holds the old process in its drain (it is never cut short).
    let slowDone = false;
    const slow = get('/?delay=8000', 60_000).finally(() => {
      slowDone = true;
    });
    await new Promise((r) => setTimeout(r, 1000));
    await config(APP, { GREETING: 'Fourth' });
    expect(slowDone).toBe(false);
    expect((await get()).body).toMatch(/^Fourth from v11 /);

    await core!.kill();
    expect(await running(old.id)).toBe(true);
    const c = await start();
    api = new Api(c.url, api.token);
    expect(await slow).toEqual({ status: 200, body: expect.stringMatching(/^Third from v10 /) as string });
    // The grace period is a minute: the new core sent SIGTERM after the drain, and it stopped.
    await eventually(() => gone(old.id), 40_000);
    expect((await containers(APP)).map((p) => p.name)).toEqual([
      expect.stringMatching(/^rt-py-cmd-[a-z0-9]{10}-[a-z0-9]{5}$/),
    ]);
  }, 300_000);

  it('runs a Node app by `node`, not `npm start`, so a redeploy logs no npm errors', async () => {
    await config(NODE, { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '30' });
    const r = await pushBuild(api, NODE, node);
    expect(r.status, r.text).toBe(201);
    const builds = (await api.get(`/v2/apps/${NODE}/builds/`)).body as {
      results: { procfile: Record<string, string> }[];
    };
    expect(builds.results[0]!.procfile).toEqual({ web: 'node server.js' });
    const first = await settled(NODE);
    const top = (await docker.getContainer(first.id).top()) as { Processes: string[][] };
    const commands = top.Processes.map((p) => p[p.length - 1]!);
    expect(commands.some((c) => /^node server\.js$/.test(c))).toBe(true);
    expect(commands.filter((c) => c.includes('npm'))).toEqual([]);

    await config(NODE, { GREETING: 'Hi' });
    await eventually(() => gone(first.id), 30_000);
    const logs = (await api.get(`/v2/apps/${NODE}/logs?log_lines=200`)).text;
    expect(logs).toContain('listening on 5000');
    expect(logs).not.toContain('npm ERR!');
    expect(logs).not.toContain('signal SIGTERM');
  }, 600_000);
});
