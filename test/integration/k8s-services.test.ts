/**
 * Backing services on the Kubernetes target, on the real test cluster with a real core: PostgreSQL
 * (built from Debian's packages, pushed to the cluster's registry) provisions as a one-replica
 * Deployment with its data on a PersistentVolumeClaim, attaches to an app that answers with what it
 * read, keeps its data when its pod is deleted (the Deployment starts another on the same claim), is
 * backed up through the API, and is destroyed with its objects. The test cluster has no storage
 * provisioner, so the test plays the cluster administrator and makes a hostPath PersistentVolume
 * for the claim, as one would on a cluster without dynamic provisioning.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesNamespace } from '../../cluster/kubernetes/services';
import type { Config } from '../../main/contract/objects';
import type { Service } from '../../main/contract/services';
import type { KubernetesSettings } from '../../main/settings';
import { Api, startTestCore, type TestCore } from '../support/core';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { buildFixture, eventually, pushBuild, removeImage, viaRouter } from '../support/run-stage';

const log = (line: string) => console.log(`k8s-services: ${line}`);
const cluster = await clusterForTests('k8s-services', { registry: true, hostRouted: true, kubectl: true });

const instance = `dd-k8ssvc-${process.pid}`;
const APP = `k8ssvc-${process.pid}`;
const PG = 'notes-db';

describe.skipIf(!cluster)('backing services on the Kubernetes target', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-pv-'));
  const pvName = `deis-test-pv-${process.pid}`;
  const namespace = servicesNamespace(instance);
  let t: TestCore;
  let admin: Api;
  let kubectl: Kubectl;
  let routerPort = 0;
  let built: Awaited<ReturnType<typeof buildFixture>> | undefined;

  const service = async () => (await admin.get(`/v2/services/${PG}/`)).body as Service;
  const answers = async (urlPath: string, expected: string) => {
    let last = '';
    await eventually(async () => {
      const r = await viaRouter(routerPort, `${APP}.localhost`, urlPath, 30_000).catch((err: Error) => ({
        status: 0,
        body: err.message,
      }));
      last = `${r.status} ${r.body.trim()}`;
      return last === expected;
    }, 180_000).catch(() => {
      throw new Error(`${urlPath} answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}`);
    });
  };
  const pgPods = async () =>
    (
      await kubectl.json<{
        items: { metadata: { name: string; uid: string; deletionTimestamp?: string } }[];
      }>(['-n', namespace, 'get', 'pods', '-l', `deis-desktop/service=${PG}`])
    ).items.filter((p) => !p.metadata.deletionTimestamp);

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
    const settings: KubernetesSettings = {
      kube: { kubeconfig: cluster!.kubeconfig },
      registry: { ...cluster!.registry! },
    };
    t = await startTestCore({
      target: 'kubernetes',
      kubernetes: settings,
      instance,
      routerBase: BASE_IMAGE,
      log,
    });
    admin = await new Api(t.url).register('admin');
    expect((await admin.post('/v2/apps/', { id: APP })).status).toBe(201);
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const r = await pushBuild(admin, APP, built);
    expect(r.status, r.text).toBe(201);
    const info = (await admin.get('/v2/desktop/info/')).body as { router_url: string };
    routerPort = Number(new URL(info.router_url).port);
  }, 900_000);

  afterAll(async () => {
    await t?.stop();
    if (kubectl) {
      for (const ns of [APP, namespace])
        await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
        () => '',
      );
      await kubectl(['delete', 'pv', pvName, '--ignore-not-found', '--wait=false']).catch(() => '');
    }
    if (built) await removeImage(built.image);
    fs.rmSync(dataDir, { recursive: true, force: true });
    delete process.env.DEIS_SERVICE_BASE;
    await cluster?.release();
  }, 180_000);

  it('provisions PostgreSQL as a pod on a volume, attaches it, and the app answers with what it read', async () => {
    const r = await admin.post('/v2/services/', { kind: 'postgres', name: PG });
    expect(r.status, r.text).toBe(201);
    await eventually(async () => (await service()).state !== 'provisioning', 900_000);
    const s = await service();
    expect(s.state, s.error ?? '').toBe('ready');
    // What the cluster runs is the image built locally, pushed and named by digest.
    expect(s.image).toMatch(
      new RegExp(`^${cluster!.registry!.address}/service-postgres@sha256:[0-9a-f]{64}$`),
    );
    const claim = await kubectl.json<{ status: { phase: string }; spec: { volumeName: string } }>([
      '-n',
      namespace,
      'get',
      'pvc',
      `svc-${PG}-data`,
    ]);
    expect(claim.status.phase).toBe('Bound');
    expect(claim.spec.volumeName).toBe(pvName);
    // The credentials are in a Secret, not in the Deployment.
    const deployment = await kubectl(['-n', namespace, 'get', 'deployment', `svc-${PG}`, '-o', 'json']);
    const attach = await admin.post(`/v2/services/${PG}/apps/`, { app: APP });
    expect(attach.status, attach.text).toBe(201);
    const url = ((await admin.get(`/v2/apps/${APP}/config/`)).body as Config).values.DATABASE_URL as string;
    expect(url).toMatch(/^postgres:\/\/deis:[0-9a-f]+@\d+\.\d+\.\d+\.\d+:5432\//);
    expect(deployment.includes(new URL(url).password)).toBe(false);
    await answers('/db?set=written-on-k8s', '200 written-on-k8s');
    await answers('/db', '200 written-on-k8s');
  }, 1_200_000);

  it('keeps its data when its pod is deleted: another starts on the same claim and the app reads the note again', async () => {
    const [before] = await pgPods();
    expect(before).toBeDefined();
    await kubectl(['-n', namespace, 'delete', 'pod', before!.metadata.name, '--wait=false']);
    await eventually(async () => {
      const pods = await pgPods();
      return pods.length === 1 && pods[0]!.metadata.uid !== before!.metadata.uid;
    }, 120_000);
    await answers('/db', '200 written-on-k8s');
  }, 300_000);

  it('backs up and restores through commands in the pod, and destroys the service with its objects once detached', async () => {
    const backup = await fetch(`${t.url}/v2/services/${PG}/backup/`, {
      headers: { Authorization: `token ${admin.token}` },
    });
    const dump = Buffer.from(await backup.arrayBuffer());
    expect(backup.status, dump.toString('utf8').slice(0, 300)).toBe(200);
    expect(dump.subarray(0, 5).toString()).toBe('PGDMP');
    // The file goes back in through the pod's stdin, and the note written since is undone.
    await answers('/db?set=overwritten', '200 overwritten');
    const restored = await fetch(`${t.url}/v2/services/${PG}/restore/?confirm=${PG}`, {
      method: 'POST',
      headers: { Authorization: `token ${admin.token}`, 'Content-Type': 'application/octet-stream' },
      body: dump,
    });
    expect(restored.status, await restored.text()).toBe(204);
    await answers('/db', '200 written-on-k8s');
    expect((await admin.delete(`/v2/services/${PG}/apps/${APP}/`)).status).toBe(200);
    expect((await admin.delete(`/v2/services/${PG}/`, { confirm: PG })).status).toBe(204);
    // Its Deployment, Service, Secret and claim go (the namespace keeps the pull secret, and on 1.20 a token).
    let left: string[] = [];
    await eventually(async () => {
      left = (await kubectl(['-n', namespace, 'get', 'deployment,service,secret,pvc', '-o', 'name']))
        .split('\n')
        .filter((n) => n.includes(`svc-${PG}`));
      return left.length === 0;
    }, 120_000).catch(() => {
      throw new Error(`still there: ${left.join(', ')}`);
    });
  }, 300_000);
});
