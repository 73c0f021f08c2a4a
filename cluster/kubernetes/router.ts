/**
 * The router on a Kubernetes cluster: the same nginx + Lua image, nginx.conf and tables as on Docker
 * (cluster/docker/router/), run as one pod in a namespace of its own behind a NodePort Service (see
 * router-pod/objects.ts for what is created and why). The core sets the tables through the API server:
 * a kept-open port-forward to 127.0.0.1 inside each router pod (router-pod/status-channel.ts), so no
 * app and no other program on the cluster's network can change them.
 *
 * Every router pod that runs gets the tables: a watch of the router's pods hands a new pod (a
 * restart, a rolling update) what the core last applied, and the pod turns ready (gets traffic) only
 * once it holds them. What a running pod serves is read back by `ensure`, so a restarted core knows.
 *
 * Zero downtime: a change of the router itself (image, nginx.conf) is a rolling update in which the
 * old pod serves until the new one holds its tables and is ready, then drains: the core tells it it is
 * leaving, so each answer it gives closes its connection and keep-alive clients reconnect to the new
 * one before nginx quits (and closes the idle ones). A router pod that is
 * deleted or whose node goes away is the one case with a gap: with one replica, new connections
 * are refused from the moment it leaves the Service until its replacement is ready (seconds; the
 * core hands it the tables as soon as it runs). Requests it was serving finish.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type Docker from 'dockerode';
import type * as k8s from '@kubernetes/client-node';
import { apiReason, apiStatus, orMissing, type Kube } from './client';
import { routerNamespace, selector, LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGED_BY } from './names';
import { repositoryFor, type TargetRegistry } from './push';
import { deliverImage, deliveryPlace, loadedRef, needsPullSecret, type ImageDelivery } from './delivery';
import {
  ANNOTATION_LOCAL_IMAGE,
  CONFIG_SECRET,
  CONTAINER,
  configHash,
  configSecretObject,
  deploymentObject,
  namespaceObject,
  pullSecretObject,
  ROUTER_NAME,
  serviceObject,
  type RouterFiles,
} from './router-pod/objects';
import { execInPod } from './router-pod/exec';
import { StatusChannel } from './router-pod/status-channel';
import {
  parseTrafficCounters,
  renderBackends,
  renderCerts,
  renderRouterConfig,
  renderRoutes,
  STATUS_PORT,
  type LocalCertificates,
  type RouteEntry,
} from '../docker/router/config';
import { ensureRouterImage } from '../docker/router/image';
import { METRICS_LUA } from '../docker/router/metrics-lua';
import { STATE_DIR } from '../docker/router/lua';
import { TargetError, type Progress, type TrafficCounters } from '../target';
import { PULL_SECRET } from './names';
import {
  KUBE_ROUTER_ANSWER_MS,
  KUBE_ROUTER_MAX_PODS,
  KUBE_ROUTER_NAMESPACE_WAIT_MS,
  KUBE_ROUTER_START_MS,
  KUBE_ROUTER_STATUS_REQUEST_MS,
  KUBE_ROUTER_TABLE_BYTES,
  KUBE_ROUTER_WATCH_RETRY_MS,
} from '../../main/contract/limits';

export interface KubeRouterOptions {
  /** DEIS_INSTANCE: names the router's namespace and labels what it creates. */
  instance: string;
  /** DEIS_ROUTER_BASE: the Debian image nginx is installed on (the image is built locally). */
  base: string;
  /** Where the router image is pushed for the cluster to pull (the `registry` delivery). */
  registry?: TargetRegistry;
  /** How the router image reaches the nodes; `{ kind: 'registry', registry }` when absent. */
  delivery?: ImageDelivery;
  platformDomain: string;
  /** A fixed nodePort for HTTP; 0 or absent: the cluster's choice (kept across restarts). */
  port?: number;
  /** A fixed nodePort for HTTPS; 0 or absent: the cluster's choice (kept across restarts). */
  tlsPort?: number;
  /** The address the host reaches the cluster's nodes at; absent: the router pod's node's own. */
  host?: string;
  /** Leaves of the local certificate authority for names under the platform domain. */
  localCertificates?: LocalCertificates;
  /** What nginx serves to a name it has no certificate for (and needs to start at all). */
  fallbackCertificate: { certificate: string; key: string };
}

