/**
 * `deis pull` pulls what the engine lacks, as Deis did: from a real registry (Debian's docker-registry
 * on 127.0.0.1 with basic auth), with the app's `deis registry:set` login, as a task with progress;
 * the pulled image is released and served. A missing image fails with Deis's `image … not found`,
 * a refused login says so, and neither cuts a release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskWithLog } from '../../main/contract/tasks';
import { CliUser } from '../support/cli';
import type { TestCore } from '../support/core';
import { Api } from '../support/core';
import { dockerAvailable } from '../support/images';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/registry';
import {
  buildFixture,
  docker,
  eventually,
  instanceName,
  removeImage,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
const hasRegistry = registryAvailable();
if (!hasDocker || !hasRegistry)
  console.warn('image-pull tests skipped: they need dockerd, docker-registry and htpasswd (.ci/run).');

const instance = instanceName('pull');
const APP = 'pull-app';

describe.skipIf(!hasDocker || !hasRegistry)('deis pull from a registry', () => {
  let registry: TestRegistry;
  let t: TestCore;
  let admin: Api;
  let bob: Api;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  let ref: string;

  beforeAll(async () => {
    built = await buildFixture(APP, 'run-app');
    registry = await startRegistry();
    ref = await registry.push(built.image, `deis-test/pulled-${process.pid}:v1`);
    t = await startDockerCore(instance);
    admin = await new Api(t.url).register('admin');
    bob = await new Api(t.url).register('bob', 'secret-pw', admin);
    for (const app of [APP, `${APP}-nologin`]) {
      expect((await bob.post('/v2/apps/', { id: app })).status).toBe(201);
      await bob.post(`/v2/apps/${app}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', PORT: '5000' },
      });
    }
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    if (ref) await removeImage(ref);
    if (built) await removeImage(built.image);
    await registry?.stop();
  });

  it("pulls with the app's registry login, as a task with progress, and serves the image", async () => {
    await expect(docker.getImage(ref).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const login = await bob.post(`/v2/apps/${APP}/config/`, {
      registry: { username: registry.username, password: registry.password },
    });
    expect(login.status, login.text).toBe(201);
    const r = await bob.post(`/v2/apps/${APP}/builds/`, { image: ref, procfile: built.procfile });
    expect(r.status, r.text).toBe(201);
    const tasks = (await bob.get(`/v2/desktop/tasks/?app=${APP}&kind=pull`)).body as { results: Task[] };
    expect(tasks.results).toHaveLength(1);
    const task = (await bob.get(`/v2/desktop/tasks/${tasks.results[0]!.id}/`)).body as TaskWithLog;
    expect(task.state).toBe('succeeded');
    expect(task.steps[0]!.name).toBe(`Pulling ${ref} as ${registry.username}`);
    expect(task.log.join('\n')).toMatch(new RegExp(`pulled ${ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    // The password is nowhere in what anyone can read.
    expect(JSON.stringify(task)).not.toContain(registry.password);
    const port = t.core.target.routerPort;
    await eventually(async () => (await viaRouter(port, `${APP}.localhost`)).status === 200);
    expect((await viaRouter(port, `${APP}.localhost`)).body).toMatch(/^Hello from v\d+ on /);
  }, 300_000);

  it('says the registry refused without a login, and cuts no release', async () => {
    const app = `${APP}-nologin`;
    const before = ((await bob.get(`/v2/apps/${app}/releases/`)).body as { count: number }).count;
    await removeImage(ref);
    const r = await bob.post(`/v2/apps/${app}/builds/`, { image: ref });
    expect(r.status).toBe(400);
    expect((r.body as { detail: string }).detail).toMatch(
      new RegExp(
        `^image ${ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} could not be pulled: .*(unauthorized|no basic auth)`,
        'i',
      ),
    );
    expect(((await bob.get(`/v2/apps/${app}/releases/`)).body as { count: number }).count).toBe(before);
  }, 120_000);

  it("fails a missing image with Deis's words, through the CLI too", async () => {
    const missing = `${registry.host}/deis-test/no-such-${process.pid}:v1`;
    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=bob', '--password=secret-pw'])).code).toBe(0);
      await bob.post(`/v2/apps/${APP}/config/`, {
        registry: { username: registry.username, password: registry.password },
      }); // already set: 409, harmless
      const r = await user.run(['pull', missing, '-a', APP]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`image ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} not found`),
      );
    } finally {
      user.remove();
    }
  }, 120_000);
});
