/**
 * Operating backing services on the real Docker engine, through the real core, its API and the real
 * CLI: RabbitMQ and an S3-compatible store (built from Debian's packages and npm's s3rver, since the
 * official images cannot be pulled here) attached to a sample app that answers with what it read
 * through them; two Redis services attached at once, one promoted over the other; a service's log,
 * its size and connections; a Redis restore from an RDB file, where a corrupt file changes nothing;
 * a local port forward that a Redis client (RESP spoken by hand) reads a value through.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../../cluster/docker/exec';
import { serviceContainerName } from '../../cluster/docker/services';
import type { ServiceStats } from '../../main/contract/services';
import { CliUser, DEIS_BIN } from '../support/cli';
import type { Config, Paginated, Release } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
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
if (!hasDocker) console.warn('services-ops tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('svcops');
const Q = 'ops-q';
const RABBIT = 'jobs-mq';
const S3 = 'files-s3';
const ONE = 'cache-one';
const TWO = 'cache-two';
const PG = 'stats-db';

describe.skipIf(!hasDocker)('operating backing services on the Docker target', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svcops-'));
  let t: TestCore;
  let alice: Api;
  let admin: Api;
  let routerPort: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
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
  /**
   * Publishes once, retrying only a send that did not get through, then waits for the count: the
   * broker may count a message a moment after it took it, and sending again until the count matched
   * counted hundreds under load.
   */
  const publishes = async (app: string, text: string, expected: string) => {
    let last = '';
    await eventually(
      async () => (last = await answer(app, `/rabbitmq?send=${text}`)).startsWith('200 '),
      90_000,
    ).catch(() => {
      throw new Error(`${app} could not send ${text}: it answered ${JSON.stringify(last)}`);
    });
    await answers(app, '/rabbitmq', expected);
  };
  const service = async (name: string) => (await alice.get(`/v2/services/${name}/`)).body as Service;
  const ready = async (name: string) => {
    await eventually(async () => (await service(name)).state !== 'provisioning', 900_000);
    const s = await service(name);
    expect(s.state, s.error ?? '').toBe('ready');
    return s;
  };
  const config = async (app: string) =>
    ((await alice.get(`/v2/apps/${app}/config/`)).body as Config).values as Record<string, string>;
  const lastRelease = async (app: string) =>
    ((await alice.get(`/v2/apps/${app}/releases/`)).body as Paginated<Release>).results[0]!;

  beforeAll(async () => {
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    built = await buildFixture(Q, 'queue-store-app');
    routerPort = await freePort();
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, home, routerPort });
    admin = await new Api(t.url).register('admin');
    alice = await new Api(t.url).register('alice', 'alice-pw', admin);
    await alice.post('/v2/apps/', { id: Q });
    await alice.post(`/v2/apps/${Q}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const r = await pushBuild(admin, Q, built);
    if (r.status !== 201) throw new Error(r.text);
  }, 900_000);

  afterAll(async () => {
    await t?.core.stop().catch(() => undefined);
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
  });

  it('provisions RabbitMQ and an S3 store, and the app answers with what it read through them', async () => {
    const catalog = (await alice.get('/v2/services/catalog/')).body as Paginated<{
      kind: string;
      env_var: string;
    }>;
    expect(catalog.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'rabbitmq', env_var: 'RABBITMQ_URL' }),
        expect.objectContaining({ kind: 's3', env_var: 'S3_URL' }),
      ]),
    );
    for (const [kind, name, version] of [
      ['rabbitmq', RABBIT, '3.10'],
      ['s3', S3, 'latest'],
    ]) {
      const r = await alice.post('/v2/services/', { kind, name, version });
      expect(r.status, r.text).toBe(201);
    }
    expect((await ready(RABBIT)).image).toBe('deis-desktop/service-rabbitmq:3.10-bookworm');
    expect((await ready(S3)).image).toBe('deis-desktop/service-s3:latest-bookworm');

    for (const name of [RABBIT, S3])
      expect((await alice.post(`/v2/services/${name}/apps/`, { app: Q })).status).toBe(201);
    const values = await config(Q);
    expect(values.RABBITMQ_URL).toMatch(/^amqp:\/\/deis:[0-9a-f]{48}@.+:5672\/%2F$/);
    expect(values.S3_URL).toMatch(/^http:\/\/deis:[0-9a-f]{48}@.+:9000\/files-s3$/);

    await answers(Q, '/rabbitmq', '200 0 waiting');
    await publishes(Q, 'hello', '200 1 waiting');
    await publishes(Q, 'again', '200 2 waiting');
    await answers(Q, '/s3', '200 (empty)');
    await answers(Q, '/s3?put=stored-in-s3', '200 stored-in-s3');
    await answers(Q, '/s3', '200 stored-in-s3');

    // A wrong key is refused by the store: the credentials are what guard it, not only the network.
    const wrong = values.S3_URL!.replace(/deis:[0-9a-f]+@/, 'someone:else@');
    await alice.post(`/v2/apps/${Q}/config/`, { values: { S3_URL: wrong } });
    let refused = '';
    await eventually(async () => (refused = await answer(Q, '/s3')).startsWith('500 '), 90_000);
    expect(refused).toContain('InvalidAccessKeyId');
    await alice.post(`/v2/apps/${Q}/config/`, { values: { S3_URL: values.S3_URL } });

    for (const name of [RABBIT, S3])
      expect((await alice.delete(`/v2/services/${name}/apps/${Q}/`)).status).toBe(200);
    expect((await lastRelease(Q)).summary).toBe(`alice detached ${S3} (S3_URL)`);
    await answers(Q, '/rabbitmq', '503 no RABBITMQ_URL');
    await answers(Q, '/s3', '503 no S3_URL');
  }, 1_200_000);

  it('attaches two Redis services at once without a 500, and promotes the alias over the main one in one release', async () => {
    for (const name of [ONE, TWO])
      expect((await alice.post('/v2/services/', { kind: 'redis', name })).status).toBe(201);
    await ready(ONE);
    await ready(TWO);
    // Both at once: each waits for the other, so one gets REDIS_URL and the other its alias.
    const both = await Promise.all(
      [ONE, TWO].map((name) => alice.post(`/v2/services/${name}/apps/`, { app: Q })),
    );
    expect(
      both.map((r) => r.status),
      both.map((r) => r.text).join('\n'),
    ).toEqual([201, 201]);
    const vars = both.map((r) => (r.body as { var: string }).var).sort();
    const main = vars.includes('REDIS_CACHE_TWO_URL') ? ONE : TWO;
    const other = main === ONE ? TWO : ONE;
    const alias = (name: string) => `REDIS_${name.toUpperCase().replace(/-/g, '_')}_URL`;
    expect(vars).toEqual(['REDIS_URL', alias(other)].sort());
    await answers(Q, '/redis?set=kept-in-main', '200 kept-in-main');
    const before = await config(Q);

    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const promoted = await user.run(['services:promote', other, '-a', Q]);
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(promoted.stdout).toMatch(
        new RegExp(
          `^Promoting ${other} on ${Q}\\.\\.\\. done\\n${other} is now REDIS_URL on ${Q}, v\\d+\\n$`,
        ),
      );
      const again = await user.run(['services:promote', other, '-a', Q]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`${other} is already REDIS_URL on ${Q}.`);
    } finally {
      user.remove();
    }
    const after = await config(Q);
    expect(after.REDIS_URL).toBe(before[alias(other)]);
    expect(after[alias(main)]).toBe(before.REDIS_URL);
    expect(after[alias(other)]).toBeUndefined();
    expect((await lastRelease(Q)).summary).toBe(
      `alice promoted ${other} to REDIS_URL (${main} is now ${alias(main)})`,
    );
    expect((await service(main)).apps).toEqual([{ app: Q, var: alias(main) }]);
    expect((await service(other)).apps).toEqual([{ app: Q, var: 'REDIS_URL' }]);
    // The app now reads the promoted service, which has no note yet; promoting back restores the first.
    await answers(Q, '/redis', '200 (empty)');
    expect((await alice.post(`/v2/services/${main}/promote/`, { app: Q })).status).toBe(200);
    await answers(Q, '/redis', '200 kept-in-main');
    expect((await config(Q)).REDIS_URL).toBe(before.REDIS_URL);
  }, 900_000);

  it("shows a service's log, bounded by -n, and refuses a count out of range", async () => {
    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const all = await user.run(['services:logs', ONE, '-n', '1000']);
      expect(all.code, all.stderr).toBe(0);
      expect(all.stdout).toContain('Ready to accept connections');
      const few = await user.run(['services:logs', ONE, '-n', '2']);
      expect(few.code, few.stderr).toBe(0);
      expect(few.stdout.trim().split('\n')).toHaveLength(2);
      for (const n of ['0', '1001', 'lots']) {
        const bad = await user.run(['services:logs', ONE, '-n', n]);
        expect(bad.code, n).toBe(1);
        expect(bad.stderr, n).toContain('lines must be a whole number from 1 to 1000.');
      }
    } finally {
      user.remove();
    }
    const bob = await new Api(t.url).register('bob-logs', 'bob-pw', admin);
    expect((await bob.get(`/v2/services/${ONE}/logs/`)).status).toBe(403);
  }, 300_000);

  it('tells the size on disk and the connected clients of PostgreSQL and Redis', async () => {
    expect((await alice.post('/v2/services/', { kind: 'postgres', name: PG })).status).toBe(201);
    await ready(PG);
    const stats = async (name: string) =>
      (await alice.get(`/v2/services/${name}/stats/`)).body as ServiceStats;
    const idle = await stats(PG);
    // An empty PostgreSQL cluster is some 40 MB; nobody is connected (the counting query is not counted).
    expect(idle.size).toBeGreaterThan(10 * 1024 * 1024);
    expect(idle.connections).toBe(0);
    // A client holding a connection open (over the container's socket, where the user is trusted).
    const pg = (await docker.getContainer(serviceContainerName(instance, PG)).inspect()).Id;
    const holding = execIn(docker, pg, ['psql', '-U', 'deis', '-d', 'stats_db', '-c', 'SELECT pg_sleep(15)']);
    await eventually(async () => (await stats(PG)).connections === 1, 10_000);
    const r = await stats(ONE);
    expect(r.size).toBeGreaterThan(0);
    expect(r.connections).toBeGreaterThanOrEqual(0);

    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const info = await user.run(['services:info', PG]);
      expect(info.stdout).toMatch(/\nsize: {5}\d+\.\d MiB\n/);
      expect(info.stdout).toMatch(/\nclients: {2}\d+\n/);
    } finally {
      user.remove();
    }
    await holding.catch(() => undefined);
  }, 600_000);

  it('restores Redis from an RDB backup; a corrupt file gives a clear error and changes nothing', async () => {
    const main = (await service(ONE)).apps[0]!.var === 'REDIS_URL' ? ONE : TWO;
    await answers(Q, '/redis?set=in-the-backup', '200 in-the-backup');
    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const rdb = path.join(user.work, 'cache.rdb');
      const backup = await user.run(['services:backup', main, '-o', rdb]);
      expect(backup.code, backup.stderr).toBe(0);
      await answers(Q, '/redis?set=written-later', '200 written-later');

      const corrupt = path.join(user.work, 'corrupt.rdb');
      fs.writeFileSync(corrupt, Buffer.concat([Buffer.from('REDIS0011'), Buffer.alloc(64, 7)]));
      const bad = await user.run(['services:restore', main, corrupt, '--confirm', main]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(
        `${main} could not restore this file: it is not a backup Redis can load; nothing was changed.`,
      );
      const truncated = path.join(user.work, 'truncated.rdb');
      fs.writeFileSync(truncated, fs.readFileSync(rdb).subarray(0, Math.floor(fs.statSync(rdb).size / 2)));
      expect((await user.run(['services:restore', main, truncated, '--confirm', main])).code).toBe(1);
      await answers(Q, '/redis', '200 written-later');

      const restored = await user.run(['services:restore', main, rdb, '--confirm', main]);
      expect(restored, restored.stderr).toMatchObject({
        code: 0,
        stdout: `Restoring ${main} from ${rdb}... done\n`,
      });
      await answers(Q, '/redis', '200 in-the-backup');
    } finally {
      user.remove();
    }
    // The restored data is what Redis starts from now: it survives a restart of its container.
    await docker.getContainer(serviceContainerName(instance, main)).restart();
    await answers(Q, '/redis', '200 in-the-backup');
  }, 600_000);

  it('services:connect forwards a port on 127.0.0.1 that a Redis client reads through, until Ctrl-C', async () => {
    const name = 'tunnel-cache';
    expect((await alice.post('/v2/services/', { kind: 'redis', name })).status).toBe(201);
    await ready(name);
    const port = await freePort();
    const user = new CliUser();
    try {
      expect((await user.run(['login', t.url, '--username=alice', '--password=alice-pw'])).code).toBe(0);
      const child = spawn(DEIS_BIN, ['services:connect', name, `--port=${port}`], {
        env: { ...process.env, HOME: user.home },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await eventually(async () => out.split('\n').length > 2 || child.exitCode !== null, 60_000);
      expect(out, err).toMatch(
        new RegExp(
          `^Forwarding 127\\.0\\.0\\.1:${port} to ${name}; press Ctrl-C to stop\\.\\nredis://:[0-9a-f]{48}@127\\.0\\.0\\.1:${port}/0\\n$`,
        ),
      );
      const url = new URL(out.split('\n')[1]!);
      // A Redis client of our own, speaking RESP through the forward.
      const replies = await resp(port, [
        ['AUTH', decodeURIComponent(url.password)],
        ['SET', 'through-the-tunnel', 'read back'],
        ['GET', 'through-the-tunnel'],
      ]);
      expect(replies).toEqual(['+OK', '+OK', '$9\r\nread back']);
      // Without the password the forward gives nothing away.
      expect((await resp(port, [['GET', 'through-the-tunnel']]))[0]).toMatch(/^-NOAUTH/);
      // A stranger may not open one; a port below 1024 is refused.
      const bob = await new Api(t.url).register('bob-connect', 'bob-pw', admin);
      expect((await bob.post(`/v2/services/${name}/connect/`, {})).status).toBe(403);
      expect((await alice.post(`/v2/services/${name}/connect/`, { port: 80 })).status).toBe(400);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain(`Stopped forwarding to ${name}.`);
      await expect(resp(port, [['PING']])).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      user.remove();
    }
  }, 600_000);
});

/** Sends each command as a RESP array on one connection and answers each reply's first line (bulk strings: with their data). */
function resp(port: number, commands: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = '';
    const replies: string[] = [];
    socket.on('error', reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer through the forward')));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (;;) {
        const end = buffered.indexOf('\r\n');
        if (end < 0) break;
        const line = buffered.slice(0, end);
        if (line.startsWith('$') && line !== '$-1') {
          const size = Number(line.slice(1));
          if (buffered.length < end + 2 + size + 2) break;
          replies.push(`${line}\r\n${buffered.slice(end + 2, end + 2 + size)}`);
          buffered = buffered.slice(end + 2 + size + 2);
        } else {
          replies.push(line);
          buffered = buffered.slice(end + 2);
        }
      }
      if (replies.length >= commands.length) {
        socket.end();
        resolve(replies);
      }
    });
    for (const args of commands)
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}
