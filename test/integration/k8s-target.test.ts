/**
 * The Kubernetes target on the real test cluster, with a real core: `git push` builds with the local
 * Docker engine, the image goes to the registry by digest, and the app runs as Deis ran it (a
 * namespace, a Secret per release, a Deployment per type). A config change rolls out a new release,
 * scale and rollback converge, restart by name replaces one pod, failures (a crash on boot, a
 * readiness probe that never passes) leave the previous release serving and mark the release failed
 * with the reason, destroy removes the namespace, and a core killed in the middle of a rollout is
 * restarted and finishes it with no duplicate pods.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { startCoreProcess, type CoreProcess } from '../support/core-process';
import { git, repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests, type TestCluster } from '../support/k8s';
import { appFolder, get } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { Pusher } from '../support/push';
import { freePort, Load, removeAppImages, viaRouter } from '../support/run-stage';
import type { KubernetesSettings } from '../../main/settings';
import { connectKube } from '../../cluster/kubernetes/client';
import {
  deploymentManifest,
  envSecretManifest,
  namespaceManifest,
  pullSecretManifest,
} from '../../cluster/kubernetes/manifests';
import { waitRollout } from '../../cluster/kubernetes/rollout';
import { KubernetesTarget } from '../../cluster/kubernetes/kubernetes-target';
import { ownLabels } from '../../cluster/kubernetes/names';
import { TargetError, type ReleaseSpec } from '../../cluster/target';

const log = (line: string) => console.log(`k8s-target: ${line}`);
const cluster = await clusterForTests('k8s-target', { registry: true, hostRouted: true, kubectl: true });

const instance = `dd-k8s-${process.pid}`;

interface KPod {
  metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string };
  status: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] };
}

interface Pod {
  name: string;
  type: string;
  release: string;
  state: string;
}

function settings(c: TestCluster): KubernetesSettings {
  return { kube: { kubeconfig: c.kubeconfig }, registry: { ...c.registry! } };
}

describe.skipIf(!cluster)('the Kubernetes target', () => {
  const APP = `k8s-${process.pid}`;
  let t: TestCore;
  let owner: Api;
  let pusher: Pusher;
  let work: string;
  let kubectl: Kubectl;
  let routerPort = 0;

  const pods = async (): Promise<KPod[]> =>
    (await kubectl.json<{ items: KPod[] }>(['-n', APP, 'get', 'pods', '-l', `app=${APP}`, '-o', 'json']))
      .items;
  const livePods = async () => (await pods()).filter((p) => !p.metadata.deletionTimestamp);
  const ps = async (): Promise<Pod[]> =>
    ((await owner.get(`/v2/apps/${APP}/pods/`)).body as { results: Pod[] }).results;
  /** What every running pod answers on its own address (the host routes pods). */
  const answers = async () =>
    Promise.all(
      (await livePods())
        .filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((p) => get(`http://${p.status.podIP}:5000/`)),
    );
  /** Resolves once every live pod is ready and answers `body`, and there are `count` of them. */
  const serving = (body: string, count = 1) =>
    eventually(`${count} pod(s) answering ${JSON.stringify(body)}`, async () => {
      const live = await livePods();
      if (live.length !== count) return undefined;
      const replies = await answers();
      return replies.length === count && replies.every((r) => r === body) ? replies : undefined;
    });
  const releases = async () =>
    (
      (await owner.get(`/v2/apps/${APP}/releases/`)).body as {
        results: { version: number; failed: boolean; summary: string }[];
      }
    ).results;
  const latest = async () => (await releases())[0]!;
  /** The release that should serve: the newest that did not fail. */
  const good = async () => (await releases()).find((r) => !r.failed)!;

  /** The table the target hands its router (the NoRouter keeps it until the cluster's router is plugged in). */
  const upstreams = () =>
    (t.core.target as unknown as { inner: KubernetesTarget }).inner.routes().find((r) => r.app === APP)
      ?.upstreams ?? [];
  /** `podIP:5000` of the ready pods that are not going away. */
  const readyAddresses = async () =>
    (await livePods())
      .filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => `${p.status.podIP}:5000`)
      .sort();

  beforeAll(async () => {
    await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    t = await startTestCore({
      target: 'kubernetes',
      kubernetes: settings(cluster!),
      instance,
      routerBase: BASE_IMAGE,
      log,
    });
    owner = await new Api(t.url).register('owner');
    pusher = new Pusher(t.core.builderPort, 'owner');
    await pusher.addKeyTo(owner);
    expect((await owner.post('/v2/apps/', { id: APP })).status).toBe(201);
    await owner.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '3' },
    });
    work = repoFromFolder(appFolder()).dir;
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    if (kubectl) {
      await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
      // The router's namespace too.
      await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
        () => '',
      );
    }
  });

  it('runs a pushed app as Deis did: a Deployment per type, the image by digest, pods up and answering', async () => {
    const r = await pusher.push(work, APP);
    expect(r.code, r.output).toBe(0);
    // The rollout's progress reaches the push: the pod scheduled and pulling, then ready 1/1.
    expect(r.remote).toContain('  cmd: 1/1 ready');
    expect(r.remote).toEqual(
      expect.arrayContaining([expect.stringMatching(/^  cmd: k8s-\d+-cmd-\w+-\w+ up$/)]),
    );
    const release = await latest();
    await serving(`v${release.version} hello\n`);
    expect(await ps()).toEqual([
      expect.objectContaining({ type: 'cmd', release: `v${release.version}`, state: 'up' }),
    ]);
    const d = await kubectl.json<{
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        strategy: { rollingUpdate: { maxUnavailable: number } };
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            imagePullSecrets: { name: string }[];
            terminationGracePeriodSeconds: number;
            containers: {
              image: string;
              readinessProbe: unknown;
              lifecycle?: { preStop?: { exec?: { command: string[] } } };
            }[];
          };
        };
      };
    }>(['-n', APP, 'get', 'deployment', `${APP}-cmd`, '-o', 'json']);
    expect(d.metadata.labels).toMatchObject({ app: APP, type: 'cmd', heritage: 'deis' });
    expect(d.metadata.annotations['kubernetes.io/change-cause']).toBe(release.summary);
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(d.spec.template.metadata.labels).toMatchObject({ version: `v${release.version}` });
    const pod = d.spec.template.spec;
    expect(pod.containers[0]!.image).toMatch(
      new RegExp(`^${cluster!.registry!.address}/${APP}@sha256:[0-9a-f]{64}$`),
    );
    expect(pod.imagePullSecrets).toEqual([{ name: 'deis-registry' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(3);
    expect(pod.containers[0]!.readinessProbe).toMatchObject({ tcpSocket: { port: 5000 } });
    // The Debian base has coreutils: the pod waits in preStop while the router lets it go.
    expect(pod.containers[0]!.lifecycle?.preStop?.exec?.command).toEqual(['/bin/sleep', '2']);
    const ns = await kubectl.json<{ metadata: { labels: Record<string, string> } }>([
      'get',
      'namespace',
      APP,
      '-o',
      'json',
    ]);
    expect(ns.metadata.labels).toMatchObject({ 'deis-desktop/instance': instance });
    const secret = await kubectl.json<{ data: Record<string, string> }>([
      '-n',
      APP,
      'get',
      'secret',
      `${APP}-v${release.version}-env`,
      '-o',
      'json',
    ]);
    const env = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(env).toMatchObject({ PORT: '5000', DEIS_APP: APP, WORKFLOW_RELEASE: `v${release.version}` });
    // The router in the cluster gets the ready pod's address, and the app answers through it.
    expect(upstreams()).toEqual(await readyAddresses());
    expect(upstreams()).toHaveLength(1);
    const info = (await owner.get('/v2/desktop/info/')).body as { router_url: string };
    expect(info.router_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    routerPort = Number(new URL(info.router_url).port);
    expect(await viaRouter(routerPort, `${APP}.localhost`)).toEqual({
      status: 200,
      body: `v${release.version} hello\n`,
    });
    expect((await viaRouter(routerPort, 'nobody.localhost')).status).toBe(404);
  }, 600_000);

  it('rolls out a config change as a new release, and the old pod goes', async () => {
    let emptied = false;
    const watching = setInterval(() => (emptied ||= upstreams().length === 0), 20);
    const r = await owner
      .post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'howdy' } })
      .finally(() => clearInterval(watching));
    expect(r.status, r.text).toBe(201);
    expect(emptied).toBe(false);
    const release = await latest();
    // The deploy returned: the new release serves.
    const now = await answers();
    expect(now).toContain(`v${release.version} howdy\n`);
    await serving(`v${release.version} howdy\n`);
    expect((await ps()).map((p) => p.release)).toEqual([`v${release.version}`]);
  }, 300_000);

  it('scales up and down', async () => {
    const up = await owner.post(`/v2/apps/${APP}/scale/`, { cmd: 3 });
    expect(up.status, up.text).toBe(204);
    const release = await latest();
    expect((await ps()).filter((p) => p.state === 'up')).toHaveLength(3);
    await serving(`v${release.version} howdy\n`, 3);
    expect(upstreams()).toHaveLength(3);
    expect(upstreams()).toEqual(await readyAddresses());
    const down = await owner.post(`/v2/apps/${APP}/scale/`, { cmd: 1 });
    expect(down.status, down.text).toBe(204);
    await serving(`v${release.version} howdy\n`, 1);
    expect(await ps()).toHaveLength(1);
    // The pods that went left the router's table as soon as they began to terminate.
    await eventually(
      'the table to follow the scale-down',
      async () => (JSON.stringify(upstreams()) === JSON.stringify(await readyAddresses()) ? true : undefined),
      10_000,
    );
  }, 300_000);

  it('autoscales a type with a HorizontalPodAutoscaler of the version the cluster serves, and removes it on unset', async () => {
    const set = await owner.post(`/v2/apps/${APP}/settings/`, {
      autoscale: { cmd: { min: 1, max: 3, cpu_percent: 50 } },
    });
    expect(set.status, set.text).toBe(201);
    // This cluster (1.20) serves autoscaling/v2beta2, not v2: the target negotiated down.
    const hpa = JSON.parse(
      await kubectl([
        'get',
        '--raw',
        `/apis/autoscaling/v2beta2/namespaces/${APP}/horizontalpodautoscalers/${APP}-cmd`,
      ]),
    ) as { metadata: { labels: Record<string, string> }; spec: unknown };
    expect(hpa.metadata.labels).toMatchObject({ 'deis-desktop/instance': instance, type: 'cmd' });
    expect(hpa.spec).toMatchObject({
      minReplicas: 1,
      maxReplicas: 3,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${APP}-cmd` },
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    });
    const unset = await owner.post(`/v2/apps/${APP}/settings/`, { autoscale: { cmd: null } });
    expect(unset.status, unset.text).toBe(201);
    expect((await kubectl(['-n', APP, 'get', 'hpa', '-o', 'name'])).trim()).toBe('');
  }, 120_000);

  it('rolls back to the release before', async () => {
    const before = await latest();
    const r = await owner.post(`/v2/apps/${APP}/releases/rollback/`, {});
    expect(r.status, r.text).toBe(201);
    const release = await latest();
    expect(release.version).toBe(before.version + 1);
    await serving(`v${release.version} hello\n`);
  }, 300_000);

  it('runs a one-off command with the release environment, returns its exit code and leaves no pod', async () => {
    const release = await latest();
    const r = await owner.post(`/v2/apps/${APP}/run`, {
      command: 'echo "$DEIS_APP $WORKFLOW_RELEASE"; printf partial; exit 7',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ exit_code: 7, output: `${APP} v${release.version}\npartial` });
    await eventually('the run pod to go', async () =>
      (await kubectl.json<{ items: KPod[] }>(['-n', APP, 'get', 'pods', '-o', 'json'])).items.some((p) =>
        p.metadata.name.startsWith(`${APP}-run-`),
      )
        ? undefined
        : true,
    );
  }, 300_000);

  it("keeps the processes' and the controller's lines in Deis's format, and follows new ones", async () => {
    const time = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00';
    const text = await eventually('the app line in the log', async () => {
      const r = await owner.get(`/v2/apps/${APP}/logs?log_lines=200`);
      return r.text.includes('listening on') ? r.text : undefined;
    });
    expect(text).toMatch(new RegExp(`${time} ${APP}\\[cmd\\.v\\d+\\.[a-z0-9-]+\\]: listening on \\d+`));
    expect(text).toMatch(new RegExp(`${time} deis\\[controller\\]: INFO `));
    // logs -f: the stream the CLI reads; a restart's new process says it listens.
    const stop = new AbortController();
    const res = await fetch(`${t.url}/v2/desktop/apps/${APP}/logs/?follow=true`, {
      headers: { authorization: `token ${owner.token}` },
      signal: stop.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = '';
    const afterRestart = () => (seen.includes('restarting') ? seen.slice(seen.indexOf('restarting')) : '');
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += new TextDecoder().decode(value);
        if (afterRestart().includes('listening on')) return;
      }
    })();
    await owner.post(`/v2/apps/${APP}/pods/restart/`, {});
    await Promise.race([reading, new Promise((r) => setTimeout(r, 60_000))]);
    stop.abort();
    // The new process's first line arrives on the stream that was open before it started.
    expect(afterRestart()).toMatch(/listening on \d+/);
  }, 300_000);

  it('restarts one pod by name: its replacement is ready before it goes', async () => {
    const [old] = await ps();
    // The router's table is never empty: the old pod serves until its replacement is ready.
    let emptied = false;
    const watching = setInterval(() => (emptied ||= upstreams().length === 0), 20);
    const r = await owner
      .post(`/v2/apps/${APP}/pods/cmd/${old!.name}/restart/`)
      .finally(() => clearInterval(watching));
    expect(emptied).toBe(false);
    expect([200, 201, 204], r.text).toContain(r.status);
    const after = await ps();
    expect(after).toHaveLength(1);
    expect(after[0]!.name).not.toBe(old!.name);
    expect(after[0]!.state).toBe('up');
    const release = await latest();
    await serving(`v${release.version} hello\n`);
  }, 300_000);

  it('restarts every pod of a type, keeping the router supplied throughout', async () => {
    const names = (await ps()).map((p) => p.name);
    let emptied = false;
    const watching = setInterval(() => (emptied ||= upstreams().length === 0), 20);
    const r = await owner.post(`/v2/apps/${APP}/pods/cmd/restart/`).finally(() => clearInterval(watching));
    expect(r.status, r.text).toBe(200);
    expect(emptied).toBe(false);
    const after = (r.body as { name: string; state: string }[]).filter((p) => p.state === 'up');
    expect(after).toHaveLength(1);
    expect(names).not.toContain(after[0]!.name);
  }, 300_000);

  it('places pods with tags:set on matching nodes, and refuses tags no node has', async () => {
    const bad = await owner.post(`/v2/apps/${APP}/config/`, { tags: { 'deis-test/nowhere': 'yes' } });
    expect(bad.status, bad.text).toBe(400);
    const r = await owner.post(`/v2/apps/${APP}/config/`, { tags: { 'kubernetes.io/os': 'linux' } });
    expect(r.status, r.text).toBe(201);
    const release = await latest();
    await serving(`v${release.version} hello\n`);
    const selector = await kubectl([
      '-n',
      APP,
      'get',
      'deployment',
      `${APP}-cmd`,
      '-o',
      'jsonpath={.spec.template.spec.nodeSelector}',
    ]);
    expect(JSON.parse(selector)).toEqual({ 'kubernetes.io/os': 'linux' });
  }, 300_000);

  it('a release that crashes on boot fails with its log and the one before keeps serving', async () => {
    const before = await latest();
    const podsBefore = (await livePods()).map((p) => p.metadata.name).sort();
    fs.writeFileSync(
      path.join(work, 'server.pl'),
      fs.readFileSync(path.join(appFolder('crash'), 'server.pl')),
    );
    git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'broken start');
    const r = await pusher.push(work, APP);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain('this release cannot start');
    expect(await latest()).toMatchObject({ version: before.version + 1, failed: true });
    await serving(`v${before.version} hello\n`);
    expect((await livePods()).map((p) => p.metadata.name).sort()).toEqual(podsBefore);
    git(work, 'revert', '--no-edit', 'HEAD');
  }, 600_000);

  it('a release whose readiness probe never passes fails as not ready and the one before keeps serving', async () => {
    const before = await good();
    const r = await owner.post(`/v2/apps/${APP}/config/`, {
      values: { DEIS_DEPLOY_TIMEOUT: '8' },
      healthcheck: { cmd: { readinessProbe: { tcpSocket: { port: 5999 }, periodSeconds: 1 } } },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('was not ready within 8 seconds');
    const failed = await latest();
    expect(failed.failed).toBe(true);
    expect(failed.version).toBeGreaterThan(before.version);
    await serving(`v${before.version} hello\n`);
    expect((await ps()).map((p) => p.release)).toEqual([`v${before.version}`]);
  }, 300_000);

  it('instance:stop removes the pods, and instance:start brings the release back', async () => {
    const release = await good();
    const stop = await owner.post('/v2/desktop/instance/stop/');
    expect(stop.status, stop.text).toBe(200);
    // Every pod is on its way out at once (pod objects may linger in Terminating on this cluster a
    // minute after their containers stopped).
    await eventually(
      'the pods to go',
      async () => ((await livePods()).length === 0 ? true : undefined),
      60_000,
    );
    expect(await ps()).toEqual([]);
    const start = await owner.post('/v2/desktop/instance/start/');
    expect(start.status, start.text).toBe(200);
    await serving(`v${release.version} hello\n`);
  }, 300_000);

  it('drops no request through the router over 10 rounds of config change, scale-down and rollback', async () => {
    // Set by the routing test above: if that failed, this one has no router to load.
    expect(routerPort, 'the router test above found no router port').toBeGreaterThan(0);
    await owner.post(`/v2/apps/${APP}/scale/`, { cmd: 2 });
    const load = new Load(routerPort, `${APP}.localhost`, 4);
    try {
      for (let round = 1; round <= 10; round++) {
        const before = await good();
        const config = await owner.post(`/v2/apps/${APP}/config/`, { values: { ROUND: String(round) } });
        expect(config.status, config.text).toBe(201);
        expect((await owner.post(`/v2/apps/${APP}/scale/`, { cmd: 1 })).status).toBe(204);
        expect((await owner.post(`/v2/apps/${APP}/scale/`, { cmd: 2 })).status).toBe(204);
        const back = await owner.post(`/v2/apps/${APP}/releases/rollback/`, { version: before.version });
        expect(back.status, back.text).toBe(201);
      }
    } finally {
      await load.stop();
    }
    console.log(`k8s-target: ${load.ok} requests through the router, ${load.failedCount} failed`);
    expect(load.failures).toEqual([]);
    expect(load.ok).toBeGreaterThan(100);
  }, 900_000);

  it('destroy removes the namespace', async () => {
    const r = await owner.delete(`/v2/apps/${APP}/`);
    expect(r.status, r.text).toBe(204);
    await eventually('the namespace to be gone', async () =>
      (await kubectl(['get', 'namespace', APP, '--ignore-not-found'])).trim() === '' ? true : undefined,
    );
  }, 300_000);
});

describe.skipIf(!cluster)('a core killed in the middle of a rollout', () => {
  const APP = `k8s-kill-${process.pid}`;
  const killInstance = `dd-k8skill-${process.pid}`;
  let home: string;
  let core: CoreProcess | undefined;
  let kubectl: Kubectl;

  afterAll(async () => {
    await core?.kill();
    if (kubectl) {
      await kubectl(['delete', 'namespace', APP, '--ignore-not-found', '--wait=false']).catch(() => '');
      await kubectl([
        'delete',
        'namespace',
        '-l',
        `deis-desktop/instance=${killInstance}`,
        '--wait=false',
      ]).catch(() => '');
    }
    if (home) fs.rmSync(home, { recursive: true, force: true });
    // The app is never destroyed through the API (its core is killed): its build images go here.
    await removeAppImages([APP]);
  });

  it('is restarted and finishes it, with no duplicate pods', async () => {
    await ensureBaseImage();
    kubectl = kubectlFor(cluster!.kubeconfig);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-kill-'));
    const env = {
      DEIS_TARGET: 'kubernetes',
      DEIS_KUBECONFIG: cluster!.kubeconfig,
      DEIS_REGISTRY: cluster!.registry!.address,
      DEIS_REGISTRY_USERNAME: cluster!.registry!.username,
      DEIS_REGISTRY_PASSWORD: cluster!.registry!.password,
    };
    const start = async () =>
      startCoreProcess({
        home,
        instance: killInstance,
        apiPort: await freePort(),
        routerPort: 0,
        routerBase: BASE_IMAGE,
        env,
      });
    core = await start();
    const owner = await new Api(core.url).register('owner');
    const pusher = new Pusher(await builderPort(owner), 'killer');
    try {
      await pusher.addKeyTo(owner);
      await owner.post('/v2/apps/', { id: APP });
      await owner.post(`/v2/apps/${APP}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
      });
      const work = repoFromFolder(appFolder()).dir;
      const pushed = await pusher.push(work, APP);
      expect(pushed.code, pushed.output).toBe(0);
      // A release whose pods take 10 s to listen: the core is killed while they start.
      void owner.post(`/v2/apps/${APP}/config/`, { values: { STARTUP_DELAY: '10' } }).catch(() => undefined);
      const list = async () =>
        (await kubectl.json<{ items: KPod[] }>(['-n', APP, 'get', 'pods', '-l', `app=${APP}`, '-o', 'json']))
          .items;
      const newVersion = await eventually('a pod of the new release', async () => {
        const versions = (await list()).map((p) => Number(p.metadata.labels.version!.slice(1)));
        return versions.length > 1 ? Math.max(...versions) : undefined;
      });
      await core.kill();
      // Left on the cluster by this instance for an app the store does not know: removed on start.
      const ghost = `k8s-ghost-${process.pid}`;
      await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: ghost, labels: { ...ownLabels(killInstance, 'app'), app: ghost } },
        }),
      );
      core = await start();
      const again = new Api(core.url, owner.token);
      // The restarted core finished the rollout: one pod, of the new release, answering.
      await eventually(
        'the new release to serve alone',
        async () => {
          const live = (await list()).filter((p) => !p.metadata.deletionTimestamp);
          if (live.length !== 1 || live[0]!.metadata.labels.version !== `v${newVersion}`) return undefined;
          return (await get(`http://${live[0]!.status.podIP}:5000/`)) === `v${newVersion} hello\n`
            ? true
            : undefined;
        },
        120_000,
      );
      await eventually(
        'the orphan namespace to go',
        async () =>
          (
            await kubectl(['get', 'namespace', ghost, '--ignore-not-found', '-o', 'jsonpath={.status.phase}'])
          ).trim() !== 'Active'
            ? true
            : undefined,
        30_000,
      );
      const rs = await kubectl.json<{ items: { spec: { replicas: number } }[] }>([
        '-n',
        APP,
        'get',
        'rs',
        '-o',
        'json',
      ]);
      expect(rs.items.reduce((n, r) => n + r.spec.replicas, 0)).toBe(1);
      const releases = (await again.get(`/v2/apps/${APP}/releases/`)).body as {
        results: { version: number; failed: boolean }[];
      };
      expect(releases.results[0]).toMatchObject({ version: newVersion, failed: false });
    } finally {
      pusher.remove();
    }
  }, 600_000);
});

