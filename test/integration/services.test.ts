/**
 * Backing services on the real Docker engine, through the real core and its API: PostgreSQL, Redis
 * and Memcached are provisioned (from images built on Debian's packages, since the official ones
 * cannot be pulled here), attached to a sample app that answers with what it read from them,
 * detached, attached to a second app, and keep their data across a restart of the service container
 * and of the core. Strangers and bad input change nothing; credentials appear in no listing, task or
 * log line, and the store keeps them sealed.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../../cluster/docker/exec';
import { appNetworkName } from '../../cluster/docker/network';
import { listProcs } from '../../cluster/docker/processes';
import { serviceContainerName } from '../../cluster/docker/services';
import { SERVICE_BACKUP_MAX_BYTES, SERVICES_PER_USER, SERVICE_NAME_MAX } from '../../main/contract/limits';
import type { Config, Paginated, Release } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
import type { TaskWithLog } from '../../main/contract/tasks';
import { CliUser } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
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
if (!hasDocker) console.warn('services tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('svc');
const A = 'svc-a';
const B = 'svc-b';
const PG = 'notes-db';
const REDIS = 'notes-cache';
const MEMCACHED = 'notes-memo';

describe.skipIf(!hasDocker)('backing services on the Docker target', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svc-'));
  const logLines: string[] = [];
  let t: TestCore;
  let alice: Api;
  let bob: Api;
  let routerPort: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const start = () =>
    startTestCore({
      target: 'docker',
      instance,
      routerBase: BASE_IMAGE,
      home,
      routerPort,
      log: (l) => logLines.push(l),
    });
  const answer = async (app: string, urlPath: string) => {
    const r = await viaRouter(routerPort, `${app}.localhost`, urlPath, 30_000);
    return `${r.status} ${r.body.trim()}`;
  };
  /** Polls until the app answers `expected` (a deploy after a config change takes a moment). */
  const answers = async (app: string, urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => (last = await answer(app, urlPath)) === expected, 90_000).catch(() => {
      throw new Error(`${app}${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };
  const service = async (api: Api, name: string) => (await api.get(`/v2/services/${name}/`)).body as Service;
  const ready = async (name: string) => {
    await eventually(async () => (await service(alice, name)).state !== 'provisioning', 900_000);
    const s = await service(alice, name);
    expect(s.state, s.error ?? '').toBe('ready');
    return s;
  };
  const config = async (app: string) =>
    ((await alice.get(`/v2/apps/${app}/config/`)).body as Config).values as Record<string, string>;
  const lastRelease = async (app: string) =>
    ((await alice.get(`/v2/apps/${app}/releases/`)).body as Paginated<Release>).results[0]!;
  const password = (url: string) => new URL(url).password;

  beforeAll(async () => {
    // The core builds service images on the same Debian base the other test images use.
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    built = await buildFixture(A, 'service-app');
    routerPort = await freePort();
    t = await start();
    // The first user is an administrator, who may do everything: alice and bob are ordinary users.
    const admin = await new Api(t.url).register('admin');
    alice = await new Api(t.url).register('alice', 'alice-pw', admin);
    bob = await new Api(t.url).register('bob', 'bob-pw', admin);
    for (const app of [A, B]) {
      await alice.post('/v2/apps/', { id: app });
      await alice.post(`/v2/apps/${app}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
      });
      // Both apps run the one image built for A: only an administrator may release it to B.
      const r = await pushBuild(admin, app, built);
      if (r.status !== 201) throw new Error(r.text);
    }
  }, 900_000);

  afterAll(async () => {
    await t?.core.stop().catch(() => undefined);
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
  });

  it('provisions PostgreSQL, Redis and Memcached from Debian-built images when the official ones cannot be pulled', async () => {
    for (const [kind, name] of [
      ['postgres', PG],
      ['redis', REDIS],
      ['memcached', MEMCACHED],
    ]) {
      const r = await alice.post('/v2/services/', { kind, name });
      expect(r.status, r.text).toBe(201);
      expect((r.body as Service).state).toBe('provisioning');
    }
    const pg = await ready(PG);
    expect(pg.image).toBe('deis-desktop/service-postgres:15-bookworm');
    expect((await ready(REDIS)).image).toBe('deis-desktop/service-redis:7-bookworm');
    await ready(MEMCACHED);
    const task = (await alice.get(`/v2/desktop/tasks/${pg.task}/`)).body as TaskWithLog;
    expect(task.state).toBe('succeeded');
    expect(task.steps.map((s) => s.name)).toContain('Waiting until it accepts connections');
    // Docker restarts it, and its data is on a named volume.
    const info = await docker.getContainer(serviceContainerName(instance, PG)).inspect();
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.Mounts.find((m) => m.Destination === '/var/lib/postgresql/data')?.Type).toBe('volume');
    const list = (await alice.get('/v2/services/')).body as Paginated<Service>;
    expect(list.count).toBe(3);
  }, 900_000);

  it('attaching sets DATABASE_URL and the others, cuts a release, and the app answers with what it read', async () => {
    const r = await alice.post(`/v2/services/${PG}/apps/`, { app: A });
    expect(r.status, r.text).toBe(201);
    expect((r.body as { var: string }).var).toBe('DATABASE_URL');
    expect((await lastRelease(A)).summary).toBe(`alice attached ${PG} as DATABASE_URL`);
    for (const name of [REDIS, MEMCACHED])
      expect((await alice.post(`/v2/services/${name}/apps/`, { app: A })).status).toBe(201);
    const values = await config(A);
    expect(values.DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(values.REDIS_URL).toMatch(/^redis:\/\//);
    expect(values.MEMCACHED_URL).toMatch(/^memcached:\/\//);

    await answers(A, '/db?set=written-by-a', '200 written-by-a');
    await answers(A, '/db', '200 written-by-a');
    await answers(A, '/redis?set=cached-by-a', '200 cached-by-a');
    await answers(A, '/memcached?set=memo-by-a', '200 memo-by-a');
    expect((await service(alice, PG)).apps).toEqual([{ app: A, var: 'DATABASE_URL' }]);

    // The credentials are nowhere but in the app's config: not in listings, tasks, logs or the store's service rows.
    const secrets = [password(values.DATABASE_URL!), password(values.REDIS_URL!)];
    const list = (await alice.get('/v2/services/')).text;
    const tasks = await Promise.all(
      ((await alice.get('/v2/services/')).body as Paginated<Service>).results.map(
        async (s) => (await alice.get(`/v2/desktop/tasks/${s.task}/`)).text,
      ),
    );
    const rows = JSON.stringify(t.core.controller.store.db.prepare('SELECT * FROM services').all());
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      for (const [where, text] of [
        ['the service list', list],
        ['a task', tasks.join('\n')],
        ['the core log', logLines.join('\n')],
        ['the services table', rows],
      ] as const)
        expect(text.includes(secret), `password in ${where}`).toBe(false);
    }
    expect(fs.statSync(path.join(home, 'secrets.key')).mode & 0o777).toBe(0o600);
  }, 300_000);

  it('a second service of the same kind gets an alias, and is detached and destroyed again', async () => {
    const second = 'other-db';
    expect((await alice.post('/v2/services/', { kind: 'postgres', name: second })).status).toBe(201);
    await ready(second);
    const r = await alice.post(`/v2/services/${second}/apps/`, { app: A });
    expect(r.status, r.text).toBe(201);
    expect((r.body as { var: string }).var).toBe('POSTGRES_OTHER_DB_URL');
    expect((await config(A)).DATABASE_URL).toBeDefined();
    expect((await alice.delete(`/v2/services/${second}/apps/${A}/`)).status).toBe(200);
    expect((await alice.delete(`/v2/services/${second}/`, { confirm: second })).status).toBe(204);
    expect((await alice.get(`/v2/services/${second}/`)).status).toBe(404);
    await expect(docker.getContainer(serviceContainerName(instance, second)).inspect()).rejects.toThrow();
  }, 600_000);

  it('detaching removes the variable and cuts a release; attached to a second app, the data is there', async () => {
    const r = await alice.delete(`/v2/services/${PG}/apps/${A}/`);
    expect(r.status, r.text).toBe(200);
    expect((await config(A)).DATABASE_URL).toBeUndefined();
    expect((await lastRelease(A)).summary).toBe(`alice detached ${PG} (DATABASE_URL)`);
    await answers(A, '/db', '503 no DATABASE_URL');

    expect((await alice.post(`/v2/services/${PG}/apps/`, { app: B })).status).toBe(201);
    await answers(B, '/db', '200 written-by-a');
  }, 300_000);

  it('keeps its data when the service container restarts and when the core restarts', async () => {
    await docker.getContainer(serviceContainerName(instance, PG)).restart();
    await docker.getContainer(serviceContainerName(instance, REDIS)).restart();
    await answers(B, '/db', '200 written-by-a');
    await answers(A, '/redis', '200 cached-by-a');

    await t.core.stop();
    t = await start();
    // The new core listens on another port; the users' tokens are still good.
    alice = new Api(t.url, alice.token);
    bob = new Api(t.url, bob.token);
    expect(((await alice.get('/v2/services/')).body as Paginated<Service>).count).toBe(3);
    await answers(B, '/db', '200 written-by-a');
    // The sealed credentials are read back by the new core: attaching works.
    expect((await alice.post(`/v2/services/${REDIS}/apps/`, { app: B })).status).toBe(201);
    await answers(B, '/redis', '200 cached-by-a');
  }, 300_000);

  it('refuses to destroy a service that is attached, or without its name typed again, and changes nothing', async () => {
    const unconfirmed = await alice.delete(`/v2/services/${PG}/`);
    expect(unconfirmed.status).toBe(400);
    expect((unconfirmed.body as { detail: string }).detail).toContain(`--confirm ${PG}`);
    const attached = await alice.delete(`/v2/services/${PG}/`, { confirm: PG });
    expect(attached.status).toBe(409);
    expect((attached.body as { detail: string }).detail).toBe(
      `${PG} is attached to ${B}; detach it first (deis services:detach ${PG} -a ${B}).`,
    );
    expect((await service(alice, PG)).state).toBe('ready');
    await answers(B, '/db', '200 written-by-a');
  }, 120_000);

  it('backs PostgreSQL up to a file and restores it with the CLI; a corrupt file or a stranger changes nothing', async () => {
    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const dump = path.join(user.work, 'notes.dump');
      const backup = await user.run(['services:backup', PG, '-o', dump]);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(new RegExp(`^Backing up ${PG} to ${dump}\\.\\.\\. done, \\d+ bytes\\n$`));
      expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
      expect(fs.statSync(dump).mode & 0o777).toBe(0o600);

      await answers(B, '/db?set=overwritten', '200 overwritten');
      const unconfirmed = await user.run(['services:restore', PG, dump]);
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain(`--confirm ${PG}`);
      const corrupt = path.join(user.work, 'corrupt.dump');
      fs.writeFileSync(corrupt, 'PGDMP but not really a backup');
      const bad = await user.run(['services:restore', PG, corrupt, '--confirm', PG]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`${PG} could not restore this file (`);
      expect(bad.stderr).toContain('nothing was changed');
      // A truncated real backup: PostgreSQL restores in one transaction, so nothing is half-done.
      const truncated = path.join(user.work, 'truncated.dump');
      fs.writeFileSync(
        truncated,
        fs.readFileSync(dump).subarray(0, Math.floor(fs.statSync(dump).size * 0.8)),
      );
      expect((await user.run(['services:restore', PG, truncated, '--confirm', PG])).code).toBe(1);
      await answers(B, '/db', '200 overwritten');

      const restored = await user.run(['services:restore', PG, dump, '--confirm', PG]);
      expect(restored, restored.stderr).toMatchObject({
        code: 0,
        stdout: `Restoring ${PG} from ${dump}... done\n`,
      });
      await answers(B, '/db', '200 written-by-a');

      const rdb = await user.run(['services:backup', REDIS, '-o', path.join(user.work, 'cache.rdb')]);
      expect(rdb.code, rdb.stderr).toBe(0);
      expect(fs.readFileSync(path.join(user.work, 'cache.rdb')).subarray(0, 5).toString()).toBe('REDIS');
      const none = await user.run(['services:backup', MEMCACHED]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('Memcached services cannot be backed up here yet.');
      expect(fs.readdirSync(user.work).filter((f) => f.includes('partial'))).toEqual([]);
    } finally {
      user.remove();
    }
    // A stranger may neither download nor restore; a body that says it is too large is refused unread.
    expect((await bob.get(`/v2/services/${PG}/backup/`)).status).toBe(403);
    const restoreUrl = `${t.url}/v2/services/${PG}/restore/?confirm=${PG}`;
    const asBob = await fetch(restoreUrl, {
      method: 'POST',
      headers: { Authorization: `token ${bob.token}`, 'Content-Type': 'application/octet-stream' },
      body: 'x',
    });
    expect(asBob.status).toBe(403);
    const json = await fetch(restoreUrl, {
      method: 'POST',
      headers: { Authorization: `token ${alice.token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const huge = await new Promise<number>((resolve, reject) => {
      const req = http.request(restoreUrl, {
        method: 'POST',
        headers: {
          Authorization: `token ${alice.token}`,
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(SERVICE_BACKUP_MAX_BYTES + 1),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('PGDMP');
    });
    expect(huge).toBe(413);
    await answers(B, '/db', '200 written-by-a');
  }, 300_000);

  it('lets no stranger see, attach, detach or destroy a service, nor attach one to an app they cannot change', async () => {
    await bob.post('/v2/apps/', { id: 'svc-bob' });
    const before = await config(A);
    expect((await bob.get(`/v2/services/${PG}/`)).status).toBe(403);
    expect(((await bob.get('/v2/services/')).body as Paginated<Service>).count).toBe(0);
    expect((await bob.post(`/v2/services/${PG}/apps/`, { app: 'svc-bob' })).status).toBe(403);
    expect((await bob.delete(`/v2/services/${PG}/apps/${B}/`)).status).toBe(403);
    expect((await bob.delete(`/v2/services/${PG}/`, { confirm: PG })).status).toBe(403);
    // Alice owns the service but may not change bob's app.
    expect((await alice.post(`/v2/services/${MEMCACHED}/apps/`, { app: 'svc-bob' })).status).toBe(403);
    expect(await config(A)).toEqual(before);
    expect((await service(alice, PG)).apps).toEqual([{ app: B, var: 'DATABASE_URL' }]);
  });

  it('answers bad input with a 4xx that says what to do, and changes nothing', async () => {
    const count = async () => ((await alice.get('/v2/services/')).body as Paginated<Service>).count;
    const before = await count();
    const unknown = await alice.post('/v2/services/', { kind: 'oracle' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      kind: [
        'Unknown service kind "oracle"; choose one of: mariadb, memcached, postgres, rabbitmq, redis, s3.',
      ],
    });
    for (const name of ['Bad_Name', '-db', 'x'.repeat(SERVICE_NAME_MAX + 1), 'catalog', PG])
      expect((await alice.post('/v2/services/', { kind: 'redis', name })).status, name).toBe(400);
    expect((await alice.post('/v2/services/', { kind: 'postgres', version: '9' })).status).toBe(400);
    expect((await alice.post(`/v2/services/${PG}/apps/`, { app: B })).status).toBe(409);
    expect((await alice.post(`/v2/services/${PG}/apps/`, { app: A, as: 'lower' })).status).toBe(400);
    expect((await alice.post(`/v2/services/${PG}/apps/`, { app: 'no-such-app' })).status).toBe(404);
    expect((await alice.delete(`/v2/services/${PG}/apps/${A}/`)).status).toBe(404);
    expect(await count()).toBe(before);

    // Over the per-user limit: bob has as many as one may (rows of failed services), the next is refused.
    const db = t.core.controller.store.db;
    for (let i = 0; i < SERVICES_PER_USER; i++)
      db.prepare(
        "INSERT INTO services (uuid, name, kind, version, owner_id, state, secret, created, updated) SELECT ?, ?, 'redis', '7', id, 'failed', '', '', '' FROM users WHERE username = 'bob'",
      ).run(`bob-${i}`, `bob-${i}`);
    const over = await bob.post('/v2/services/', { kind: 'redis', name: 'one-more' });
    expect(over.status).toBe(400);
    expect((over.body as { detail: string }).detail).toContain(`You have ${SERVICES_PER_USER} services`);
    expect((await bob.get('/v2/services/one-more/')).status).toBe(404);
    db.prepare("DELETE FROM services WHERE uuid LIKE 'bob-%'").run();
  });

  it('an app reaches only the services attached to it, and destroying an app detaches its services', async () => {
    // Memcached is attached to A only: B's process can neither resolve nor reach it.
    const memo = serviceContainerName(instance, MEMCACHED);
    const ip = Object.values((await docker.getContainer(memo).inspect()).NetworkSettings.Networks).map(
      (n) => n.IPAddress,
    );
    const [b] = (await listProcs(docker, instance, B)).filter((p) => p.state === 'running');
    for (const host of [memo, ...ip]) {
      const probe = await execIn(docker, b!.id, [
        'bash',
        '-c',
        `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/11211' 2>/dev/null && echo reached || echo blocked`,
      ]);
      expect(probe.output.trim(), host).toBe('blocked');
    }

    const c = 'svc-c';
    expect((await alice.post('/v2/apps/', { id: c })).status).toBe(201);
    expect((await alice.post(`/v2/services/${MEMCACHED}/apps/`, { app: c })).status).toBe(201);
    expect((await alice.delete(`/v2/apps/${c}/`)).status).toBe(204);
    expect((await service(alice, MEMCACHED)).apps).toEqual([{ app: A, var: 'MEMCACHED_URL' }]);
    const networks = Object.keys((await docker.getContainer(memo).inspect()).NetworkSettings.Networks);
    expect(networks).not.toContain(appNetworkName(instance, c));
    await answers(A, '/memcached', '200 memo-by-a');
  }, 120_000);

  it('provisions MariaDB too, backs it up and restores it through the API', async () => {
    const name = 'shop-db';
    expect((await alice.post('/v2/services/', { kind: 'mariadb', name })).status).toBe(201);
    expect((await ready(name)).image).toBe('deis-desktop/service-mariadb:10.11-bookworm');
    const backup = await fetch(`${t.url}/v2/services/${name}/backup/`, {
      headers: { Authorization: `token ${alice.token}` },
    });
    expect(backup.status).toBe(200);
    const dump = Buffer.from(await backup.arrayBuffer());
    expect(dump.toString()).toContain('MariaDB dump');
    const restored = await fetch(`${t.url}/v2/services/${name}/restore/?confirm=${name}`, {
      method: 'POST',
      headers: { Authorization: `token ${alice.token}`, 'Content-Type': 'application/octet-stream' },
      body: dump,
    });
    expect(restored.status, await restored.text()).toBe(204);
    expect((await alice.delete(`/v2/services/${name}/`, { confirm: name })).status).toBe(204);
  }, 600_000);

  it('is driven from the deis CLI: create, list, attach, info, detach, destroy', async () => {
    const user = new CliUser();
    try {
      const login = await user.run(['login', t.url, '--username=alice', '--password=alice-pw']);
      expect(login.code, login.stderr).toBe(0);
      const created = await user.run(['services:create', 'memcached', '--name', 'cli-memo']);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain('Creating cli-memo (memcached 1.6)...');
      expect(created.stdout).toContain('-----> Waiting until it accepts connections');
      expect(created.stdout).toContain(
        'cli-memo is ready; attach it with deis services:attach cli-memo -a <app>',
      );

      const attached = await user.run(['services:attach', 'cli-memo', '-a', B, '--as', 'SESSION_CACHE_URL']);
      expect(attached.code, attached.stderr).toBe(0);
      expect(attached.stdout).toMatch(
        /^Attaching cli-memo to svc-b\.\.\. done\ncli-memo attached as SESSION_CACHE_URL, v\d+\n$/,
      );
      const list = await user.run(['services']);
      expect(list.stdout).toMatch(
        /cli-memo\s+\|\s+memcached 1\.6\s+\|\s+ready\s+\|\s+svc-b \(SESSION_CACHE_URL\)/,
      );
      const info = await user.run(['services:info', 'cli-memo']);
      expect(info.stdout).toContain('=== cli-memo Attachments\nsvc-b SESSION_CACHE_URL\n');

      const refused = await user.run(['services:destroy', 'cli-memo', '--confirm', 'cli-memo']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('cli-memo is attached to svc-b; detach it first');
      expect((await user.run(['services:detach', 'cli-memo', '-a', B])).code).toBe(0);
      expect((await config(B)).SESSION_CACHE_URL).toBeUndefined();
      const destroyed = await user.run(['services:destroy', 'cli-memo', '--confirm', 'cli-memo']);
      expect(destroyed).toMatchObject({ code: 0, stdout: 'Destroying cli-memo and its data... done\n' });
      expect((await user.run(['services'])).stdout).not.toContain('cli-memo');
    } finally {
      user.remove();
    }
  }, 300_000);
});
