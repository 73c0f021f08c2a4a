/**
 * Zero failed requests under steady load through deploys, config changes, scaling, restarts and a
 * rollback; and through a crash of the core, after which a new core adopts the processes it finds.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
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
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-zero-downtime tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('zdt');
const APP = 'zd-app';
const HOST = `${APP}.localhost`;

async function appContainers(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`io.deis-desktop.app=${APP}`] } });
  return list.map((c) => `${c.Names[0]!.slice(1)} ${c.State}`).sort();
}

describe.skipIf(!hasDocker)('zero downtime on the Docker engine', () => {
  let t: TestCore;
  let api: Api;
  let port: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const homes: string[] = [];

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    t = await startDockerCore(instance, undefined, await freePort());
    homes.push(t.home);
    api = await new Api(t.url).register('owner');
    port = t.core.target.routerPort;
    await api.post('/v2/apps/', { id: APP });
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '3' },
    });
    const r = await pushBuild(api, APP, built);
    if (r.status !== 201) throw new Error(r.text);
  }, 600_000);

  afterAll(async () => {
    await t?.core.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });

  it('serves every request through deploys, config changes, scaling, restarts and a rollback', async () => {
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
    await load.stop();
    console.log(
      `steady load: ${load.ok} requests, ${load.failures.length} failed; answers seen: ${[...load.bodies].join(' | ')}`,
    );
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(200);
    expect(load.bodies).toContain('Hi from v5');
    expect((await viaRouter(port, HOST)).body).toMatch(/^Hi from v7 /);
  }, 300_000);

  it('keeps serving while the core is down, and a new core adopts without duplicates or orphans', async () => {
    const before = await appContainers();
    expect(before).toHaveLength(1);
    const load = new Load(port, HOST, 2);
    // A crash: the core goes away without cleaning anything up.
    await t.core.stop();
    await new Promise((r) => setTimeout(r, 1500));
    const okWhileDown = load.ok;
    t = await startDockerCore(instance, t.home, port);
    api = new Api(t.url, api.token);
    expect(t.core.target.routerPort).toBe(port);
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
    expect(await appContainers()).toHaveLength(1);
  }, 300_000);

  it('routes as before after the router and the app restart while the core is down (as after a dockerd restart)', async () => {
    await t.core.stop();
    const names = (
      await docker.listContainers({ filters: { label: [`io.deis-desktop.instance=${instance}`] } })
    ).map((c) => c.Id);
    expect(names.length).toBe(2);
    await Promise.all(names.map((id) => docker.getContainer(id).restart({ t: 1 })));
    await eventually(async () => (await viaRouter(port, HOST)).status === 200, 30_000);
    expect((await viaRouter(port, HOST)).body).toMatch(/^Back from v8 /);
    t = await startDockerCore(instance, t.home, port);
    expect(await appContainers()).toHaveLength(1);
  }, 120_000);
});
