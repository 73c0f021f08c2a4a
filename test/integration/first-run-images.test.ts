/**
 * A first run on a machine without the router's base image: the core pulls it itself (from a real
 * registry with basic auth, on 127.0.0.1), as a task with progress, and becomes ready; a pull that
 * fails leaves the target not ready with the registry's reason; and while the target is still being
 * prepared, everything that needs no engine answers (the real `deis` CLI: create, info, config:set,
 * domains:add; `ps` empty with the reason on stderr), and engine work is refused with that reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pullImage } from '../../cluster/docker/pull';
import { routerImageTag } from '../../cluster/docker/router/image';
import { tarOf } from '../../cluster/docker/tar';
import type { Task, TaskWithLog } from '../../main/contract/tasks';
import { Api, startTestCore, type TestCore } from '../support/core';
import { CliUser } from '../support/cli';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
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

/** An image with a layer of random bytes no other image has, so a pull must download it. */
async function freshImage(tag: string): Promise<void> {
  const context = tarOf([
    { name: 'Dockerfile', content: `FROM ${BASE_IMAGE}\nCOPY noise /noise\n` },
    { name: 'noise', content: randomBytes(3 * 1024 * 1024) },
  ]);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve(undefined))),
  );
}

const hasDocker = await dockerAvailable();
const hasRegistry = registryAvailable();
if (!hasDocker || !hasRegistry)
  console.warn('first-run-images tests skipped: they need dockerd, docker-registry and htpasswd (.ci/run).');

const targetTasks = async (api: Api): Promise<TaskWithLog[]> => {
  const list = (await api.get('/v2/desktop/tasks/?kind=target')).body as { results: Task[] };
  return Promise.all(
    list.results.map(async (t) => (await api.get(`/v2/desktop/tasks/${t.id}/`)).body as TaskWithLog),
  );
};

