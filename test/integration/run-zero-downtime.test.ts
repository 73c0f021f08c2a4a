/**
 * Zero failed requests under steady load through deploys, config changes, scaling, restarts and a
 * rollback; through a kill -9 of the core, after which a new core adopts the processes it finds;
 * and after the router and processes restart with nobody there (as after a dockerd restart).
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
  Load,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-zero-downtime tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('zdt');
const APP = 'zd-app';
const HOST = `${APP}.localhost`;

async function appContainers(): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`io.deis-desktop.instance=${instance}`, `io.deis-desktop.app=${APP}`] },
  });
  return list.map((c) => `${c.Names[0]!.slice(1)} ${c.State}`).sort();
}

describe.skipIf(!hasDocker)('zero downtime on the Docker engine', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-zdt-'));
  let core: CoreProcess | undefined;
  let api: Api;
  let port: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
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

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    port = await freePort();
    const c = await start();
    api = await new Api(c.url).register('owner');
    await api.post('/v2/apps/', { id: APP });
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '3' },
    });
    const r = await pushBuild(api, APP, built);
    if (r.status !== 201) throw new Error(r.text);
  }, 600_000);

  afterAll(async () => {
    await core?.kill();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves every request through deploys, config changes, scaling, restarts, a rollback and routing changes', async () => {
    const load = new Load(port, HOST, 4);
    const step = async (what: string, p: Promise<{ status: number; text: string }>, status: number) => {
      const r = await p;
      expect(r.status, `${what}: ${r.text}`).toBe(status);
    };
    await step('deploy', pushBuild(api, APP, built), 201);
    await step('config', api.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Hi' } }), 201);
    await step('scale up', api.post(`/v2/apps/${APP}/scale/`, { web: 3 }), 204);
    await step('restart', api.post(`/v2/apps/${APP}/pods/restart/`), 200);
    await step('deploy', pushBuild(api, APP, built), 201);
    await step('scale down', api.post(`/v2/apps/${APP}/scale/`, { web: 1 }), 204);
    await step('restart web', api.post(`/v2/apps/${APP}/pods/web/restart/`), 200);
    await step('rollback', api.post(`/v2/apps/${APP}/releases/rollback/`, {}), 201);
    // Routing changes never reload nginx, so they cannot close a keep-alive connection either.
    await step('domain', api.post(`/v2/apps/${APP}/domains/`, { domain: 'zd.example.test' }), 201);
    await step('another app', api.post('/v2/apps/', { id: 'zd-other' }), 201);
    await step('whitelist', api.post(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.222.0.0/16'] }), 201);
    await step('whitelist', api.delete(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.222.0.0/16'] }), 204);
    await step('destroy another app', api.delete('/v2/apps/zd-other/'), 204);
    await load.stop();
    console.log(
      `steady load: ${load.ok} requests, ${load.failedCount} failed; answers seen: ${[...load.bodies].join(' | ')}`,
    );
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(200);
    expect(load.bodies).toContain('Hi from v5');
    expect((await viaRouter(port, HOST)).body).toMatch(/^Hi from v7 /);
  }, 300_000);

  it('keeps serving through a kill -9 of the core; a new core adopts without duplicates or orphans', async () => {
    // The processes the last changes replaced stop in the background; they are gone soon after.
    await eventually(async () => (await appContainers()).length === 1);
    const before = await appContainers();
    const load = new Load(port, HOST, 2);
    await core!.kill();
    await new Promise((r) => setTimeout(r, 1500));
    const okWhileDown = load.ok;
    const c = await start();
    api = new Api(c.url, api.token);
    expect(await appContainers()).toEqual(before);
    const pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as {
      results: { state: string; release: string }[];
    };
    expect(pods.results).toEqual([expect.objectContaining({ state: 'up', release: 'v7' })]);
    // The new core can change things again, still without a failed request.
    const r = await api.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Back' } });
    expect(r.status, r.text).toBe(201);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect(okWhileDown).toBeGreaterThan(20);
    expect((await viaRouter(port, HOST)).body).toMatch(/^Back from v8 /);
    // The process it replaced drains and stops in the background.
    await eventually(async () => (await appContainers()).length === 1);
  }, 300_000);

  it('finishes a deploy that a kill -9 of the core interrupted, still without a failed request', async () => {
    const load = new Load(port, HOST, 2);
    // The new process takes 3 s to listen, so the core dies while it waits for it.
    const pending = api
      .post(`/v2/apps/${APP}/config/`, { values: { BOOT_DELAY_MS: '3000' } })
      .catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 1200));
    await core!.kill();
    expect(await pending).toBeInstanceOf(Error);
    const c = await start();
    api = new Api(c.url, api.token);
    await load.stop();
    expect(load.failures).toEqual([]);
    expect((await viaRouter(port, HOST)).body).toMatch(/^Back from v9 /);
    // The new core retires the process the interrupted deploy replaced (in the background).
    await eventually(async () => (await appContainers()).length === 1);
    expect(await appContainers()).toEqual([
      expect.stringMatching(/^zd-app-web-[a-z0-9]{10}-[a-z0-9]{5} running$/),
    ]);
  }, 120_000);

  it('routes as before after the router and the app restart while no core runs (as after a dockerd restart)', async () => {
    await core!.kill();
    const ids = (
      await docker.listContainers({ filters: { label: [`io.deis-desktop.instance=${instance}`] } })
    ).map((c) => c.Id);
    expect(ids).toHaveLength(2);
    await Promise.all(ids.map((id) => docker.getContainer(id).restart({ t: 1 })));
    await eventually(async () => (await viaRouter(port, HOST)).status === 200, 30_000);
    expect((await viaRouter(port, HOST)).body).toMatch(/^Back from v9 /);
    await start();
    expect(await appContainers()).toHaveLength(1);
  }, 120_000);
});
