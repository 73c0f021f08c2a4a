/**
 * Issue 14, item 1 on the real engine: an app's requests through the router show up in its metrics
 * by status class within 5 s, a worker's CPU and memory show up per process, the figures survive a
 * restart of the core (one-minute roll-ups in SQLite), `deis metrics` prints them, and a user the
 * app is not shared with gets nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_CLASSES, type AppMetrics } from '../../main/contract/metrics';
import { CliUser } from '../support/cli';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  eventually,
  freePort,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  sleep,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('metrics tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('metrics');
const APP = 'metricsapp';
const HOST = `${APP}.localhost`;

describe.skipIf(!hasDocker)('metrics of an app on the Docker engine', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-metrics-'));
  let t: TestCore;
  let owner: Api;
  let stranger: Api;
  let port: number;
  let routerPort: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const cli = new CliUser();

  const metrics = async (api: Api = owner, query = '') => {
    const r = await api.get(`/v2/apps/${APP}/metrics/${query}`);
    expect(r.status, r.text).toBe(200);
    return r.body as AppMetrics;
  };
  /** Every request counted so far: the roll-ups, the minute in progress included. */
  const totals = (m: AppMetrics) => {
    const sum = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    for (const p of m.minutes) for (const c of STATUS_CLASSES) sum[c] += p.requests[c];
    return sum;
  };
  const hit = async (urlPath: string, times: number, status: number) => {
    for (let i = 0; i < times; i++) expect((await viaRouter(port, HOST, urlPath)).status).toBe(status);
  };

  beforeAll(async () => {
    built = await buildFixture(APP, 'metrics-app');
    routerPort = await freePort();
    t = await startDockerCore(instance, home, routerPort);
    port = t.core.target.routerPort;
    owner = await new Api(t.url).register('owner');
    stranger = await new Api(t.url).register('stranger', 'pw', owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    const config = { values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' } };
    expect((await owner.post(`/v2/apps/${APP}/config/`, config)).status).toBe(201);
    const r = await pushBuild(owner, APP, built);
    expect(r.status, r.text).toBe(201);
    const scaled = await owner.post(`/v2/apps/${APP}/scale/`, { web: 1, worker: 1 });
    expect(scaled.status, scaled.text).toBe(204);
    // The router counts from its first request on: one before the measured load.
    await eventually(async () => (await viaRouter(port, HOST)).status === 200, 60_000);
    // Until the collector has read those first requests: the figures stand still for two rounds.
    let last = '';
    await eventually(async () => {
      const now = JSON.stringify(totals(await metrics()));
      const still = now === last && now.includes('"2xx":1');
      last = now;
      if (!still) await sleep(2_500);
      return still;
    }, 60_000);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
    cli.remove();
  });

  it('shows a load within 5 s with the right status classes, latency and bytes', async () => {
    const before = totals(await metrics());
    await hit('/', 30, 200);
    await hit('/missing', 10, 404);
    await hit('/broken', 5, 500);
    await hit('/slow?ms=300', 2, 200);
    // Within 5 s of the load, and exactly what was sent.
    await eventually(async () => {
      const now = totals(await metrics());
      return (
        now['2xx'] - before['2xx'] === 32 &&
        now['4xx'] - before['4xx'] === 10 &&
        now['5xx'] - before['5xx'] === 5
      );
    }, 5_000);
    const m = await metrics();
    expect(m.collected).toBe(true);
    expect(totals(m)['3xx']).toBe(before['3xx']);
    expect(m.current.requests['4xx']).toBeGreaterThanOrEqual(10);
    expect(m.current.bytes_out).toBeGreaterThan(47 * 20);
    expect(m.current.latency_ms).not.toBeNull();
    // Two of the requests took 300 ms: the 99th percentile is among them, the median is not.
    expect(m.current.latency_ms!.p99).toBeGreaterThanOrEqual(200);
    expect(m.current.latency_ms!.p50).toBeLessThan(200);
    expect(m.recent.length).toBeGreaterThan(0);
  });

  it("shows a busy worker's CPU and memory, and the web process's memory", async () => {
    await eventually(async () => {
      const procs = (await metrics()).current.processes;
      const worker = procs.find((p) => p.type === 'worker');
      const web = procs.find((p) => p.type === 'web');
      // The worker holds 64 MiB and keeps a CPU about half busy.
      return (
        !!worker &&
        !!web &&
        (worker.cpu_percent ?? 0) > 10 &&
        worker.memory_bytes > 60 * 1024 * 1024 &&
        web.memory_bytes > 1024 * 1024
      );
    }, 60_000);
    const m = await metrics();
    expect(m.recent_processes.at(-1)?.types.worker?.count).toBe(1);
  });

  it('prints a compact table with deis metrics, and the whole answer with --json', async () => {
    const login = await cli.run(['login', t.url, '--username=owner', '--password=secret-pw']);
    expect(login.code, login.stderr).toBe(0);
    const table = await cli.run(['metrics', '-a', APP]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(`=== ${APP} Metrics`);
    expect(table.stdout).toMatch(/REQ\/S.*2XX.*3XX.*4XX.*5XX.*P50.*P95.*P99/);
    expect(table.stdout).toMatch(
      new RegExp(`${APP}-worker-\\S+\\s*\\|\\s*worker\\s*\\|\\s*[\\d.]+%\\s*\\|\\s*\\d+ MiB`),
    );
    const json = await cli.run(['metrics', '-a', APP, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as AppMetrics;
    expect(parsed.app).toBe(APP);
    expect(parsed.current.requests['4xx']).toBeGreaterThanOrEqual(10);
  });

  it('gives a user the app is not shared with nothing, and refuses a bad window', async () => {
    const r = await stranger.get(`/v2/apps/${APP}/metrics/`);
    expect(r.status).toBe(403);
    expect(r.text).not.toContain('requests');
    expect((await stranger.get('/v2/apps/nosuchapp/metrics/')).status).toBe(404);
    const bad = await owner.get(`/v2/apps/${APP}/metrics/?minutes=100000`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('minutes must be at most 1440');
    expect((await owner.get(`/v2/apps/${APP}/metrics/?minutes=abc`)).status).toBe(400);
    // Shared with them, they see it.
    expect((await owner.post(`/v2/apps/${APP}/perms/`, { username: 'stranger' })).status).toBe(201);
    expect((await stranger.get(`/v2/apps/${APP}/metrics/`)).status).toBe(200);
    expect((await owner.delete(`/v2/apps/${APP}/perms/stranger`)).status).toBe(204);
  });

  it('keeps the figures across a restart of the core, as one-minute roll-ups', async () => {
    const sum = (m: AppMetrics, c: '2xx' | '4xx' | '5xx') => m.minutes.reduce((a, p) => a + p.requests[c], 0);
    const before = await metrics();
    expect(sum(before, '4xx')).toBeGreaterThanOrEqual(10);
    await t.core.stop();
    t = await startDockerCore(instance, home, routerPort);
    owner = new Api(t.url, owner.token);
    const after = await metrics();
    expect(sum(after, '2xx')).toBeGreaterThanOrEqual(32);
    expect(sum(after, '4xx')).toBeGreaterThanOrEqual(10);
    expect(sum(after, '5xx')).toBeGreaterThanOrEqual(5);
    // The worker's memory and CPU per minute (averaged over the minute: it started inside one, and
    // on a busy machine it gets little of a core, so any share counts).
    const worker = after.minutes.map((p) => p.types.worker).filter((w) => w !== undefined);
    expect(worker.length, JSON.stringify(after.minutes)).toBeGreaterThan(0);
    expect(Math.max(...worker.map((w) => w.memory_bytes))).toBeGreaterThan(30 * 1024 * 1024);
    expect(Math.max(...worker.map((w) => w.cpu_percent))).toBeGreaterThan(0);
    // The new core counts what comes next (from its first reading of the router on).
    await eventually(async () => {
      await hit('/missing', 1, 404);
      return (await metrics()).current.requests['4xx'] > 0;
    }, 20_000);
  });
});