/** The three tables, as the status port takes them (certificates first, backends last). */
const TABLES = ['certs', 'routes', 'backends'] as const;
type TableName = (typeof TABLES)[number];
type Tables = Record<TableName, string>;

/** A router pod the core keeps tables in. */
interface PodState {
  channel: StatusChannel;
  /** What it holds now, as far as the core knows. */
  applied: Partial<Tables>;
  /** Leaving (deleted): it still gets tables while it drains, but its failures are not the caller's. */
  leaving: boolean;
  /** Table updates of this pod, one at a time. */
  queue: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The repository the router image goes to (in the registry, or in the loaded image's name). */
const ROUTER_REPOSITORY = 'deis-desktop/router';

/** Why a pod cannot start, when it is a reason that waiting does not cure. */
const STUCK = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

export class KubeRouter {
  /** The nodePort clients reach HTTP on. */
  publicPort = 0;
  /** The nodePort clients reach HTTPS on. */
  tlsPublicPort = 0;
  /** How the host reaches the router: `http://<node address>:<nodePort>`. */
  url = '';
  /** ...and its HTTPS: `https://<node address>:<nodePort>`. */
  tlsUrl = '';
  readonly namespace: string;
  /** What the core last applied (or, after ensure, what the router served). */
  private tables: Tables | undefined;
  private readonly pods = new Map<string, PodState>();
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private latest: RouteEntry[] = [];
  private watching: AbortController | undefined;
  private watchStarted = false;
  private closed = false;

  constructor(
    private readonly kube: Kube,
    private readonly docker: Docker,
    private readonly options: KubeRouterOptions,
  ) {
    this.namespace = routerNamespace(options.instance);
    const delivery =
      options.delivery ?? (options.registry ? { kind: 'registry', registry: options.registry } : undefined);
    if (!delivery) throw new Error('The router needs a registry or an image loader.');
    this.delivery = delivery;
  }

  private readonly delivery: ImageDelivery;

  /** Makes (or brings up to date) the router on the cluster and waits until a router pod runs. */
  async ensure(progress: Progress): Promise<void> {
    const { instance } = this.options;
    await this.ensureNamespace(progress);
    const delivery = this.delivery;
    if (delivery.kind === 'registry')
      await this.put(
        'Secret',
        PULL_SECRET,
        pullSecretObject(instance, this.namespace, delivery.registry),
        (name, body) => this.kube.core.replaceNamespacedSecret({ name, namespace: this.namespace, body }),
        (body) => this.kube.core.createNamespacedSecret({ namespace: this.namespace, body }),
        (existing) =>
          existing.data?.['.dockerconfigjson'] ===
          pullSecretObject(instance, this.namespace, delivery.registry).data?.['.dockerconfigjson'],
        (name) => this.kube.core.readNamespacedSecret({ name, namespace: this.namespace }),
      );
    const existing = await this.currentDeployment(progress);
    const image = await this.image(existing, progress);
    await this.ensureService();
    const hash = await this.ensureConfig();
    const wanted = deploymentObject(
      instance,
      this.namespace,
      image.remote,
      image.local,
      hash,
      needsPullSecret(delivery),
    );
    const fingerprint = createHash('sha256').update(JSON.stringify(wanted.spec)).digest('hex').slice(0, 16);
    wanted.metadata!.annotations![ANNOTATION_SPEC] = fingerprint;
    if (!existing) {
      progress({ kind: 'step', message: `Starting the router in the namespace ${this.namespace}` });
      await this.call('create the router', () =>
        this.kube.apps.createNamespacedDeployment({ namespace: this.namespace, body: wanted }),
      );
    } else if (existing.metadata?.annotations?.[ANNOTATION_SPEC] !== fingerprint) {
      progress({ kind: 'step', message: `Updating the router in the namespace ${this.namespace}` });
      wanted.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      await this.call('update the router', () =>
        this.kube.apps.replaceNamespacedDeployment({
          name: ROUTER_NAME,
          namespace: this.namespace,
          body: wanted,
        }),
      );
    }
    const pod = await this.waitForPod(progress);
    const host = this.options.host ?? (await this.nodeAddress(pod.spec?.nodeName));
    const at = host.includes(':') ? `[${host}]` : host;
    this.url = `http://${at}:${this.publicPort}`;
    this.tlsUrl = `https://${at}:${this.tlsPublicPort}`;
    await this.readBack();
    // A router that held no tables (a new one) starts with empty ones: it answers 404 to every
    // host until the core routes its apps, as a new router container does on Docker.
    this.tables ??= { certs: '', routes: '', backends: '' };
    this.watch();
    await this.feedAll();
    await this.waitUntilServing(progress);
  }

  /** What the router serves now: app → `ip:port`s (as the last core left it, right after `ensure`). */
  backends(): Map<string, string[]> {
    const table = new Map<string, string[]>();
    for (const line of (this.tables?.backends ?? '').split('\n')) {
      const [app, ...peers] = line.trim().split(/\s+/);
      if (app) table.set(app, peers);
    }
    return table;
  }

  /**
   * Routes `routes` and resolves once every running router pod serves them to new requests. Calls
   * made while an apply runs are folded into one more apply with the newest routes.
   */
  apply(routes: RouteEntry[]): Promise<void> {
    this.latest = routes;
    this.queued ??= (this.running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.running = this.applyNow(this.latest);
        return this.running;
      });
    return this.queued;
  }

  /**
   * Waits until processes taken out of rotation have finished the requests every router pod gave
   * them (at most `timeoutMs`), so stopping them cuts nothing short. False when time ran out.
   */
  async drained(peers: string[], timeoutMs: number): Promise<boolean> {
    if (peers.length === 0) return true;
    // A balancer that picked a peer just before the switch counts its request a moment later.
    await sleep(50);
    const deadline = Date.now() + timeoutMs;
    const path = `/inflight?peers=${peers.map(encodeURIComponent).join(',')}`;
    while (Date.now() < deadline) {
      const counts = await Promise.all(
        [...this.pods.values()].map((p) =>
          p.channel
            .request(
              'GET',
              path,
              undefined,
              Math.max(100, Math.min(KUBE_ROUTER_STATUS_REQUEST_MS, deadline - Date.now())),
            )
            .then((r) => (r.status === 200 ? Number(r.text.trim()) : NaN))
            // A pod that has gone took its requests with it; one that is there but does not answer is unknown.
            .catch(() => (p.leaving || p.channel.closed ? 0 : NaN)),
        ),
      );
      if (counts.every((n) => n === 0)) return true;
      await sleep(100);
    }
    return false;
  }

  /**
   * Every routed app's request counters (docker/router/metrics-lua.ts), summed over the router pods
   * that serve. Undefined while there is none, or when one does not answer: a sum that left a pod out
   * would look like a router restart to the reader, which then counts everything again.
   */
  async trafficCounters(): Promise<TrafficCounters[] | undefined> {
    const serving = [...this.pods.values()].filter((p) => !p.leaving && !p.channel.closed);
    if (serving.length === 0) return undefined;
    const answers = await Promise.all(
      serving.map((p) =>
        p.channel
          .request('GET', '/metrics')
          .then((r) => (r.status === 200 ? parseTrafficCounters(r.text) : undefined))
          .catch(() => undefined),
      ),
    );
    if (answers.some((a) => a === undefined)) return undefined;
    const sums = new Map<string, TrafficCounters>();
    for (const c of answers.flat() as TrafficCounters[]) {
      const sum = sums.get(c.app);
      if (!sum) {
        sums.set(c.app, { ...c, requests: [...c.requests], latency: [...c.latency] });
        continue;
      }
      c.requests.forEach((n, i) => (sum.requests[i] = sum.requests[i]! + n));
      c.latency.forEach((n, i) => (sum.latency[i] = (sum.latency[i] ?? 0) + n));
      sum.bytesOut += c.bytesOut;
    }
    return [...sums.values()];
  }

  /** Stops the watch and closes the kept-open connections. */
  close(): void {
    this.closed = true;
    this.watching?.abort();
    this.watching = undefined;
    for (const p of this.pods.values()) p.channel.close();
    this.pods.clear();
  }

  // --- the objects -------------------------------------------------------------------------------

  private async ensureNamespace(progress: Progress): Promise<void> {
    const deadline = Date.now() + KUBE_ROUTER_NAMESPACE_WAIT_MS;
    let told = false;
    for (;;) {
      const ns = await this.call('read the router namespace', () =>
        orMissing(this.kube.core.readNamespace({ name: this.namespace })),
      );
      if (!ns) {
        try {
          await this.kube.core.createNamespace({
            body: namespaceObject(this.options.instance, this.namespace),
          });
          return;
        } catch (err) {
          if (apiStatus(err) !== 409) throw this.failed('create the router namespace', err);
          continue;
        }
      }
      const labels = ns.metadata?.labels ?? {};
      if (labels[LABEL_MANAGED_BY] !== MANAGED_BY || labels[LABEL_INSTANCE] !== this.options.instance)
        throw new TargetError(
          'setup',
          `The namespace ${this.namespace} on the cluster is not this Deis Desktop's router's; remove it, or set DEIS_INSTANCE to another name.`,
        );
      if (!ns.metadata?.deletionTimestamp) return;
      if (Date.now() > deadline)
        throw new TargetError(
          'setup',
          `The namespace ${this.namespace} is still being deleted on the cluster; try again when it is gone.`,
        );
      if (!told)
        progress({ kind: 'step', message: `Waiting for the old namespace ${this.namespace} to be deleted` });
      told = true;
      await sleep(1000);
    }
  }

  /** The router's Deployment, once one being deleted is gone (then: none). */
  private async currentDeployment(progress: Progress): Promise<k8s.V1Deployment | undefined> {
    const deadline = Date.now() + KUBE_ROUTER_START_MS;
    for (let told = false; ; told = true) {
      const current = await this.call('read the router', () =>
        orMissing(this.kube.apps.readNamespacedDeployment({ name: ROUTER_NAME, namespace: this.namespace })),
      );
      if (!current?.metadata?.deletionTimestamp) return current;
      if (Date.now() > deadline)
        throw new TargetError(
          'setup',
          `The router's old Deployment in ${this.namespace} is still being deleted; try again when it is gone.`,
        );
      if (!told) progress({ kind: 'step', message: 'Waiting for the removed router to be gone' });
      await sleep(500);
    }
  }

  /**
   * The router image on the cluster: on the registry by digest, or loaded into the nodes by its ID;
   * delivered unless the Deployment runs this very image.
   */
  private async image(
    existing: k8s.V1Deployment | undefined,
    progress: Progress,
  ): Promise<{ local: string; remote: string }> {
    const local = await ensureRouterImage(this.docker, this.options.base, this.options.instance, progress);
    const delivery = this.delivery;
    const running = existing?.spec?.template.spec?.containers.find((c) => c.name === CONTAINER)?.image;
    const same = existing?.metadata?.annotations?.[ANNOTATION_LOCAL_IMAGE] === local;
    if (same && delivery.kind === 'registry') {
      const repository = repositoryFor(delivery.registry, ROUTER_REPOSITORY);
      if (running?.startsWith(`${repository}@sha256:`)) return { local, remote: running };
    }
    if (same && delivery.kind === 'load') {
      const id = (await this.docker.getImage(local).inspect()).Id;
      if (running === loadedRef(ROUTER_REPOSITORY, id)) return { local, remote: running };
    }
    progress({
      kind: 'step',
      message: `${delivery.kind === 'registry' ? 'Pushing the router image to' : 'Loading the router image into'} ${deliveryPlace(delivery)}`,
      preparing: true,
    });
    const remote = await deliverImage(
      this.docker,
      delivery,
      local,
      ROUTER_REPOSITORY,
      local.split(':').pop()!,
      (line) => progress({ kind: 'log', line }),
    );
    return { local, remote };
  }

  /** The NodePort Service: ports as asked, else as the cluster chose them before. */
  private async ensureService(): Promise<void> {
    const { instance } = this.options;
    const current = await this.call('read the router service', () =>
      orMissing(this.kube.core.readNamespacedService({ name: ROUTER_NAME, namespace: this.namespace })),
    );
    const had = (name: string) => current?.spec?.ports?.find((p) => p.name === name)?.nodePort ?? 0;
    const wanted = serviceObject(instance, this.namespace, {
      http: this.options.port || had('http'),
      https: this.options.tlsPort || had('https'),
    });
    let service: k8s.V1Service;
    try {
      if (!current)
        service = await this.kube.core.createNamespacedService({ namespace: this.namespace, body: wanted });
      else if (
        had('http') !== (wanted.spec!.ports![0]!.nodePort ?? 0) ||
        had('https') !== (wanted.spec!.ports![1]!.nodePort ?? 0) ||
        current.spec?.externalTrafficPolicy !== wanted.spec!.externalTrafficPolicy ||
        current.spec?.type !== 'NodePort'
      ) {
        wanted.metadata!.resourceVersion = current.metadata?.resourceVersion;
        wanted.spec!.clusterIP = current.spec?.clusterIP;
        service = await this.kube.core.replaceNamespacedService({
          name: ROUTER_NAME,
          namespace: this.namespace,
          body: wanted,
        });
      } else service = current;
    } catch (err) {
      if (apiStatus(err) === 422) {
        const asked = [this.options.port, this.options.tlsPort].filter(Boolean).join(' and ');
        throw new TargetError(
          'setup',
          `The cluster refused the router's port${asked ? ` ${asked}` : ''}: ${apiReason(err)}; set DEIS_ROUTER_PORT and DEIS_ROUTER_TLS_PORT to free ports in the cluster's NodePort range (30000-32767 by default), or to 0 to let the cluster choose.`,
        );
      }
      throw this.failed('make the router service', err);
    }
    const port = (name: string) => service.spec?.ports?.find((p) => p.name === name)?.nodePort ?? 0;
    this.publicPort = port('http');
    this.tlsPublicPort = port('https');
  }

  /** nginx.conf and the fallback certificate; returns their hash (in the pod template: a change rolls the pod). */
  private async ensureConfig(): Promise<string> {
    const nginxConf = renderRouterConfig({
      publicPort: this.publicPort,
      tlsPublicPort: this.tlsPublicPort,
      generation: 0,
      metrics: true,
    });
    const current = await this.call('read the router configuration', () =>
      orMissing(this.kube.core.readNamespacedSecret({ name: CONFIG_SECRET, namespace: this.namespace })),
    );
    const text = (key: string) => Buffer.from(current?.data?.[key] ?? '', 'base64').toString('utf8');
    // The fallback certificate is issued anew by each core; the one the router has stays while
    // nginx.conf does, so a core's restart does not restart the router.
    if (
      current &&
      text('nginx.conf') === nginxConf &&
      text('deis_metrics.lua') === METRICS_LUA &&
      text('fallback.pem')
    )
      return configHash({ nginxConf, fallback: text('fallback.pem'), metricsLua: METRICS_LUA });
    const fb = this.options.fallbackCertificate;
    const files: RouterFiles = {
      nginxConf,
      fallback: `${fb.certificate.trim()}\n${fb.key.trim()}\n`,
      metricsLua: METRICS_LUA,
    };
    const body = configSecretObject(this.options.instance, this.namespace, files);
    await this.call('store the router configuration', () =>
      current
        ? this.kube.core.replaceNamespacedSecret({ name: CONFIG_SECRET, namespace: this.namespace, body })
        : this.kube.core.createNamespacedSecret({ namespace: this.namespace, body }),
    );
    return configHash(files);
  }

  /** Creates, or replaces when it differs, one object. */
  private async put<T>(
    kind: string,
    name: string,
    body: T & { metadata?: k8s.V1ObjectMeta },
    replace: (name: string, body: T) => Promise<unknown>,
    create: (body: T) => Promise<unknown>,
    same: (existing: T) => boolean,
    read: (name: string) => Promise<T & { metadata?: k8s.V1ObjectMeta }>,
  ): Promise<void> {
    const current = await this.call(`read the router's ${kind}`, () => orMissing(read(name)));
    if (current && same(current)) return;
    if (current) body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion };
    await this.call(`store the router's ${kind}`, () => (current ? replace(name, body) : create(body)));
  }

