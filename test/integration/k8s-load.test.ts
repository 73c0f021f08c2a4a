/**
 * A Kubernetes target whose images are loaded into the nodes instead of pushed to a registry (the
 * way a kind cluster takes them): on the real test cluster, with a loader that does `docker save |
 * ctr images import` into its containerd (what `kind load docker-image` runs in each kind node).
 * The target is given an unreachable registry address, so anything that tried to push or pull
 * through a registry would fail: the app is deployed, answers through the router the target put on
 * the cluster, names its image by a local reference carrying the image ID with `IfNotPresent`, and
 * a config change deploys again without loading again.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddedKubeTarget, type RunningTarget } from '../../cluster';
import { loadedRef } from '../../cluster/kubernetes/delivery';
import type { DesiredApp, Progress, ReleaseSpec } from '../../cluster/target';
import { addedTargetInstance } from '../../cluster';
import { routerNamespace } from '../../cluster/kubernetes/names';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { ctrLoader, removeNodeImage, testClusterContainerd } from '../support/k8s/load';
import { docker, instanceName, viaRouter } from '../support/run-stage';

const log = (line: string) => console.log(`k8s-load: ${line}`);
const cluster = await clusterForTests('k8s-load', { hostRouted: true, kubectl: true });
const socket = cluster ? testClusterContainerd() : undefined;
if (cluster && !socket) console.warn('k8s-load tests skipped: the test cluster built here is not running');

const DOMAIN = 'load.test';

describe.skipIf(!cluster || !socket)('a Kubernetes target that loads images into its nodes', () => {
  const instance = instanceName('kload');
  const TARGET = 'loaded';
  const APP = `kload-${process.pid}`;
  const tag = `deis-test/kload:${process.pid}`;
  const loaded: string[] = [];
  let target: RunningTarget;
  let kubectl: Kubectl;
  let home: string;
  let imageId = '';

  const release = (version: number, values: Record<string, string> = {}): ReleaseSpec => ({
    app: APP,
    version,
    image: tag,
    procfile: {},
    dockerfile: true,
    sha: '',
    summary: `v${version}`,
    created: new Date().toISOString(),
    values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2', ...values },
    memory: {},
    cpu: {},
    healthcheck: {},
  });
  const desired = (r: ReleaseSpec): DesiredApp => ({
    release: r,
    formation: { cmd: 1 },
    routing: { domains: [APP], routable: true, maintenance: false, whitelist: [] },
  });
  const progress: Progress = (e) => log(e.kind === 'step' ? e.message : e.kind === 'log' ? e.line : e.kind);

  beforeAll(async () => {
    await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-load-'));
    execFileSync('docker', ['build', '-q', '-t', tag, appFolder()], { stdio: 'pipe' });
    imageId = (await docker.getImage(tag).inspect()).Id;
    target = createAddedKubeTarget(
      { kind: 'docker', instance, home, routerPort: 0, routerBase: BASE_IMAGE, platformDomain: DOMAIN },
      {
        name: TARGET,
        kube: { kubeconfig: cluster!.kubeconfig },
        // Nothing answers there: a push or a pull through it would fail.
        registry: { address: '127.0.0.1:1' },
        delivery: { kind: 'load', load: ctrLoader(socket!, loaded), where: 'the test cluster' },
      },
    );
    await target.ensureReady([], progress);
  }, 600_000);

  afterAll(async () => {
    await target?.close();
    if (kubectl)
      await kubectl([
        'delete',
        'namespace',
        '-l',
        `deis-desktop/instance=${addedTargetInstance(instance, TARGET)}`,
        '--wait=false',
      ]).catch(() => '');
    if (socket) for (const ref of loaded) await removeNodeImage(socket, ref);
    await docker
      .getImage(tag)
      .remove()
      .catch(() => undefined);
    if (home) fs.rmSync(home, { recursive: true, force: true });
    await cluster?.release();
  }, 120_000);

  it('deploys an app with no registry, and it answers through the router on the cluster', async () => {
    // The router came up from a loaded image too.
    const routerImage = await kubectl([
      '-n',
      routerNamespace(addedTargetInstance(instance, TARGET)),
      'get',
      'deployment',
      '-o',
      'jsonpath={.items[0].spec.template.spec.containers[0].image}',
    ]);
    expect(routerImage).toMatch(/^deis-desktop\.invalid\/deis-desktop\/router:[0-9a-f]{64}$/);
    await target.deploy(desired(release(1)), progress);
    const ref = loadedRef(APP, imageId);
    expect(ref).toBe(`deis-desktop.invalid/${APP}:${imageId.replace('sha256:', '')}`);
    expect(loaded).toContain(ref);
    const pod = await kubectl.json<{
      spec: {
        template: {
          spec: { imagePullSecrets?: unknown; containers: { image: string; imagePullPolicy: string }[] };
        };
      };
      metadata: { annotations: Record<string, string> };
    }>(['-n', APP, 'get', 'deployment', `${APP}-cmd`, '-o', 'json']);
    expect(pod.spec.template.spec.containers[0]).toMatchObject({
      image: ref,
      imagePullPolicy: 'IfNotPresent',
    });
    expect(pod.spec.template.spec.imagePullSecrets).toBeUndefined();
    // What the release runs is recorded by the image's ID, as a registry records its digest.
    expect(pod.metadata.annotations['deis-desktop/image-id']).toBe(imageId);
    // No registry login was written anywhere.
    expect(
      await kubectl(['-n', APP, 'get', 'secret', 'deis-registry', '--ignore-not-found', '-o', 'name']),
    ).toBe('');
    const router = new URL(target.routerUrl!);
    await eventually('the app answering through the router', async () => {
      const r = await viaRouter(Number(router.port), `${APP}.${DOMAIN}`);
      return r.status === 200 && r.body === 'v1 hello\n' ? r : undefined;
    });
  }, 600_000);

  it('deploys a config change of the same image without loading it again', async () => {
    const before = loaded.length;
    await target.deploy(desired(release(2, { GREETING: 'again' })), progress);
    expect(loaded.length).toBe(before);
    const router = new URL(target.routerUrl!);
    await eventually('v2 answering through the router', async () => {
      const r = await viaRouter(Number(router.port), `${APP}.${DOMAIN}`);
      return r.status === 200 && r.body === 'v2 again\n' ? r : undefined;
    });
    const ps = await target.processes(APP);
    expect(ps).toEqual([expect.objectContaining({ type: 'cmd', version: 2, state: 'up' })]);
  }, 300_000);
});
