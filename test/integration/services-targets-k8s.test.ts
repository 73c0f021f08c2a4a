/**
 * Backing services on an added Kubernetes target: a core on the local Docker engine gets the real
 * test cluster added from its kubeconfig (with its registry's login), an app created on it is
 * deployed there, and PostgreSQL created with `target` runs in that target's own services namespace
 * (its image pushed to the target's registry by digest); attached, the app answers through the
 * cluster's router with what it read. Removing the target is refused while the service lives there.
 * The test cluster has no storage provisioner, so the test plays the administrator and makes a
 * hostPath PersistentVolume for the service's claim (as k8s-services.test.ts does).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { servicesNamespace } from '../../cluster/kubernetes/services';
import type { Config } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import {
  buildFixture,
  eventually,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  viaRouter,
} from '../support/run-stage';

const log = (line: string) => console.log(`services-targets-k8s: ${line}`);
const cluster = await clusterForTests('services-targets-k8s', {
  registry: true,
  hostRouted: true,
  kubectl: true,
});

const TARGET = 'cluster';
const APP = `svck8s-${process.pid}`;
const PG = 'db-cluster';

describe.skipIf(!cluster)('backing services on an added Kubernetes target', () => {
  const instance = instanceName('svctk8s');
  const targetInstance = addedTargetInstance(instance, TARGET);
  const namespace = servicesNamespace(targetInstance);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-svctk8s-pv-'));
  const pvName = `deis-test-svctk8s-${process.pid}`;
  let t: TestCore;
  let admin: Api;
  let kubectl: Kubectl;
  let built: Awaited<ReturnType<typeof buildFixture>> | undefined;
  let routerPort = 0;

  const service = async () => (await admin.get(`/v2/services/${PG}/`)).body as Service;
  const answers = async (urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => {
      const r = await viaRouter(routerPort, `${APP}.localhost`, urlPath, 30_000).catch((err: Error) => ({
        status: 0,
        body: err.message,
      }));
      return (last = `${r.status} ${r.body.trim()}`) === expected;
    }, 180_000).catch(() => {
      throw new Error(`${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };

  beforeAll(async () => {
    process.env.DEIS_SERVICE_BASE = await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    // The administrator's volume, bound ahead to the claim the target makes for the service.
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
          hostPath: { path: dataDir, type: 'Directory' },
          claimRef: { namespace, name: `svc-${PG}-data` },
        },
      }),
    );
    built = await buildFixture(APP, 'service-app');
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, log });
    admin = await new Api(t.url).register('admin');
    const registry = cluster!.registry!;
    const added = await admin.post('/v2/desktop/targets/', {
      name: TARGET,
      kubeconfig: cluster!.kubeconfig,
      registry: registry.address,
      registry_username: registry.username,
      registry_password: registry.password,
    });
    if (added.status !== 201) throw new Error(added.text);
    expect((await admin.post('/v2/apps/', { id: APP, target: TARGET })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const pushed = await pushBuild(admin, APP, built);
    if (pushed.status !== 201) throw new Error(pushed.text);
    const listed = (
      (await admin.get('/v2/desktop/targets/')).body as { results: { name: string; router_url: string }[] }
    ).results.find((x) => x.name === TARGET)!;
    routerPort = Number(new URL(listed.router_url).port);
  }, 900_000);

  afterAll(async () => {
    await t?.stop();
    if (kubectl) {
      await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl([
        'delete',
        'namespace',
        '-l',
        `deis-desktop/instance=${targetInstance}`,
        '--wait=false',
      ]).catch(() => '');
      await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl(['delete', 'pv', pvName, '--ignore-not-found', '--wait=false']).catch(() => '');
    }
    await removeInstance(instance);
    if (built) await removeImage(built.image);
    fs.rmSync(dataDir, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
    await cluster?.release();
  }, 180_000);

  it("provisions PostgreSQL in the target's namespace, and the app there answers with what it read", async () => {
    const r = await admin.post('/v2/services/', { kind: 'postgres', name: PG, target: TARGET });
    expect(r.status, r.text).toBe(201);
    expect((r.body as Service).target).toBe(TARGET);
    await eventually(async () => (await service()).state !== 'provisioning', 900_000);
    const s = await service();
    expect(s.state, s.error ?? '').toBe('ready');
    expect(s.image).toMatch(
      new RegExp(`^${cluster!.registry!.address}/service-postgres@sha256:[0-9a-f]{64}$`),
    );
    // On the cluster, in the added target's own namespace (not the core's local engine).
    const deployment = await kubectl.json<{ metadata: { labels: Record<string, string> } }>([
      '-n',
      namespace,
      'get',
      'deployment',
      `svc-${PG}`,
    ]);
    expect(deployment.metadata.labels['deis-desktop/instance']).toBe(targetInstance);

    const attach = await admin.post(`/v2/services/${PG}/apps/`, { app: APP });
    expect(attach.status, attach.text).toBe(201);
    const url = ((await admin.get(`/v2/apps/${APP}/config/`)).body as Config).values.DATABASE_URL as string;
    expect(url).toMatch(/^postgres:\/\/deis:[0-9a-f]+@\d+\.\d+\.\d+\.\d+:5432\//);
    await answers('/db?set=written-on-the-cluster', '200 written-on-the-cluster');
    await answers('/db', '200 written-on-the-cluster');
  }, 1_200_000);

  it('refuses to remove the target while the service lives there, and removes it once it is destroyed', async () => {
    expect((await admin.delete(`/v2/apps/${APP}/`)).status).toBe(204);
    const refused = await admin.delete(`/v2/desktop/targets/${TARGET}/`);
    expect(refused.status).toBe(409);
    expect((refused.body as { detail: string }).detail).toBe(
      `The target ${TARGET} still has 1 backing service (${PG}); destroy it first (deis services:destroy ${PG}).`,
    );
    expect((await admin.delete(`/v2/services/${PG}/`, { confirm: PG })).status).toBe(204);
    expect((await admin.delete(`/v2/desktop/targets/${TARGET}/`)).status).toBe(204);
  }, 300_000);
});