async function builderPort(api: Api): Promise<number> {
  const info = (await api.get('/v2/desktop/info/')).body as { builder_port: number };
  return info.builder_port;
}

describe('a cluster whose API server does not answer', () => {
  it('is unavailable, with a sentence naming the server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-kubeconfig-'));
    const port = await freePort();
    const file = path.join(dir, 'config');
    fs.writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'gone',
      }),
    );
    try {
      const target = new KubernetesTarget({
        instance: 'dd-k8s-gone',
        kube: { kubeconfig: file },
        registry: { address: '127.0.0.1:1' },
        home: os.tmpdir(),
      });
      const err = await target.ensureReady([]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetError);
      expect(err).toMatchObject({ code: 'unavailable' });
      expect((err as Error).message).toContain(
        `The Kubernetes API server at https://127.0.0.1:${port} (context gone) does not answer`,
      );
      const missing = await new KubernetesTarget({
        instance: 'dd-k8s-gone',
        kube: { kubeconfig: file, context: 'other' },
        registry: { address: '127.0.0.1:1' },
        home: os.tmpdir(),
      })
        .ensureReady([])
        .catch((e: unknown) => e);
      expect((missing as Error).message).toContain('has no context named other (it has: gone)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!cluster)('a rollout whose image cannot be pulled', () => {
  const ns = `k8s-pull-${process.pid}`;
  let kubectl: Kubectl;

  afterAll(async () => {
    if (kubectl)
      await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => '');
  });

  it('fails as image_missing with the registry’s reason, well before the deploy timeout', async () => {
    kubectl = kubectlFor(cluster!.kubeconfig);
    const kube = await connectKube({ kubeconfig: cluster!.kubeconfig });
    const registry = cluster!.registry!;
    const release: ReleaseSpec = {
      app: ns,
      version: 2,
      image: 'unused',
      procfile: {},
      dockerfile: true,
      sha: '',
      summary: 'a release whose image is not in the registry',
      created: new Date().toISOString(),
      values: {},
      memory: {},
      cpu: {},
      healthcheck: {},
    };
    await kube.core.createNamespace({ body: namespaceManifest(instance, ns) });
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: pullSecretManifest(instance, ns, registry),
    });
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: envSecretManifest(instance, release, 5000),
    });
    await kube.apps.createNamespacedDeployment({
      namespace: ns,
      body: deploymentManifest({
        instance,
        release,
        type: 'cmd',
        replicas: 1,
        image: `${registry.address}/${ns}@sha256:${'0'.repeat(64)}`,
        port: 5000,
        routed: 'cmd',
        preStop: { kind: 'none' },
      }),
    });
    const started = Date.now();
    const failure = await waitRollout(kube, {
      namespace: ns,
      app: ns,
      deployments: [{ name: `${ns}-cmd`, type: 'cmd', replicas: 1 }],
      timeoutMs: 120_000,
      progress: () => {},
      since: started,
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TargetError);
    expect(failure).toMatchObject({ code: 'image_missing' });
    expect((failure as Error).message).toMatch(
      new RegExp(`^${ns}-cmd-[a-z0-9]+-[a-z0-9]+ cannot pull its image`),
    );
    expect(Date.now() - started).toBeLessThan(90_000);
  }, 180_000);
});

// The lease on the cluster is given back once every describe above is done: a test cluster the
// tests started stops when its last lease goes, and later describes of this file still need it.
afterAll(async () => {
  await cluster?.release();
}, 180_000);
