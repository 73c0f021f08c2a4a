/**
 * The run stage on the real Docker engine: a built image deployed through the API answers through
 * the router; config changes, rollbacks, scaling, restarts, ps, run, logs, failed releases, destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProcs } from '../../cluster/docker/processes';
import { waitReady } from '../../cluster/docker/readiness';
import type { TestCore } from '../support/core';
import { Api } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('run-deploy tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('deploy');
const APP = 'rd-app';
const HOST = `${APP}.localhost`;
/** This file's containers of the app (other test files may run an app of the same name). */
const ours = [`io.deis-desktop.instance=${instance}`, `io.deis-desktop.app=${APP}`];

interface PodList {
  count: number;
  results: { name: string; state: string; type: string; release: string; started: string }[];
}

describe.skipIf(!hasDocker)('the run stage on the Docker engine', () => {
  let t: TestCore;
  let api: Api;
  let port: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const get = (path = '/') => viaRouter(port, HOST, path);

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    t = await startDockerCore(instance);
    api = await new Api(t.url).register('owner');
    port = t.core.target.routerPort;
    await api.post('/v2/apps/', { id: APP });
    // Short grace periods keep the suite fast.
    await api.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', GREETING: 'Hello' },
    });
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (built) await removeImage(built.image);
  });

  it('answers 404 for unknown hosts and 503 while an app has nothing running', async () => {
    expect((await viaRouter(port, 'nobody.localhost')).status).toBe(404);
    const r = await get();
    expect(r.status).toBe(503);
    expect(r.body).toContain('No process of this app is ready');
  });

  it('has nothing to scale or run before the first build, and only the controller in its log', async () => {
    expect(await api.post(`/v2/apps/${APP}/scale/`, { web: 1 })).toMatchObject({
      status: 400,
      body: { detail: 'No build associated with this release' },
    });
    expect(await api.post(`/v2/apps/${APP}/run`, { command: 'true' })).toMatchObject({
      status: 400,
      body: { detail: 'No build associated with this release to run this command' },
    });
    const logs = await api.get(`/v2/apps/${APP}/logs`);
    expect(logs.status).toBe(200);
    const lines = logs.text.slice(2, -1).split('\\n').filter(Boolean);
    expect(lines.some((l) => / deis\[controller\]: INFO owner created initial release$/.test(l))).toBe(true);
    for (const line of lines) expect(line).toMatch(/ deis\[controller\]: /);
    expect((await api.get(`/v2/apps/${APP}/pods/`)).body).toEqual({ count: 0, results: [] });
  });

  it('deploys a build: the app answers through the router, web is scaled to 1', async () => {
    const started = Date.now();
    const r = await pushBuild(api, APP, built);
    expect(r.status, r.text).toBe(201);
    console.log(`deploy of a new build took ${Date.now() - started} ms`);
    const page = await get();
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/^Hello from v3 on rd-app-web-/);
    expect(page.body).toContain(`host=${HOST}`);
    const app = await api.get(`/v2/apps/${APP}/`);
    expect((app.body as { structure: unknown }).structure).toEqual({ web: 1 });
    const pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as PodList;
    expect(pods.count).toBe(1);
    expect(pods.results[0]).toMatchObject({ type: 'web', state: 'up', release: 'v3' });
    expect(pods.results[0]!.name).toMatch(/^rd-app-web-[a-z0-9]{10}-[a-z0-9]{5}$/);
  }, 120_000);

  it('cuts a new release on a config change and serves the new value', async () => {
    const r = await api.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Bonjour' } });
    expect(r.status, r.text).toBe(201);
    expect((await get()).body).toMatch(/^Bonjour from v4 /);
  }, 120_000);

  it('rolls back to the release before', async () => {
    const r = await api.post(`/v2/apps/${APP}/releases/rollback/`, {});
    expect(r.status, r.text).toBe(201);
    expect((await get()).body).toMatch(/^Hello from v5 /);
  }, 120_000);

  it('scales web up and a worker too, and down again, balancing across web processes', async () => {
    let r = await api.post(`/v2/apps/${APP}/scale/`, { web: 3, worker: 1 });
    expect(r.status, r.text).toBe(204);
    let pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as PodList;
    expect(pods.results.filter((p) => p.type === 'web' && p.state === 'up')).toHaveLength(3);
    expect(pods.results.filter((p) => p.type === 'worker')).toHaveLength(1);
    const hosts = new Set<string>();
    for (let i = 0; i < 30; i++) hosts.add((await get()).body.split(' on ')[1]!.split(' ')[0]!);
    expect(hosts.size).toBe(3);
    const byType = (await api.get(`/v2/apps/${APP}/pods/worker/`)).body as PodList;
    expect(byType.count).toBe(1);
    r = await api.post(`/v2/apps/${APP}/scale/`, { web: 1, worker: 0 });
    expect(r.status, r.text).toBe(204);
    pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as PodList;
    expect(pods.results.map((p) => p.type)).toEqual(['web']);
    expect((await api.get(`/v2/apps/${APP}/`)).body).toMatchObject({ structure: { web: 1, worker: 0 } });
  }, 120_000);

  it('refuses to scale a process type the build does not have, or a bad count', async () => {
    let r = await api.post(`/v2/apps/${APP}/scale/`, { clock: 1 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      detail: `Container type clock does not exist in application ${APP} (its types: web, worker, noisy, chatty, cmd)`,
    });
    r = await api.post(`/v2/apps/${APP}/scale/`, { web: -1 });
    expect(r.status).toBe(400);
    r = await api.post(`/v2/apps/${APP}/scale/`, { web: 'many' });
    expect(r.status).toBe(400);
  });

  it('restarts one process by name and answers the pods', async () => {
    const before = ((await api.get(`/v2/apps/${APP}/pods/`)).body as PodList).results[0]!;
    const r = await api.post(`/v2/apps/${APP}/pods/web/${before.name}/restart/`);
    expect(r.status, r.text).toBe(200);
    const after = r.body as PodList['results'];
    expect(after).toHaveLength(1);
    expect(after[0]!.name).not.toBe(before.name);
    expect(after[0]!.state).toBe('up');
    expect((await get()).status).toBe(200);
  }, 60_000);

  it('checks readiness from inside the router too, for engines this machine cannot reach (Docker Desktop)', async () => {
    const [proc] = await listProcs(docker, instance, APP);
    const reach = { direct: false, via: `${instance}-router` };
    await waitReady(docker, proc!, { routed: true, timeoutMs: 5000, reach });
    await waitReady(docker, proc!, {
      probe: { httpGet: { path: '/', port: 5000 } },
      routed: true,
      timeoutMs: 5000,
      reach,
    });
    await expect(
      waitReady(docker, proc!, {
        probe: { httpGet: { path: '/not-ready', port: 5000 } },
        routed: true,
        timeoutMs: 1500,
        reach,
      }),
    ).rejects.toThrow(/was not ready within 2 seconds/);
  }, 30_000);

  it('restarts a process that crashes, and shows it', async () => {
    const before = ((await api.get(`/v2/apps/${APP}/pods/`)).body as PodList).results[0]!;
    await get('/crash').catch(() => undefined);
    await eventually(async () => (await get()).status === 200);
    const after = ((await api.get(`/v2/apps/${APP}/pods/`)).body as PodList).results;
    expect(after).toEqual([expect.objectContaining({ name: before.name, state: 'up' })]);
    const logs = await api.get(`/v2/apps/${APP}/logs?log_lines=100`);
    // Deis's logger format: `<time> <app>[<type>.v<N>.<the end of the process name>]: <message>`.
    const version = before.release.slice(1);
    const [, id] = /-web-[a-z0-9]{10}-([a-z0-9]{5})$/.exec(before.name)!;
    expect(logs.text).toMatch(
      new RegExp(`\\+00:00 ${APP}\\[web\\.v${version}\\.${id}\\]: crashing as asked \\(/crash\\)`),
    );
  }, 60_000);

  it('runs a one-off command with the app environment', async () => {
    const r = await api.post(`/v2/apps/${APP}/run`, {
      command: 'echo "$GREETING $DEIS_APP $WORKFLOW_RELEASE"; exit 7',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ exit_code: 7, output: 'Hello rd-app v5\n' });
    const leftovers = await docker.listContainers({
      all: true,
      filters: { label: [`io.deis-desktop.instance=${instance}`], name: [`${APP}-run-`] },
    });
    expect(leftovers).toHaveLength(0);
  }, 60_000);

  it('keeps logs as the original CLI reads them: processes and controller lines', async () => {
    const r = await api.get(`/v2/apps/${APP}/logs?log_lines=50`);
    expect(r.status).toBe(200);
    expect(r.text.startsWith("b'")).toBe(true);
    const lines = r.text.slice(2, -1).split('\\n');
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00';
    const proc = new RegExp(`^${time} rd-app\\[web\\.v\\d+\\.[a-z0-9]{5}\\]: listening on 5000$`);
    expect(lines.some((l) => proc.test(l))).toBe(true);
    expect(lines.some((l) => new RegExp(`^${time} deis\\[controller\\]: INFO `).test(l))).toBe(true);
  });

  it('streams the output of a one-off command as it comes, then its exit code', async () => {
    const res = await fetch(`${t.url}/v2/desktop/apps/${APP}/run/`, {
      method: 'POST',
      headers: { Authorization: `token ${api.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'echo one; sleep 1; echo two; exit 3' }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const arrivals: { at: number; text: string }[] = [];
    let all = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = new TextDecoder().decode(value);
      all += text;
      arrivals.push({ at: Date.now(), text });
    }
    expect(all).toContain('event: output\ndata: {"text":"one\\n"}');
    expect(all).toContain('event: output\ndata: {"text":"two\\n"}');
    expect(all.endsWith('event: exit\ndata: {"exit_code":3}\n\n')).toBe(true);
    const one = arrivals.find((a) => a.text.includes('one'))!;
    const exit = arrivals.find((a) => a.text.includes('event: exit'))!;
    expect(exit.at - one.at).toBeGreaterThan(700);
  }, 30_000);

  it('streams new log lines as server-sent events', async () => {
    const abort = new AbortController();
    const res = await fetch(`${t.url}/v2/desktop/apps/${APP}/logs/?log_lines=1`, {
      headers: { Authorization: `token ${api.token}` },
      signal: abort.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(': following');
    const run = api.post(`/v2/apps/${APP}/run`, { command: 'echo streamed' });
    // The run's controller line arrives on the open stream while the run goes on.
    await readUntil('running `echo streamed`');
    expect(text).toMatch(/^data: .+\n\n: following\n\n/);
    await run;
    abort.abort();
  }, 30_000);

  it('marks a release that crashes on boot as failed and keeps the previous one serving', async () => {
    const r = await api.post(`/v2/apps/${APP}/config/`, { values: { CRASH_ON_BOOT: '1' } });
    expect(r.status).toBe(400);
    const detail = (r.body as { detail: string }).detail;
    expect(detail).toMatch(/exited with code 3 while starting/);
    expect(detail).toContain('crashing on boot as asked');
    const releases = (await api.get(`/v2/apps/${APP}/releases/`)).body as {
      results: { version: number; failed: boolean; summary: string }[];
    };
    expect(releases.results[0]).toMatchObject({
      version: 6,
      failed: true,
      summary: 'owner deployed a config that failed',
    });
    expect((await get()).body).toMatch(/^Hello from v5 /);
    const pods = (await api.get(`/v2/apps/${APP}/pods/`)).body as PodList;
    expect(pods.results.map((p) => p.release)).toEqual(['v5']);
  }, 60_000);

  it("waits for the app's readiness probe, and fails a release whose probe never passes", async () => {
    let r = await api.post(`/v2/apps/${APP}/config/`, {
      healthcheck: { 'web/cmd': { readinessProbe: { httpGet: { path: '/ready', port: 5000 } } } },
    });
    expect(r.status, r.text).toBe(201);
    expect((await get()).body).toMatch(/^Hello from v7 /);
    r = await api.post(`/v2/apps/${APP}/config/`, {
      values: { DEIS_DEPLOY_TIMEOUT: '2' },
      // The port accepts connections, so only an HTTP check can tell this process is not ready.
      healthcheck: {
        'web/cmd': { readinessProbe: { httpGet: { path: '/not-ready', port: 5000 }, periodSeconds: 1 } },
      },
    });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(/was not ready within 2 seconds/);
    expect((await get()).body).toMatch(/^Hello from v7 /);
  }, 60_000);

  it('fails a build whose image is missing, saying so', async () => {
    const r = await api.post(`/v2/apps/${APP}/builds/`, {
      image: 'deis-desktop/nothing-here:1',
      procfile: { web: 'x' },
    });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(
      /^image deis-desktop\/nothing-here:1 (not found|could not be pulled)/,
    );
    expect((await get()).body).toMatch(/^Hello from v7 /);
  });

  it('routes custom domains, maintenance, whitelist and routing off', async () => {
    await api.post(`/v2/apps/${APP}/domains/`, { domain: 'www.rd-app.test' });
    await api.post(`/v2/apps/${APP}/domains/`, { domain: '*.wild.test' });
    expect((await viaRouter(port, 'www.rd-app.test')).body).toMatch(/^Hello from v7 /);
    expect((await viaRouter(port, 'a.b.wild.test')).body).toMatch(/^Hello from v7 /);
    expect((await viaRouter(port, 'wild.test')).status).toBe(404);
    await api.post(`/v2/apps/${APP}/settings/`, { maintenance: true });
    const m = await get();
    expect(m.status).toBe(503);
    expect(m.body).toContain('maintenance');
    await api.post(`/v2/apps/${APP}/settings/`, { maintenance: false });
    await api.post(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.9.9.9', '2001:db8::/32'] });
    expect((await get()).status).toBe(403);
    // Requests from this machine reach the router from the network's gateway, in 10.222.0.0/16.
    await api.post(`/v2/apps/${APP}/whitelist/`, { addresses: ['10.222.0.0/16'] });
    expect((await get()).status).toBe(200);
    await api.delete(`/v2/apps/${APP}/whitelist/`, {
      addresses: ['10.9.9.9', '2001:db8::/32', '10.222.0.0/16'],
    });
    await api.post(`/v2/apps/${APP}/settings/`, { routable: false });
    expect((await get()).status).toBe(404);
    await api.post(`/v2/apps/${APP}/settings/`, { routable: true });
    expect((await get()).status).toBe(200);
  }, 60_000);

  it('runs a buildpack build through /runner/init with its Procfile, PORT expanded', async () => {
    const bp = await buildFixture('rd-bp', 'procfile-app');
    try {
      await api.post('/v2/apps/', { id: 'rd-bp' });
      const r = await pushBuild(api, 'rd-bp', bp);
      expect(r.status, r.text).toBe(201);
      const page = await viaRouter(port, 'rd-bp.localhost');
      expect(page).toEqual({ status: 200, body: expect.stringContaining('<h1>procfile app</h1>') });
      const ran = await api.post('/v2/apps/rd-bp/run', { command: 'echo $PORT; pwd' });
      expect(ran.body).toEqual({ exit_code: 0, output: '5000\n/app\n' });
      expect((await api.delete('/v2/apps/rd-bp/')).status).toBe(204);
    } finally {
      await removeImage(bp.image);
      await docker
        .getVolume(bp.cache)
        .remove()
        .catch(() => undefined);
    }
  }, 300_000);

  it('applies memory and cpu limits per process type', async () => {
    const r = await api.post(`/v2/apps/${APP}/config/`, { memory: { web: '64M' }, cpu: { web: '500m' } });
    expect(r.status, r.text).toBe(201);
    const [web] = await docker.listContainers({ filters: { label: ours } });
    const info = await docker.getContainer(web!.Id).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect((await get()).status).toBe(200);
  }, 60_000);

  it('restarts a process whose liveness probe keeps failing', async () => {
    const probe = { httpGet: { path: '/not-ready', port: 5000 }, periodSeconds: 1, failureThreshold: 2 };
    let r = await api.post(`/v2/apps/${APP}/config/`, {
      healthcheck: { 'web/cmd': { livenessProbe: probe } },
    });
    expect(r.status, r.text).toBe(201);
    const [web] = ((await api.get(`/v2/apps/${APP}/pods/`)).body as PodList).results;
    await eventually(async () =>
      (await api.get(`/v2/apps/${APP}/logs?log_lines=20`)).text.includes(
        `${web!.name} failed its liveness probe 2 times in a row; restarting it`,
      ),
    );
    r = await api.post(`/v2/apps/${APP}/config/`, { healthcheck: { 'web/cmd': { livenessProbe: null } } });
    expect(r.status, r.text).toBe(201);
    await eventually(async () => (await get()).status === 200);
  }, 60_000);

  it('brings the router back when someone removed it, at the next change', async () => {
    await docker.getContainer(`${instance}-router`).remove({ force: true });
    const r = await api.post(`/v2/apps/${APP}/domains/`, { domain: 'back.rd-app.test' });
    expect(r.status, r.text).toBe(201);
    port = t.core.target.routerPort;
    expect((await viaRouter(port, 'back.rd-app.test')).status).toBe(200);
    expect((await get()).status).toBe(200);
  }, 120_000);

  it('destroys the app: containers and routes go', async () => {
    const r = await api.delete(`/v2/apps/${APP}/`);
    expect(r.status).toBe(204);
    expect((await get()).status).toBe(404);
    const left = await docker.listContainers({
      all: true,
      filters: { label: ours },
    });
    expect(left).toHaveLength(0);
  }, 60_000);
});