  /** Waits until a router pod runs; fails early on a reason waiting does not cure. */
  private async waitForPod(progress: Progress): Promise<k8s.V1Pod> {
    const deadline = Date.now() + KUBE_ROUTER_START_MS;
    let said = '';
    for (;;) {
      const pods = await this.listPods();
      const live = pods.find((p) => isRunning(p) && !p.metadata?.deletionTimestamp);
      if (live) return live;
      const waiting = pods
        .flatMap((p) => p.status?.containerStatuses ?? [])
        .map((c) => c.state?.waiting)
        .find((w) => w?.reason);
      if (waiting?.reason && STUCK.has(waiting.reason))
        throw new TargetError(
          'setup',
          `The router pod cannot start on the cluster (${waiting.reason}): ${(waiting.message ?? '').slice(0, 300)}`,
        );
      const now = waiting?.reason
        ? `Waiting for the router pod (${waiting.reason})`
        : 'Waiting for the router pod';
      if (now !== said) progress({ kind: 'step', message: now });
      said = now;
      if (Date.now() > deadline)
        throw new TargetError(
          'setup',
          `The router pod did not start on the cluster within ${KUBE_ROUTER_START_MS / 1000} s; see \`kubectl -n ${this.namespace} describe pods\`.`,
        );
      await sleep(1000);
    }
  }

