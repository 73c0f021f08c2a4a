/**
 * Backing services on the app's own target, a Docker host over SSH, through a real core, its API and
 * the real CLI: OpenSSH's sshd started here on 127.0.0.1, and behind it this machine's dockerd (the
 * "remote" engine, with the target's own instance label and networks). PostgreSQL created there with
 * `services:create --target` runs under that label, is attached to an app on the target, and the app
 * (a sample written as users write one) answers with what it read from it; it is backed up and
 * restored there with the CLI. Attaching a service of another target is refused in one sentence and
 * changes nothing; removing the target is refused while the service lives there. A target that is
 * away fails a provisioning with its reason and answers 503 with it (a detach then changes nothing),
 * and holds up no destroy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { LABEL_INSTANCE, LABEL_ROLE, LABEL_SERVICE } from '../../cluster/docker/labels';
import { serviceContainerName } from '../../cluster/docker/services';
import type { Config, Paginated, Release } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
import { CliUser } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
import {
  buildFixture,
  docker,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
} from '../support/run-stage';
import { sshdMissing, startSshd, type TestSshd } from '../support/sshd';

const hasDocker = await dockerAvailable();
const missing = sshdMissing();
if (!hasDocker || missing)
  console.warn(`services-targets tests skipped: ${missing ?? 'no Docker engine answers'}.`);

const TARGET = 'edge';
const APP = 'web-edge';
const LOCAL_APP = 'web-local';
const PG = 'db-edge';
const LOCAL_REDIS = 'cache-local';

describe.skipIf(!hasDocker || missing !== undefined)('backing services on a Docker host over SSH', () => {
  const instance = instanceName('svctgt');
  const edgeInstance = addedTargetInstance(instance, TARGET);
  let sshd: TestSshd;
  let t: TestCore;
  let admin: Api;
  let cli: CliUser;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  let edgePort = 0;

  const service = async (name: string) => (await admin.get(`/v2/services/${name}/`)).body as Service;
  const ready = async (name: string) => {
    await eventually(async () => (await service(name)).state !== 'provisioning', 900_000);
    const s = await service(name);
    expect(s.state, s.error ?? '').toBe('ready');
    return s;
  };
  const config = async (app: string) =>
    ((await admin.get(`/v2/apps/${app}/config/`)).body as Config).values as Record<string, string>;
  const releases = async (app: string) =>
    ((await admin.get(`/v2/apps/${app}/releases/`)).body as Paginated<Release>).results;
  /** Polls the app through the target's own router until it answers `expected`. */
  const answers = async (urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => {
      const r = await viaRouter(edgePort, `${APP}.localhost`, urlPath, 30_000);
      return (last = `${r.status} ${r.body.trim()}`) === expected;
    }, 120_000).catch(() => {
      throw new Error(`${APP}${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };
  /** The service containers of an instance label on the engine, by service name. */
  const serviceContainers = async (label: string) =>
    (
      await docker.listContainers({
        all: true,
        filters: { label: [`${LABEL_INSTANCE}=${label}`, `${LABEL_ROLE}=service`] },
      })
    )
      .map((c) => c.Labels[LABEL_SERVICE])
      .sort();

  beforeAll(async () => {
    // The core builds service images on the Debian base the other test images use (cached by tag).
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    sshd = await startSshd();
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE });
    admin = await new Api(t.url).register('admin');
    built = await buildFixture(APP, 'service-app');
    const added = await admin.post('/v2/desktop/targets/', sshd.targetRequest(TARGET));
    if (added.status !== 201) throw new Error(added.text);
    expect((await admin.post('/v2/apps/', { id: APP, target: TARGET })).status).toBe(201);
    expect((await admin.post('/v2/apps/', { id: LOCAL_APP })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const pushed = await pushBuild(admin, APP, built);
    if (pushed.status !== 201) throw new Error(pushed.text);
    const edge = (
      (await admin.get('/v2/desktop/targets/')).body as { results: { name: string; router_url: string }[] }
    ).results.find((x) => x.name === TARGET)!;
    edgePort = Number(/^http:\/\/127\.0\.0\.1:(\d+)$/.exec(edge.router_url)?.[1]);
    cli = new CliUser();
    const login = await cli.run(['login', t.url, '--username=admin', '--password=secret-pw']);
    if (login.code !== 0) throw new Error(login.stderr);
  }, 900_000);

  afterAll(async () => {
    cli?.remove();
    await t?.stop();
    await removeInstance(edgeInstance);
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    await sshd?.stop();
    delete process.env.DEIS_SERVICE_BASE;
  });

  it('creates PostgreSQL on the target with services:create --target; it runs there, under its label', async () => {
    const unknown = await admin.post('/v2/services/', {
      kind: 'postgres',
      name: 'db-nowhere',
      target: 'nowhere',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      target: ['There is no target named nowhere; see deis targets for the ones there are.'],
    });

    const created = await cli.run(['services:create', 'postgres', '--name', PG, `--target=${TARGET}`]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Creating ${PG} (postgres 15) on ${TARGET}...`);
    expect(created.stdout).toContain(`${PG} is ready; attach it with deis services:attach ${PG} -a <app>`);
    const s = await ready(PG);
    expect(s).toMatchObject({ name: PG, target: TARGET, image: 'deis-desktop/service-postgres:15-bookworm' });
    // Its container is the target's (its instance label), not local's.
    expect(await serviceContainers(edgeInstance)).toEqual([PG]);
    expect(await serviceContainers(instance)).toEqual([]);
    const volume = await docker.getVolume(`${serviceContainerName(edgeInstance, PG)}-data`).inspect();
    expect(volume.Labels[LABEL_INSTANCE]).toBe(edgeInstance);

    const list = ((await admin.get('/v2/services/')).body as Paginated<Service>).results;
    expect(list.map((x) => [x.name, x.target])).toEqual([[PG, TARGET]]);
    const info = await cli.run(['services:info', PG]);
    expect(info.stdout).toContain(`\ntarget:   ${TARGET}\n`);
    const table = await cli.run(['services']);
    expect(table.stdout).toMatch(
      new RegExp(`^ ${PG} +\\| postgres 15 +\\| ready +\\| +\\| ${TARGET} +$`, 'm'),
    );
  }, 900_000);

  it('attaches it to the app on the target, which answers with a value read from the database', async () => {
    const r = await admin.post(`/v2/services/${PG}/apps/`, { app: APP });
    expect(r.status, r.text).toBe(201);
    expect((r.body as { var: string }).var).toBe('DATABASE_URL');
    expect((await config(APP)).DATABASE_URL).toMatch(
      new RegExp(`^postgres://deis:[0-9a-f]+@${edgeInstance}-svc-${PG}:5432/`),
    );
    await answers('/db?set=written-on-edge', '200 written-on-edge');
    await answers('/db', '200 written-on-edge');
  }, 300_000);

  it('refuses to attach a service of another target, in one sentence, and changes nothing', async () => {
    expect((await admin.post('/v2/services/', { kind: 'redis', name: LOCAL_REDIS })).status).toBe(201);
    expect((await ready(LOCAL_REDIS)).target).toBe('local');
    const before = { config: await config(APP), releases: (await releases(APP)).length };

    const refused = await admin.post(`/v2/services/${LOCAL_REDIS}/apps/`, { app: APP });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      detail: `${LOCAL_REDIS} runs on local and ${APP} on ${TARGET}: create a service on ${TARGET}.`,
    });
    // And the other way round, with the CLI.
    const back = await cli.run(['services:attach', PG, '-a', LOCAL_APP]);
    expect(back.code).toBe(1);
    expect(back.stderr).toContain(
      `${PG} runs on ${TARGET} and ${LOCAL_APP} on local: create a service on local.`,
    );

    expect(await config(APP)).toEqual(before.config);
    expect((await releases(APP)).length).toBe(before.releases);
    expect((await config(LOCAL_APP)).DATABASE_URL).toBeUndefined();
    expect((await service(LOCAL_REDIS)).apps).toEqual([]);
    expect((await service(PG)).apps).toEqual([{ app: APP, var: 'DATABASE_URL' }]);
    // The local service joined no network of the app (nor any app network at all).
    const networks = (await docker.getContainer(serviceContainerName(instance, LOCAL_REDIS)).inspect())
      .NetworkSettings.Networks;
    expect(Object.keys(networks)).toEqual([`${instance}-services`]);
    await answers('/db', '200 written-on-edge');
  }, 900_000);

  it('backs the service up and restores it there with the CLI, and shows its log', async () => {
    const dump = path.join(cli.work, 'edge.dump');
    const backup = await cli.run(['services:backup', PG, '-o', dump]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
    await answers('/db?set=overwritten', '200 overwritten');
    const restored = await cli.run(['services:restore', PG, dump, '--confirm', PG]);
    expect(restored, restored.stderr).toMatchObject({
      code: 0,
      stdout: `Restoring ${PG} from ${dump}... done\n`,
    });
    await answers('/db', '200 written-on-edge');
    const logs = await cli.run(['services:logs', PG, '-n', '5']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(0);
  }, 300_000);

  it('refuses to remove the target while the service lives there; destroyed, the target goes', async () => {
    expect((await admin.delete(`/v2/apps/${APP}/`)).status).toBe(204);
    const refused = await admin.delete(`/v2/desktop/targets/${TARGET}/`);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      detail: `The target ${TARGET} still has 1 backing service (${PG}); destroy it first (deis services:destroy ${PG}).`,
    });
    const names = async () =>
      ((await admin.get('/v2/desktop/targets/')).body as { results: { name: string }[] }).results.map(
        (x) => x.name,
      );
    expect(await names()).toEqual(['local', TARGET]);
    expect(await serviceContainers(edgeInstance)).toEqual([PG]);

    expect((await admin.delete(`/v2/services/${PG}/`, { confirm: PG })).status).toBe(204);
    expect(await serviceContainers(edgeInstance)).toEqual([]);
    expect((await admin.delete(`/v2/desktop/targets/${TARGET}/`)).status).toBe(204);
    expect(await names()).toEqual(['local']);
  }, 300_000);

  it('answers with the reason when the target is away, detaches nothing then, and lets its services and the target go', async () => {
    const other = await startSshd();
    // The key outlives the sshd's folder (removed when it stops, below): the host is away, not the key.
    const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svctgt-key-'));
    const key = path.join(keys, 'client');
    fs.copyFileSync(other.clientKey, key);
    fs.chmodSync(key, 0o600);
    let stopped = false;
    try {
      const added = await admin.post('/v2/desktop/targets/', {
        ...other.targetRequest('away'),
        identity: key,
      });
      expect(added.status, added.text).toBe(201);
      // While the host answers: Redis there, attached to an app there (no build yet: config only).
      const cache = await admin.post('/v2/services/', { kind: 'redis', name: 'cache-away', target: 'away' });
      expect(cache.status, cache.text).toBe(201);
      expect((await ready('cache-away')).target).toBe('away');
      expect((await admin.post('/v2/apps/', { id: 'web-away', target: 'away' })).status).toBe(201);
      const attached = await admin.post('/v2/services/cache-away/apps/', { app: 'web-away' });
      expect(attached.status, attached.text).toBe(201);
      const before = await releases('web-away');
      expect(Object.keys(await config('web-away'))).toContain('REDIS_URL');

      await other.stop();
      stopped = true;
      const reason = `Nothing accepts SSH connections at 127.0.0.1 port ${other.port}`;
      // Detaching needs the host: a 503 saying why, and the app's config and the attachment unchanged.
      const detach = await admin.delete('/v2/services/cache-away/apps/web-away/');
      expect(detach.status, detach.text).toBe(503);
      expect((detach.body as { detail: string }).detail).toContain(reason);
      expect(Object.keys(await config('web-away'))).toContain('REDIS_URL');
      expect(await releases('web-away')).toEqual(before);
      expect((await service('cache-away')).apps).toEqual([{ app: 'web-away', var: 'REDIS_URL' }]);

      const r = await admin.post('/v2/services/', { kind: 'redis', name: 'cache-gone', target: 'away' });
      expect(r.status, r.text).toBe(201);
      await eventually(async () => (await service('cache-gone')).state !== 'provisioning', 120_000);
      const failed = await service('cache-gone');
      expect(failed).toMatchObject({ state: 'failed', target: 'away' });
      expect(failed.error).toContain(reason);
      // Its log is on the host: a 503 saying why it cannot be read now.
      const logs = await admin.get('/v2/services/cache-away/logs/');
      expect(logs.status).toBe(503);
      expect((logs.body as { detail: string }).detail).toContain(reason);
      // As an app's destroy, a service's is not held up by a host that is away; then the target goes.
      expect((await admin.delete('/v2/apps/web-away/')).status).toBe(204);
      for (const name of ['cache-away', 'cache-gone'])
        expect((await admin.delete(`/v2/services/${name}/`, { confirm: name })).status).toBe(204);
      expect((await admin.delete('/v2/desktop/targets/away/')).status).toBe(204);
    } finally {
      if (!stopped) await other.stop();
      fs.rmSync(keys, { recursive: true, force: true });
      // What a destroy leaves on a host that was away (the Redis container and its data) goes here.
      await removeInstance(addedTargetInstance(instance, 'away'));
    }
  }, 600_000);
});
