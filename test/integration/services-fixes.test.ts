/**
 * Backing services on the real Docker engine, through the real core and its API: Redis's password
 * is on no command line (not the container's, not any process's inside it); a backup file is named
 * with its kind's own extension (a MariaDB dump is `.sql`, not `.rdb`); MariaDB tells how many
 * clients are connected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execIn } from '../../cluster/docker/exec';
import { serviceContainerName } from '../../cluster/docker/services';
import type { Service, ServiceStats } from '../../main/contract/services';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';
import { docker, eventually, freePort, instanceName, removeInstance } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('services-fixes tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('svcfix');
const REDIS = 'fix-cache';
const MARIA = 'fix-shop';

describe.skipIf(!hasDocker)(
  'backing services on the Docker target: passwords, backup names, MariaDB clients',
  () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svcfix-'));
    let t: TestCore;
    let alice: Api;
    const service = async (name: string) => (await alice.get(`/v2/services/${name}/`)).body as Service;
    const ready = async (name: string) => {
      await eventually(async () => (await service(name)).state !== 'provisioning', 900_000);
      const s = await service(name);
      expect(s.state, s.error ?? '').toBe('ready');
      return s;
    };
    const backupName = async (name: string) => {
      const r = await fetch(`${t.url}/v2/services/${name}/backup/`, {
        headers: { Authorization: `token ${alice.token}` },
      });
      const body = Buffer.from(await r.arrayBuffer());
      expect(r.status, body.toString('utf8').slice(0, 300)).toBe(200);
      return /filename="([^"]+)"/.exec(r.headers.get('content-disposition') ?? '')?.[1];
    };

    beforeAll(async () => {
      process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
      t = await startTestCore({
        target: 'docker',
        instance,
        routerBase: BASE_IMAGE,
        home,
        routerPort: await freePort(),
      });
      const admin = await new Api(t.url).register('admin');
      alice = await new Api(t.url).register('alice', 'alice-pw', admin);
      for (const [kind, name] of [
        ['redis', REDIS],
        ['mariadb', MARIA],
      ])
        expect((await alice.post('/v2/services/', { kind, name })).status).toBe(201);
    }, 900_000);

    afterAll(async () => {
      await t?.core.stop().catch(() => undefined);
      await removeInstance(instance);
      fs.rmSync(home, { recursive: true, force: true });
      delete process.env.DEIS_SERVICE_BASE;
    });

    it("keeps Redis's password off every command line: the container's and each process's inside it", async () => {
      await ready(REDIS);
      // The password as its owner sees it: in the URL of a port forward.
      const opened = await alice.post(`/v2/services/${REDIS}/connect/`, {});
      expect(opened.status, opened.text).toBe(201);
      const { url, id } = opened.body as { url: string; id: string };
      await alice.delete(`/v2/services/${REDIS}/connect/${id}/`);
      const password = decodeURIComponent(new URL(url).password);
      expect(password).toMatch(/^[0-9a-f]{16,}$/);

      const container = docker.getContainer(serviceContainerName(instance, REDIS));
      const info = await container.inspect();
      const command = JSON.stringify([info.Path, info.Args, info.Config.Cmd, info.Config.Entrypoint]);
      expect(command).toContain('redis-server');
      expect(command.includes(password)).toBe(false);
      // What `ps` shows: every process's command line.
      const ps = await execIn(docker, info.Id, [
        'sh',
        '-c',
        'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f"; echo; done',
      ]);
      expect(ps.exitCode).toBe(0);
      expect(ps.output).toContain('redis-server');
      expect(ps.output.includes(password)).toBe(false);
      // And the password still guards it.
      const noAuth = await execIn(docker, info.Id, ['redis-cli', 'GET', 'x']);
      expect(noAuth.output).toContain('NOAUTH');
      const withAuth = await execIn(docker, info.Id, ['redis-cli', '--no-auth-warning', 'PING'], {
        env: { REDISCLI_AUTH: password },
      });
      expect(withAuth.output.trim()).toBe('PONG');
      expect(await backupName(REDIS)).toMatch(new RegExp(`^${REDIS}-[0-9]{8}-[0-9]{6}(\\.[0-9]+)?\\.rdb$`));
    }, 900_000);

    it('names a MariaDB backup .sql, and counts the clients connected to MariaDB', async () => {
      await ready(MARIA);
      expect(await backupName(MARIA)).toMatch(new RegExp(`^${MARIA}-[0-9]{8}-[0-9]{6}(\\.[0-9]+)?\\.sql$`));
      const stats = async () => (await alice.get(`/v2/services/${MARIA}/stats/`)).body as ServiceStats;
      const idle = await stats();
      expect(idle.size).toBeGreaterThan(1024 * 1024);
      expect(idle.connections).toBe(0);
      // A client holding a connection open (the service's own user, its password from the container's environment).
      const id = (await docker.getContainer(serviceContainerName(instance, MARIA)).inspect()).Id;
      const holding = execIn(docker, id, [
        'sh',
        '-c',
        'MYSQL_PWD="$MARIADB_PASSWORD" exec mariadb -h 127.0.0.1 -u "$MARIADB_USER" -e "SELECT SLEEP(15)"',
      ]);
      await eventually(async () => (await stats()).connections === 1, 10_000);
      await holding.catch(() => undefined);
    }, 900_000);
  },
);