  /**
   * Waits until a router pod is ready (it is once it holds its tables), then until the router's
   * address answers from here (kube-proxy opens the port a moment later). An address this machine
   * cannot reach (a remote cluster's private node address) is said, not an error: set `host`.
   */
  private async waitUntilServing(progress: Progress): Promise<void> {
    const deadline = Date.now() + KUBE_ROUTER_START_MS;
    for (;;) {
      const pods = await this.listPods();
      if (pods.some((p) => !p.metadata?.deletionTimestamp && isReady(p))) break;
      if (Date.now() > deadline)
        throw new TargetError(
          'setup',
          `The router pod did not turn ready within ${KUBE_ROUTER_START_MS / 1000} s; see \`kubectl -n ${this.namespace} describe pods\`.`,
        );
      await sleep(250);
    }
    const until = Date.now() + KUBE_ROUTER_ANSWER_MS;
    while (Date.now() < until) {
      if (await answers(this.url)) return;
      await sleep(250);
    }
    progress({
      kind: 'step',
      message: `The router runs on the cluster, but ${this.url} does not answer from this machine; the node's address may not be reachable from here.`,
    });
  }

  private async nodeAddress(nodeName: string | undefined): Promise<string> {
    if (!nodeName) return '127.0.0.1';
    const node = await orMissing(this.kube.core.readNode({ name: nodeName })).catch(() => undefined);
    const addresses = node?.status?.addresses ?? [];
    const of = (type: string) => addresses.find((a) => a.type === type)?.address;
    return of('ExternalIP') ?? of('InternalIP') ?? of('Hostname') ?? nodeName;
  }

