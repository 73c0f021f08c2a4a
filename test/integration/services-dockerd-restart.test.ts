/**
 * Backing services keep their data when the Docker engine itself restarts: PostgreSQL and Redis are
 * provisioned, attached to a sample app that stores a value in each, dockerd is restarted, and the app
 * answers with both values again.
 *
 * Restarting dockerd stops every container on the machine (CI's, other test runs'), so this test
 * runs only when asked: DEIS_TEST_RESTART_DOCKERD=1, with DEIS_TEST_RESTART_DOCKERD_COMMAND the
 * command that restarts it here (default `systemctl restart docker`; `bash scripts/restart-dockerd.sh`
 * for a dockerd started by hand). .ci/run runs it so after the suite, on the dockerd it started.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const optedIn = process.env.DEIS_TEST_RESTART_DOCKERD === '1';
const hasDocker = optedIn && (await dockerAvailable());
if (!optedIn)
  console.warn(
    'services-dockerd-restart skipped: it restarts dockerd, stopping every container on this machine; set DEIS_TEST_RESTART_DOCKERD=1 to run it.',
  );
else if (!hasDocker) console.warn('services-dockerd-restart skipped: no Docker engine answers.');

const instance = instanceName('svcdockerd');
const APP = 'dockerd-app';

describe.skipIf(!hasDocker)('backing services across a restart of dockerd', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svcdockerd-'));
  let t: TestCore;
  let api: Api;
  let routerPort: number;
  let built: Awaited<ReturnType<typeof buildFixture>>;
  const answers = async (urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => {
      const r = await viaRouter(routerPort, `${APP}.localhost`, urlPath, 30_000).catch(() => undefined);
      last = r ? `${r.status} ${r.body.trim()}` : 'no answer';
      return last === expected;
    }, 300_000).catch(() => {
      throw new Error(`${APP}${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };

  beforeAll(async () => {
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    built = await buildFixture(APP, 'service-app');
    routerPort = await freePort();
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, home, routerPort });
    api = await new Api(t.url).register('admin');
    await api.post('/v2/apps/', { id: APP });
    const r = await pushBuild(api, APP, built);
    if (r.status !== 201) throw new Error(r.text);
  }, 900_000);

  afterAll(async () => {
    await t?.core.stop().catch(() => undefined);
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(home, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
  });

  it('the app reads the same values from PostgreSQL and Redis after dockerd restarted', async () => {
    for (const [kind, name] of [
      ['postgres', 'kept-db'],
      ['redis', 'kept-cache'],
    ]) {
      expect((await api.post('/v2/services/', { kind, name })).status).toBe(201);
      await eventually(
        async () => ((await api.get(`/v2/services/${name}/`)).body as Service).state !== 'provisioning',
        900_000,
      );
      expect(((await api.get(`/v2/services/${name}/`)).body as Service).state).toBe('ready');
      expect((await api.post(`/v2/services/${name}/apps/`, { app: APP })).status).toBe(201);
    }
    await answers('/db?set=before-dockerd-restart', '200 before-dockerd-restart');
    await answers('/redis?set=cached-before-restart', '200 cached-before-restart');

    const command = (process.env.DEIS_TEST_RESTART_DOCKERD_COMMAND || 'systemctl restart docker').split(' ');
    execFileSync(command[0]!, command.slice(1), { stdio: 'inherit' });
    await eventually(async () => {
      try {
        await docker.ping();
        return true;
      } catch {
        return false;
      }
    }, 120_000);

    await answers('/db', '200 before-dockerd-restart');
    await answers('/redis', '200 cached-before-restart');
  }, 1_800_000);
});