describe.skipIf(!hasDocker || !hasRegistry)('the images a first run needs', () => {
  let registry: TestRegistry;
  let base: string;
  const saved = { ...process.env };
  const pulled: string[] = [];

  beforeAll(async () => {
    await ensureBaseImage();
    registry = await startRegistry();
    // The core takes registry credentials from the environment, as a user would set them.
    Object.assign(process.env, registry.env);
    base = await registry.push(BASE_IMAGE, `deis-test/debian-${process.pid}:bookworm`);
    pulled.push(base, routerImageTag(base));
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    for (const image of pulled) await removeImage(image);
    await registry?.stop();
  });

  it('pulls a missing router base from a registry with credentials, as a task with progress, and gets ready', async () => {
    const instance = instanceName('pull');
    const lines: string[] = [];
    let t: TestCore | undefined;
    try {
      t = await startTestCore({ target: 'docker', instance, routerBase: base, log: (l) => lines.push(l) });
      expect(await t.core.targetStarted).toBe(true);
      expect(lines).toContain(`target: Pulling the router's base image ${base} (first start only)`);
      // The router answers: unknown hosts get its 404.
      expect((await viaRouter(t.core.target.routerPort, 'nobody.localhost')).status).toBe(404);

      const api = await new Api(t.url).register('first');
      const [task] = await targetTasks(api);
      expect(task).toMatchObject({
        kind: 'target',
        state: 'succeeded',
        title: 'Preparing the Docker engine',
      });
      expect(task!.steps[0]!.name).toBe(`Pulling the router's base image ${base} (first start only)`);
      expect(task!.steps[0]!.elapsedMs).toBeGreaterThanOrEqual(0);
      // The engine had this image's layers (it is a copy): nothing to download, and the task says so.
      expect(task!.log).toContain(`pulled ${base}: its layers were in the engine already`);
      expect(task!.log).toContain('Successfully tagged ' + routerImageTag(base));
    } finally {
      await t?.stop();
      await removeInstance(instance);
    }
  }, 600_000);

  it('pulls with progress in layers and bytes, and says why a pull with wrong credentials fails', async () => {
    const local = `deis-test/noise-${process.pid}:v1`;
    await freshImage(local);
    const ref = await registry.push(local, `deis-test/noise-${process.pid}:v1`);
    pulled.push(ref);
    await removeImage(local); // its random layer is now only in the registry

    const wrong = { host: registry.host, username: registry.username, password: 'not-the-password' };
    await expect(pullImage(docker, ref, () => {}, wrong)).rejects.toThrow(
      /unauthorized|authentication required/i,
    );

    const lines: string[] = [];
    await pullImage(docker, ref, (l) => lines.push(l));
    const done = lines.at(-1)!;
    expect(done).toMatch(
      new RegExp(`^pulled ${ref.replace(/[.]/g, '\\.')}: \\d+ layers, [\\d.]+ MB downloaded$`),
    );
    expect(Number(/([\d.]+) MB/.exec(done)![1])).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it('leaves the target not ready with the pull’s reason when the image is not in the registry', async () => {
    const instance = instanceName('nopull');
    const missing = `${registry.host}/deis-test/no-such-image-${process.pid}:bookworm`;
    const lines: string[] = [];
    let t: TestCore | undefined;
    try {
      t = await startTestCore({
        target: 'docker',
        instance,
        routerBase: missing,
        log: (l) => lines.push(l),
        untilReady: false,
      });
      expect(await t.core.targetStarted).toBe(false);
      const notReady = lines.find((l) => l.startsWith('target: not ready'));
      expect(notReady).toContain(
        `The router's base image ${missing} is not in the local Docker engine and could not be pulled (`,
      );
      expect(notReady).toMatch(/manifest unknown|not found/i);
      expect(notReady).toContain('pull it or set DEIS_ROUTER_BASE to a Debian image you have.');

      const api = await new Api(t.url).register('first');
      const [task] = await targetTasks(api);
      expect(task).toMatchObject({ kind: 'target', state: 'failed' });
      expect(task!.error).toMatch(/could not be pulled \(.*(manifest unknown|not found)/i);
      // Engine work says why it cannot be done.
      await api.post('/v2/apps/', { id: 'np-app' });
      const ps = await api.get('/v2/apps/np-app/pods/');
      expect(ps.status).toBe(200);
      expect(ps.body).toEqual({ count: 0, results: [] });
      expect(ps.headers.get('x-deis-notice')).toMatch(
        /^The Docker engine is not ready: The router's base image/,
      );
    } finally {
      await t?.stop();
      await removeInstance(instance);
    }
  }, 300_000);

  it('answers everything that needs no engine while the target is still being prepared', async () => {
    const instance = instanceName('held');
    // A second copy under another name, so this core must pull it; the registry then holds it back.
    const held = await registry.push(BASE_IMAGE, `deis-test/held-${process.pid}:bookworm`);
    pulled.push(held, routerImageTag(held));
    registry.hold();
    let t: TestCore | undefined;
    const user = new CliUser();
    try {
      t = await startTestCore({ target: 'docker', instance, routerBase: held, waitForTarget: false });
      const core = t;
      // The pull has started (and waits for the held manifest).
      await eventually(async () => {
        const api = await new Api(core.url).register('probe').catch(() => undefined);
        return api !== undefined;
      });
      const admin = new Api(t.url);
      const login = await admin.post('/v2/auth/login/', { username: 'probe', password: 'secret-pw' });
      const probe = admin.as((login.body as { token: string }).token);
      await eventually(async () => (await targetTasks(probe)).some((task) => task.state === 'running'));

      const r = await user.run(['login', t.url, '--username=probe', '--password=secret-pw']);
      expect(r.code, r.stderr).toBe(0);

      const create = await user.run(['create', 'held-app', '--no-remote']);
      expect(create, create.stderr).toMatchObject({ code: 0 });
      const info = await user.run(['info', '-a', 'held-app']);
      expect(info.code, info.stderr).toBe(0);
      expect(info.stdout).toContain('=== held-app Application');
      expect(info.stdout).toContain('=== held-app Processes');
      expect(info.stderr).toMatch(
        /Deis Desktop is still preparing the Docker engine \(pulling the router's base image .*, \d+ s so far\)/,
      );
      const config = await user.run(['config:set', 'GREETING=hello', '-a', 'held-app']);
      expect(config.code, config.stderr).toBe(0);
      expect(config.stdout).toContain('GREETING');
      const domain = await user.run(['domains:add', 'held.example.com', '-a', 'held-app']);
      expect(domain.code, domain.stderr).toBe(0);
      const ps = await user.run(['ps', '-a', 'held-app']);
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stderr).toMatch(/still preparing the Docker engine/);

      // What needs the engine is refused with the same sentence, at once.
      const restart = await probe.post('/v2/apps/held-app/pods/restart/', {});
      expect(restart.status).toBe(503);
      expect((restart.body as { detail: string }).detail).toMatch(
        /^Deis Desktop is still preparing the Docker engine \(pulling the router's base image .*, \d+ s so far\); try again when it is ready\.$/,
      );

      registry.release();
      expect(await core.core.targetStarted).toBe(true);
      // Once ready, ps answers without a notice.
      const after = await probe.get('/v2/apps/held-app/pods/');
      expect(after.status).toBe(200);
      expect(after.headers.get('x-deis-notice')).toBeNull();
    } finally {
      registry.release();
      await t?.stop();
      await removeInstance(instance);
    }
  }, 600_000);

  it('deploys a config change made while the target got ready once it is ready', async () => {
    const instance = instanceName('queued');
    const APP = 'fr-queued';
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-queued-'));
    const routerPort = await freePort();
    const built = await buildFixture(APP, 'run-app');
    const held = await registry.push(BASE_IMAGE, `deis-test/queued-${process.pid}:bookworm`);
    pulled.push(held, routerImageTag(held), built.image);
    let t: TestCore | undefined;
    const lines: string[] = [];
    try {
      // A core that runs the app, then stops (the app keeps running).
      t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, home, routerPort });
      const owner = await new Api(t.url).register('owner');
      await owner.post('/v2/apps/', { id: APP });
      await owner.post(`/v2/apps/${APP}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '1' },
      });
      expect((await pushBuild(owner, APP, built)).status).toBe(201);
      const get = () => viaRouter(routerPort, `${APP}.localhost`);
      expect((await get()).body).toMatch(/^Hello from v3 /);
      await t.core.stop();

      // The next start must pull the router's new base, and the registry holds it back.
      registry.hold();
      t = await startTestCore({
        target: 'docker',
        instance,
        routerBase: held,
        home,
        routerPort,
        waitForTarget: false,
        log: (l) => lines.push(l),
      });
      const c = t;
      const login = await new Api(c.url).post('/v2/auth/login/', {
        username: 'owner',
        password: 'secret-pw',
      });
      const api = new Api(c.url, (login.body as { token: string }).token);
      await eventually(async () => (await targetTasks(api)).some((task) => task.state === 'running'));
      const set = await api.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'Queued' } });
      expect(set.status, set.text).toBe(201);
      // The app still serves the release before: the new one waits for the target.
      expect((await get()).body).toMatch(/^Hello from v3 /);

      registry.release();
      // A start that fails anyway (a loaded machine) is tried again by the core: wait for that too.
      if (!(await c.core.targetStarted))
        console.warn(`first start failed, waiting for a retry:\n${lines.join('\n')}`);
      await eventually(async () => c.core.scheduler.readiness.ready, 150_000);
      await eventually(async () => /^Queued from v4 /.test((await get()).body), 60_000);
      const releases = (await api.get(`/v2/apps/${APP}/releases/`)).body as {
        results: { version: number; failed: boolean }[];
      };
      expect(releases.results.find((r) => r.version === 4)?.failed).toBe(false);
    } finally {
      registry.release();
      await t?.stop();
      await removeInstance(instance);
      fs.rmSync(home, { recursive: true, force: true });
      if (built.cache)
        await docker
          .getVolume(built.cache)
          .remove()
          .catch(() => undefined);
    }
  }, 600_000);
});