  // --- the pods and their tables ----------------------------------------------------------------

  private async listPods(): Promise<k8s.V1Pod[]> {
    const list = await this.call('list the router pods', () =>
      this.kube.core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: selector(this.options.instance, 'router', { app: ROUTER_NAME }),
        limit: KUBE_ROUTER_MAX_PODS,
      }),
    );
    return list.items;
  }

  /** Brings the known pods in line with the cluster's: new running pods are added, gone ones dropped. */
  private async refreshPods(): Promise<void> {
    const pods = await this.listPods();
    const names = new Set<string>();
    for (const pod of pods) {
      if (!isRunning(pod)) continue;
      names.add(pod.metadata!.name!);
      this.track(pod);
    }
    for (const [name, state] of this.pods)
      if (!names.has(name)) {
        state.channel.close();
        this.pods.delete(name);
      }
  }

  private track(pod: k8s.V1Pod): PodState {
    const name = pod.metadata!.name!;
    let state = this.pods.get(name);
    if (!state) {
      state = {
        channel: new StatusChannel(this.kube, this.namespace, name, STATUS_PORT),
        applied: {},
        leaving: false,
        queue: Promise.resolve(),
      };
      this.pods.set(name, state);
    }
    const leaving = Boolean(pod.metadata?.deletionTimestamp);
    // From now until nginx quits (after the preStop wait), every answer closes its connection: the
    // pod's keep-alive clients reconnect, to the next router, instead of meeting the close of an idle
    // connection. Best effort: a pod that cannot be told still finishes what it serves.
    if (leaving && !state.leaving) void state.channel.request('PUT', '/leaving').catch(() => undefined);
    state.leaving = leaving;
    return state;
  }

  /** What the running pods hold now: the tables a ready one serves become what the core knows. */
  private async readBack(): Promise<void> {
    await this.refreshPods();
    const script = TABLES.map(
      (t) =>
        `if [ -f ${STATE_DIR}/${t}.txt ]; then echo "${t} $(wc -c < ${STATE_DIR}/${t}.txt)"; cat ${STATE_DIR}/${t}.txt; fi`,
    ).join('; ');
    let found: Tables | undefined;
    for (const [name, state] of this.pods) {
      const r = await execInPod(
        this.kube,
        this.namespace,
        name,
        CONTAINER,
        ['sh', '-c', script],
        3 * (KUBE_ROUTER_TABLE_BYTES + 64),
        KUBE_ROUTER_STATUS_REQUEST_MS * 2,
      ).catch(() => undefined);
      if (!r || r.exitCode !== 0) continue;
      const held = parseTables(r.output);
      state.applied = held;
      // A pod holds a whole set once it has backends (written last).
      if (held.backends !== undefined && !state.leaving && !found)
        found = { certs: held.certs ?? '', routes: held.routes ?? '', backends: held.backends };
    }
    this.tables ??= found;
  }

  /** Hands every known pod the tables it lacks. */
  private async feedAll(): Promise<void> {
    const failures: string[] = [];
    // A pod that is leaving gets them too (kube-proxy may still send it a connection), but nobody
    // waits for it: it may be gone before it answers.
    for (const state of this.pods.values()) if (state.leaving) void this.feed(state).catch(() => undefined);
    await Promise.all(
      [...this.pods]
        .filter(([, state]) => !state.leaving)
        .map(([name, state]) =>
          this.feed(state).catch((err: Error) => failures.push(`${name}: ${err.message}`)),
        ),
    );
    if (failures.length)
      throw new TargetError('setup', `The router did not take its new tables (${failures.join('; ')}).`);
  }

  /** Puts the current tables into one pod, in order, skipping what it holds already. */
  private feed(state: PodState): Promise<void> {
    const run = state.queue.then(async () => {
      const tables = this.tables;
      if (!tables) return;
      for (const t of TABLES) {
        if (state.applied[t] === tables[t]) continue;
        const reply = await state.channel.request('PUT', `/${t}`, Buffer.from(tables[t]));
        if (reply.status !== 200 || reply.text.trim() !== 'ok')
          throw new Error(`its status port answered ${reply.status} ${reply.text.trim().slice(0, 200)}`);
        state.applied[t] = tables[t];
      }
    });
    state.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(routes: RouteEntry[]): Promise<void> {
    const { platformDomain, localCertificates } = this.options;
    this.tables = {
      certs: renderCerts(routes, platformDomain, localCertificates),
      routes: renderRoutes(routes, platformDomain, this.tlsPublicPort, this.publicPort),
      backends: renderBackends(routes),
    };
    // The pods are known from the watch (a list per switch would cost more than the switch).
    const live = () => [...this.pods.values()].some((p) => !p.leaving);
    if (!live()) await this.refreshPods();
    // Between a router pod's leaving and its replacement's start: wait for the replacement.
    if (!live()) {
      const deployment = await this.call('read the router', () =>
        orMissing(this.kube.apps.readNamespacedDeployment({ name: ROUTER_NAME, namespace: this.namespace })),
      );
      // Someone removed the router: bring it back (it gets these tables as it starts).
      if (!deployment || deployment.metadata?.deletionTimestamp) await this.ensure(() => undefined);
      else await this.waitForPod(() => undefined);
      await this.refreshPods();
    }
    try {
      await this.feedAll();
    } catch {
      // A pod that went away before the watch said so: once more with the pods as they are.
      await this.refreshPods();
      await this.feedAll();
    }
  }

  /** Follows the router's pods: a new one gets the tables as soon as it runs. */
  private watch(): void {
    if (this.watchStarted || this.closed) return;
    this.watchStarted = true;
    const start = async () => {
      if (this.closed) return;
      const restart = () => {
        this.watching = undefined;
        if (!this.closed) setTimeout(() => void start(), KUBE_ROUTER_WATCH_RETRY_MS).unref();
      };
      try {
        this.watching = await new this.kube.lib.Watch(this.kube.config).watch(
          `/api/v1/namespaces/${this.namespace}/pods`,
          { labelSelector: selector(this.options.instance, 'router', { app: ROUTER_NAME }) },
          (phase: string, pod: k8s.V1Pod) => this.onPod(phase, pod),
          restart,
        );
        if (this.closed) this.watching.abort();
      } catch {
        restart();
      }
    };
    void start();
  }

  private onPod(phase: string, pod: k8s.V1Pod): void {
    const name = pod.metadata?.name;
    if (!name || this.closed) return;
    if (phase === 'DELETED') {
      this.pods.get(name)?.channel.close();
      this.pods.delete(name);
      return;
    }
    if (!isRunning(pod)) return;
    if (!this.pods.has(name) && this.pods.size >= KUBE_ROUTER_MAX_PODS) return;
    const state = this.track(pod);
    if (!this.tables || TABLES.every((t) => state.applied[t] === this.tables![t])) return;
    // nginx may take a moment after its container starts to listen: a few tries.
    void (async () => {
      for (let attempt = 0; attempt < 10 && !this.closed && this.pods.get(name) === state; attempt++) {
        try {
          return await this.feed(state);
        } catch {
          await sleep(500);
        }
      }
    })();
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.failed(what, err);
    }
  }

  private failed(what: string, err: unknown): TargetError {
    if (err instanceof TargetError) return err;
    const status = apiStatus(err);
    const code = status === undefined || status >= 500 ? 'unavailable' : 'setup';
    return new TargetError(code, `Could not ${what} on the cluster (${this.kube.server}): ${apiReason(err)}`);
  }
}

/** On the Deployment: the hash of the spec it was made from (a difference replaces it). */
const ANNOTATION_SPEC = 'deis-desktop/router-spec';

/** The router container runs (its nginx may need a moment more to listen). */
function isRunning(pod: k8s.V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    Boolean(pod.status.podIP) &&
    Boolean(pod.status.containerStatuses?.find((c) => c.name === CONTAINER)?.state?.running)
  );
}

function isReady(pod: k8s.V1Pod): boolean {
  return Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/** Any HTTP answer from `url` (the router's 404 for an unknown host will do). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      url,
      { agent: false, timeout: 2000, headers: { host: 'deis-router.invalid' } },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** `<name> <bytes>\n<bytes of table>` repeated, as readBack's script prints them. */
function parseTables(output: Buffer): Partial<Tables> {
  const held: Partial<Tables> = {};
  let at = 0;
  while (at < output.length) {
    const eol = output.indexOf(0x0a, at);
    if (eol < 0) break;
    const [name, size] = output.subarray(at, eol).toString('latin1').trim().split(/\s+/);
    const bytes = Number(size);
    if (!TABLES.includes(name as TableName) || !Number.isInteger(bytes) || bytes < 0) break;
    held[name as TableName] = output.subarray(eol + 1, eol + 1 + bytes).toString('utf8');
    at = eol + 1 + bytes;
  }
  return held;
}
