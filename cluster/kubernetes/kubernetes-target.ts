/**
 * A Kubernetes cluster as a target, with the Docker target's semantics: a namespace per app, a
 * Secret per release holding its environment, a Deployment per process type. A deploy delivers the
 * image (pushed to the target's registry, or loaded into its nodes: delivery.ts), rolls the
 * Deployments out and returns once the new release serves (its pods ready, the router switched to
 * them); old pods retire in the background, each waiting a moment in its preStop hook so requests
 * already given to it finish. A failed rollout puts every
 * Deployment back as it was, so the previous release serves throughout and ends as it was. On start
 * the target adopts what runs: rollouts a killed core left are finished, what belongs to no app goes.
 *
 * The router is injected (KubeRouterLike): the target keeps each app's routing and upstreams, follows
 * the pods with an informer, and hands the router the whole table whenever it changes.
 */
import type { Duplex } from 'node:stream';
import { AppQueue } from '../app-queue';
import { checkFormationSize } from '../formation-size';
import { inspectLocalImage, pullLocalImage } from '../docker/local-images';
import type Docker from 'dockerode';
import type * as k8s from '@kubernetes/client-node';
import {
  K8S_NAMESPACE_GONE_MS,
  K8S_POLL_MS,
  K8S_PUSHED_IMAGES,
  K8S_PUT_BACK_WAIT_MS,
} from '../../main/contract/limits';
import { deployTimeoutMs, graceSeconds } from '../docker/converge';
import { dockerEngine } from '../docker/engine';
import { appPort } from '../docker/process-spec';
import type { RouteEntry } from '../docker/router/config';
import {
  noProgress,
  TargetError,
  type DesiredApp,
  type ImageOrigin,
  type LogOptions,
  type MetricsSource,
  type NodeLabels,
  type ProcessInfo,
  type Progress,
  type PullOptions,
  type ReleaseSpec,
  type RestartSelector,
  type Routing,
  type RunIo,
  type RunResult,
  type ServiceExec,
  type ServiceExecIo,
  type ServiceSpec,
  type Target,
} from '../target';
import { apiReason, apiStatus, connectKube, orMissing, type Kube, type KubeSettings } from './client';
import {
  ANNOTATION_IMAGE_ID,
  ANNOTATION_RELEASE,
  LABEL_LIVE,
  deploymentManifest,
  envSecretManifest,
  namespaceManifest,
  pullSecretManifest,
  routedOf,
  type PreStopWait,
} from './manifests';
import {
  LABEL_APP,
  LABEL_INSTANCE,
  LABEL_ROLE,
  LABEL_TYPE,
  LABEL_VERSION,
  deploymentName,
  namespaceFor,
  releaseSecretName,
  selector,
} from './names';
import {
  podApp,
  podContainer,
  podInfo,
  podRetiring,
  podTerminating,
  podType,
  podUpstream,
  upstreamsOf,
} from './pods';
import { execInPodConsole } from './console';
import { kubeProcessUsage } from './usage';
import { applyAutoscale } from './autoscale';
import { applyIngress, type IngressSettings } from './ingress';
import { KubeLogs } from './logs';
import type { TargetRegistry } from './push';
import { deliverImage, needsPullSecret, type ImageDelivery } from './delivery';
import { removeRunPods, runPod } from './run';
import { callFailed, waitRollout } from './rollout';
import { KubeServices } from './services';
import { NoRouter, type KubeRouterFactory, type KubeRouterLike } from './router-hook';

export interface KubernetesTargetOptions {
  /** DEIS_INSTANCE: labels everything, so several cores can share one cluster. */
  instance: string;
  kube: KubeSettings;
  /** DEIS_REGISTRY and its credentials: where images go for the cluster to pull (the `registry` delivery). */
  registry?: TargetRegistry;
  /** How images reach the nodes; `{ kind: 'registry', registry }` when absent. */
  delivery?: ImageDelivery;
  /** Leave namespaces of the instance that belong to no known app (the store is new). */
  keepOrphans?: boolean;
  /** Makes the router inside the cluster; without one, nothing is routed (NoRouter). */
  router?: KubeRouterFactory;
  /** The local engine: it builds and pulls images, which are pushed from it. */
  docker?: Docker;
  /** DEIS_HOME: the apps' logs are kept under it, as on Docker. */
  home: string;
  /** DEIS_KUBE_INGRESS_CLASS: each routable app also gets a Service and an Ingress of this class. */
  ingress?: IngressSettings;
  /** DEIS_KUBE_STORAGE_CLASS: the backing services' volumes; the cluster's default class when absent. */
  storageClass?: string;
}

/** What serves an app now: the routed type and the release whose pods get its requests. */
interface Serving {
  routed: string | undefined;
  version: number | undefined;
}

/** What the local engine says of a release's image. */
interface LocalImage {
  id: string;
  exposed: number | undefined;
  preStop: PreStopWait;
}

const mergePatch = async (kube: Kube) => {
  const lib = kube.lib;
  return lib.setHeaderOptions('Content-Type', lib.PatchStrategy.MergePatch);
};

export class KubernetesTarget implements Target {
  private kubeClient: Kube | undefined;
  private dockerClient: Docker | undefined;
  private router: KubeRouterLike = new NoRouter();
  private informer: (k8s.Informer<k8s.V1Pod> & k8s.ObjectCache<k8s.V1Pod>) | undefined;
  private closed = false;
  /** Every pod of the instance's processes, by uid, as the informer saw it last. */
  private readonly pods = new Map<string, k8s.V1Pod>();
  private readonly routing = new Map<string, Routing>();
  private readonly serving = new Map<string, Serving>();
  private readonly rotation = new Map<string, string[]>();
  /** Pods (uid) out of rotation while they wait to be deleted. */
  private readonly leaving = new Set<string>();
  private readonly queue = new AppQueue();
  /** Local image id → `<registry>/<app>@sha256:…` (or the loaded name) per app, so a config change does not deliver again. */
  private readonly pushed = new Map<string, string>();
  private readonly images = new Map<string, LocalImage>();
  /** The port each app's pods listen on, as last deployed (its Ingress's Service points there). */
  private readonly ports = new Map<string, number>();
  /** The apps' logs under DEIS_HOME, once connected; controller lines from before wait in `early`. */
  private logStore: KubeLogs | undefined;
  private readonly early: Array<[string, string, string]> = [];
  private routesApplied: Promise<void> = Promise.resolve();
  private routesTimer: NodeJS.Timeout | undefined;

  private readonly services: KubeServices;
  private readonly delivery: ImageDelivery;

  constructor(private readonly options: KubernetesTargetOptions) {
    const delivery =
      options.delivery ?? (options.registry ? { kind: 'registry', registry: options.registry } : undefined);
    if (!delivery) throw new Error('A Kubernetes target needs a registry or an image loader.');
    this.delivery = delivery;
    this.services = new KubeServices(
      () => this.kube,
      () => this.docker,
      {
        instance: options.instance,
        registry: delivery.kind === 'registry' ? delivery.registry : { address: '' },
        storageClass: options.storageClass,
      },
    );
  }

  provisionService(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    this.connected();
    // Backing services push their images to a registry (services.ts); a loading target has none.
    if (this.delivery.kind !== 'registry')
      return Promise.reject(
        new TargetError(
          'invalid',
          `Backing services cannot run on ${this.delivery.where} yet (its images are loaded, not pushed to a registry); attach one from the local target instead.`,
        ),
      );
    return this.services.provision(spec, progress);
  }

  /** Its Service's cluster IP: every pod of the cluster reaches it there (see services.ts on policy). */
  connectService(service: string): Promise<string> {
    this.connected();
    return this.services.connect(service);
  }

  /** Nothing to cut on the cluster's network: the app's config no longer names the service. */
  async disconnectService(): Promise<void> {}

  destroyService(service: string): Promise<void> {
    this.connected();
    return this.services.destroy(service);
  }

  restartService(service: string): Promise<void> {
    this.connected();
    return this.services.restart(service);
  }

  execService(
    service: string,
    exec: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    this.connected();
    return this.services.exec(service, exec, io);
  }

  serviceLogs(service: string, lines: number): Promise<string[]> {
    this.connected();
    return this.services.logs(service, lines);
  }

  /** Through the API server's port-forward to the service's pod. */
  dialService(service: string, port: number): Promise<Duplex> {
    this.connected();
    return this.services.dial(service, port);
  }

  /** Scales the service to no pod, swaps its data in a pod of its image on its claim, scales it back. */
  replaceServiceData(service: string, swap: ServiceExec): Promise<void> {
    this.connected();
    return this.services.replaceData(service, swap);
  }

  get docker(): Docker {
    return (this.dockerClient ??= this.options.docker ?? dockerEngine());
  }

  /** The router has no port on this machine's loopback: `routerUrl` says where apps answer. */
  get routerPort(): number {
    return 0;
  }

  /** Where apps answer (the router's Service), empty until the router runs. */
  get routerUrl(): string {
    return this.router.url;
  }

  /** Where apps answer HTTPS (the router's Service's other NodePort), empty until the router runs. */
  get routerTlsUrl(): string {
    return this.router.tlsUrl ?? '';
  }

  /** The routing table the router was last given (for tests and the router). */
  routes(): RouteEntry[] {
    return [...this.routing].map(([app, r]) => ({ app, ...r, upstreams: this.rotation.get(app) ?? [] }));
  }

  private get kube(): Kube {
    if (!this.kubeClient)
      throw new TargetError('unavailable', 'The Kubernetes cluster is not connected yet.');
    return this.kubeClient;
  }

  /** Throws TargetError `unavailable` until ensureReady connected. */
  private connected(): void {
    void this.kube;
  }

  private get instance(): string {
    return this.options.instance;
  }

  async ensureReady(apps: DesiredApp[], progress: Progress = noProgress): Promise<void> {
    const kube = await connectKube(this.options.kube);
    let namespaces: k8s.V1Namespace[];
    try {
      namespaces = (await kube.core.listNamespace({ labelSelector: selector(this.instance, 'app') })).items;
    } catch (err) {
      throw new TargetError(
        'unavailable',
        `The Kubernetes API server at ${kube.server} (context ${kube.context}) does not answer: ${apiReason(err)}`,
      );
    }
    this.kubeClient = kube;
    if (!this.logStore) {
      this.logStore = new KubeLogs({
        kube,
        instance: this.instance,
        store: KubeLogs.storeIn(this.options.home),
      });
      for (const [app, message, level] of this.early.splice(0)) this.logStore.note(app, message, level);
    }
    for (const a of apps) this.followApp(a.release.app);
    await removeRunPods(kube, this.instance).catch(() => undefined);
    const router = this.options.router ? this.options.router(kube, this.instance) : new NoRouter();
    try {
      await router.ensure(progress);
    } catch (err) {
      router.close();
      throw err instanceof TargetError
        ? err
        : new TargetError('setup', `The router cannot start: ${(err as Error).message}`);
    }
    this.router.close();
    this.router = router;
    await this.watchPods();
    await this.adopt(apps, namespaces, progress);
    const failures: string[] = [];
    await Promise.all(
      apps.map((a) =>
        this.locked(a.release.app, () => this.converge(a, progress)).catch((err: Error) => {
          failures.push(`${a.release.app}: ${err.message}`);
          this.note(a.release.app, `could not bring back v${a.release.version}: ${err.message}`);
        }),
      ),
    );
    await this.applyRoutes();
    if (failures.length)
      progress({ kind: 'step', message: `Some apps did not come back: ${failures.join('; ')}` });
  }

  /** Takes over what a previous core left: routes as they were, and no orphans. */
  private async adopt(apps: DesiredApp[], namespaces: k8s.V1Namespace[], progress: Progress): Promise<void> {
    const known = new Map(apps.map((a) => [a.release.app, a]));
    const found = this.router.backends();
    for (const a of apps) {
      this.routing.set(a.release.app, a.routing);
      // Until the app has converged, any ready pod of its routed type serves (what ran before).
      this.serving.set(a.release.app, { routed: routedOf(a.formation), version: undefined });
      this.rotation.set(a.release.app, found.get(a.release.app) ?? []);
    }
    const orphans = namespaces.filter((ns) => !known.has(ns.metadata?.labels?.[LABEL_APP] ?? ''));
    if (this.options.keepOrphans) {
      if (orphans.length)
        progress({
          kind: 'step',
          message: `a new store: left ${orphans.length} unknown app namespace(s) alone`,
        });
    } else
      for (const ns of orphans) {
        progress({ kind: 'step', message: `removing ${ns.metadata?.name}: it belongs to no app` });
        await this.kube.core
          .deleteNamespace({ name: ns.metadata!.name!, propagationPolicy: 'Background' })
          .catch(() => undefined);
      }
    // Pods a killed restart let go of: their replacements are there (or are made by the converge).
    for (const pod of this.pods.values())
      if (podRetiring(pod) && known.has(podApp(pod) ?? '') && !podTerminating(pod))
        await this.deletePod(pod).catch(() => undefined);
  }

  /** Follows the instance's pods, so upstreams follow readiness and termination within a moment. */
  private async watchPods(): Promise<void> {
    if (this.informer) return;
    const kube = this.kube;
    const labelSelector = selector(this.instance, 'process');
    const informer = kube.lib.makeInformer<k8s.V1Pod>(
      kube.config,
      '/api/v1/pods',
      () => kube.core.listPodForAllNamespaces({ labelSelector }),
      labelSelector,
    );
    const seen = (pod: k8s.V1Pod) => {
      const uid = pod.metadata?.uid;
      if (!uid) return;
      this.pods.set(uid, pod);
      this.routesChanged();
    };
    informer.on('add', seen);
    informer.on('update', seen);
    informer.on('delete', (pod) => {
      const uid = pod.metadata?.uid;
      if (uid) {
        this.pods.delete(uid);
        this.leaving.delete(uid);
      }
      this.routesChanged();
    });
    informer.on('error', () => {
      // The watch broke (API server restarted, network): start it again after a moment.
      if (this.closed) return;
      setTimeout(() => {
        if (!this.closed) void informer.start().catch(() => undefined);
      }, 1000).unref();
    });
    this.informer = informer;
    await informer.start();
    for (const pod of informer.list()) if (pod.metadata?.uid) this.pods.set(pod.metadata.uid, pod);
  }

  /** Recomputes the upstreams soon (pod events come in bursts). */
  private routesChanged(): void {
    if (this.routesTimer) return;
    this.routesTimer = setTimeout(() => {
      this.routesTimer = undefined;
      void this.applyRoutes().catch(() => undefined);
    }, 0);
  }

  private podsOf(app: string): k8s.V1Pod[] {
    return [...this.pods.values()].filter(
      (p) => podApp(p) === app && p.metadata?.namespace === namespaceFor(app),
    );
  }

  /** Gives the router the table when an app's upstreams changed; resolves when the router uses it. */
  private applyRoutes(): Promise<void> {
    let changed = false;
    for (const app of this.routing.keys()) {
      const s = this.serving.get(app);
      const next = upstreamsOf(this.podsOf(app), s?.routed, s?.version, this.leaving);
      const before = this.rotation.get(app) ?? [];
      if (next.length !== before.length || next.some((u, i) => u !== before[i])) {
        this.rotation.set(app, next);
        changed = true;
      }
    }
    if (!changed) return this.routesApplied;
    const table = this.routes();
    this.routesApplied = this.routesApplied.catch(() => undefined).then(() => this.router.apply(table));
    return this.routesApplied;
  }

  /** Runs `work` after every earlier operation on the app has finished. */
  private locked<T>(app: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(app, work);
  }

  deploy(desired: DesiredApp, progress: Progress = noProgress): Promise<void> {
    this.connected();
    const { app, version, summary } = desired.release;
    this.followApp(app);
    this.routing.set(app, desired.routing);
    return this.locked(app, async () => {
      this.note(app, `deploying v${version}: ${summary}`);
      try {
        await this.converge(desired, progress);
      } catch (err) {
        this.note(app, `v${version} failed: ${(err as Error).message}`);
        throw err;
      }
    });
  }

  scale(desired: DesiredApp, progress: Progress = noProgress): Promise<void> {
    this.connected();
    const summary = Object.entries(desired.formation)
      .map(([t, n]) => `${t}=${n}`)
      .join(' ');
    this.followApp(desired.release.app);
    this.note(desired.release.app, `scaling processes ${summary}`);
    return this.locked(desired.release.app, () => this.converge(desired, progress));
  }

  /**
   * Makes the cluster run `desired`: the objects are written, the Deployments rolled out, the router
   * switched. On failure every Deployment is put back as it was and the error thrown.
   */
  private async converge(desired: DesiredApp, progress: Progress): Promise<void> {
    const { release, formation } = desired;
    const app = release.app;
    if (!release.image) return;
    checkFormationSize(app, formation);
    const kube = this.kube;
    const ns = namespaceFor(app);
    await this.ensureNamespace(app);
    const local = await this.localImage(release.image);
    const before = new Map(
      (
        await kube.apps.listNamespacedDeployment({
          namespace: ns,
          labelSelector: selector(this.instance, 'process'),
        })
      ).items.map((d) => [d.metadata!.name!, d]),
    );
    // What runs already names the digest of this image: a restarted core does not push it again.
    for (const d of before.values()) {
      const id = d.metadata?.annotations?.[ANNOTATION_IMAGE_ID];
      const ref = d.spec?.template?.spec?.containers?.[0]?.image;
      if (id && ref && !this.pushed.has(`${app} ${id}`)) this.remember(`${app} ${id}`, ref);
    }
    const image = await this.deliverOnce(app, release, local, progress);
    const port = appPort(release, local.exposed);
    await this.ensureSecret(envSecretManifest(this.instance, release, port));
    const routed = routedOf(formation);
    const since = Date.now();
    const written: string[] = [];
    const rollout = Object.entries(formation).map(([type, replicas]) => ({
      name: deploymentName(app, type),
      type,
      replicas,
    }));
    try {
      for (const want of rollout) {
        const manifest = deploymentManifest({
          instance: this.instance,
          release,
          type: want.type,
          replicas: want.replicas,
          image,
          port,
          routed,
          preStop: local.preStop,
          tags: release.tags,
          pullSecret: needsPullSecret(this.delivery),
        });
        manifest.metadata!.annotations![ANNOTATION_IMAGE_ID] = local.id;
        written.push(want.name);
        await this.writeDeployment(manifest, before.get(want.name));
      }
      if (rollout.some((r) => r.replicas > 0))
        progress({
          kind: 'step',
          message: `Rolling out v${release.version} (${rollout.map((r) => `${r.type}=${r.replicas}`).join(', ')})`,
        });
      await waitRollout(kube, {
        namespace: ns,
        app,
        deployments: rollout,
        timeoutMs: deployTimeoutMs(release.values),
        progress,
        since,
      });
    } catch (err) {
      const failure = callFailed(`The cluster refused v${release.version} of ${app}`, err);
      progress({
        kind: 'step',
        message: `v${release.version} failed (${failure.message}); putting the previous release back`,
      });
      await this.putBack(app, written, before, progress);
      const keeps = [...before.values()].some(
        (d) => d.metadata?.annotations?.[ANNOTATION_RELEASE] === String(release.version),
      );
      if (!keeps)
        await kube.core
          .deleteNamespacedSecret({ name: releaseSecretName(app, release.version), namespace: ns })
          .catch(() => undefined);
      throw failure;
    }
    // The new release serves: the router goes to its pods, then the rest is cleaned up.
    this.serving.set(app, { routed, version: release.version });
    this.ports.set(app, port);
    await this.settleRoutes(app);
    if (this.options.ingress)
      await this.writeIngress(app, desired.routing).catch((err: Error) =>
        progress({ kind: 'step', message: `The Ingress of ${app} could not be written: ${err.message}` }),
      );
    const gone = [...before.keys()].filter((name) => !rollout.some((r) => r.name === name));
    for (const name of gone)
      await kube.apps
        .deleteNamespacedDeployment({ name, namespace: ns, propagationPolicy: 'Background' })
        .catch(() => undefined);
    void this.forgetOldSecrets(app).catch(() => undefined);
    const changed = rollout.some((r) => {
      const old = before.get(r.name);
      return (
        !old ||
        old.spec?.replicas !== r.replicas ||
        old.metadata?.annotations?.[ANNOTATION_RELEASE] !== String(release.version)
      );
    });
    if (changed || gone.length) {
      const summary = rollout.map((r) => `${r.type}=${r.replicas}`).join(', ');
      this.note(app, `v${release.version} running: ${summary || 'no processes'}`);
    }
    // The release serves: an autoscaler that cannot be set is said in the log, not a failed release.
    await applyAutoscale(
      kube,
      this.instance,
      app,
      desired.routing.autoscale ?? {},
      Object.keys(formation),
    ).catch((err: Error) => this.note(app, err.message, 'WARN'));
  }

  /** Waits until the informer saw the pods the rollout made ready, and the router uses them. */
  private async settleRoutes(app: string): Promise<void> {
    const s = this.serving.get(app);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const fresh = (
        await this.kube.core.listNamespacedPod({
          namespace: namespaceFor(app),
          labelSelector: selector(this.instance, 'process', { [LABEL_APP]: app }),
        })
      ).items;
      const want = upstreamsOf(fresh, s?.routed, s?.version, this.leaving);
      const seen = upstreamsOf(this.podsOf(app), s?.routed, s?.version, this.leaving);
      if (want.every((u) => seen.includes(u)) || Date.now() > deadline) {
        // Pods the informer has not caught up with yet are taken from the list just read.
        for (const pod of fresh) if (pod.metadata?.uid) this.pods.set(pod.metadata.uid, pod);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.applyRoutes();
  }

  /** Writes the Deployments back as they were before a failed change (and removes ones it made). */
  private async putBack(
    app: string,
    written: string[],
    before: Map<string, k8s.V1Deployment>,
    progress: Progress,
  ): Promise<void> {
    const kube = this.kube;
    const ns = namespaceFor(app);
    const restored: { name: string; type: string; replicas: number }[] = [];
    for (const name of written) {
      const old = before.get(name);
      try {
        if (!old) {
          await kube.apps.deleteNamespacedDeployment({
            name,
            namespace: ns,
            propagationPolicy: 'Background',
          });
          continue;
        }
        const current = await orMissing(kube.apps.readNamespacedDeployment({ name, namespace: ns }));
        const back: k8s.V1Deployment = {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: {
            name,
            namespace: ns,
            labels: old.metadata?.labels,
            annotations: old.metadata?.annotations,
            resourceVersion: current?.metadata?.resourceVersion,
          },
          spec: old.spec,
        };
        if (current) await kube.apps.replaceNamespacedDeployment({ name, namespace: ns, body: back });
        else
          await kube.apps.createNamespacedDeployment({
            namespace: ns,
            body: { ...back, metadata: { ...back.metadata, resourceVersion: undefined } },
          });
        restored.push({
          name,
          type: old.metadata?.labels?.[LABEL_TYPE] ?? '',
          replicas: old.spec?.replicas ?? 0,
        });
      } catch (err) {
        this.note(app, `could not put ${name} back: ${apiReason(err)}`);
      }
    }
    // The previous pods never stopped (none goes before a new one is available); any that did come back.
    await waitRollout(kube, {
      namespace: ns,
      app,
      deployments: restored,
      timeoutMs: K8S_PUT_BACK_WAIT_MS,
      progress,
      since: Number.MAX_SAFE_INTEGER,
      // The failure is what the user waits to hear: the previous pods are not waited for long.
      signal: AbortSignal.timeout(K8S_PUT_BACK_WAIT_MS),
    }).catch((err: Error) => this.note(app, `the previous release is not all back yet: ${err.message}`));
  }

  private async writeDeployment(
    manifest: k8s.V1Deployment,
    existing: k8s.V1Deployment | undefined,
  ): Promise<void> {
    const kube = this.kube;
    const name = manifest.metadata!.name!;
    const namespace = manifest.metadata!.namespace!;
    if (!existing) {
      await kube.apps.createNamespacedDeployment({ namespace, body: manifest });
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const current =
        attempt === 0 ? existing : await kube.apps.readNamespacedDeployment({ name, namespace });
      manifest.metadata!.resourceVersion = current.metadata?.resourceVersion;
      try {
        await kube.apps.replaceNamespacedDeployment({ name, namespace, body: manifest });
        return;
      } catch (err) {
        if (apiStatus(err) !== 409 || attempt >= 3) throw err;
      }
    }
  }

  /** The app's namespace, made when missing; refused when one of that name is not this instance's. */
  private async ensureNamespace(app: string): Promise<void> {
    const kube = this.kube;
    const name = namespaceFor(app);
    const deadline = Date.now() + K8S_NAMESPACE_GONE_MS;
    for (;;) {
      const ns = await orMissing(kube.core.readNamespace({ name }));
      if (ns && ns.metadata?.labels?.[LABEL_INSTANCE] !== this.instance)
        throw new TargetError(
          'setup',
          `The cluster already has a namespace named ${name} that is not this Deis Desktop's; remove it or give the app another name.`,
        );
      if (ns?.status?.phase === 'Terminating') {
        if (Date.now() > deadline)
          throw new TargetError(
            'setup',
            `The namespace ${name} is still being removed from the cluster; try again in a minute.`,
          );
        await new Promise((r) => setTimeout(r, K8S_POLL_MS));
        continue;
      }
      if (!ns)
        try {
          await kube.core.createNamespace({ body: namespaceManifest(this.instance, app) });
        } catch (err) {
          if (apiStatus(err) !== 409) throw callFailed(`The namespace ${name} cannot be made`, err);
          continue;
        }
      break;
    }
    if (this.delivery.kind === 'registry')
      await this.ensureSecret(pullSecretManifest(this.instance, app, this.delivery.registry), true);
  }

  /** Creates a Secret; replaces it when `replace` (the registry's credentials may have changed). */
  private async ensureSecret(secret: k8s.V1Secret, replace = false): Promise<void> {
    const kube = this.kube;
    const name = secret.metadata!.name!;
    const namespace = secret.metadata!.namespace!;
    try {
      await kube.core.createNamespacedSecret({ namespace, body: secret });
    } catch (err) {
      if (apiStatus(err) !== 409) throw callFailed(`The Secret ${name} cannot be made`, err);
      if (replace) await kube.core.replaceNamespacedSecret({ name, namespace, body: secret });
    }
  }

  /** Secrets of releases no Deployment runs any more (Deis removed them the same way). */
  private async forgetOldSecrets(app: string): Promise<void> {
    const kube = this.kube;
    const namespace = namespaceFor(app);
    const sets = await kube.apps.listNamespacedReplicaSet({
      namespace,
      labelSelector: `${LABEL_APP}=${app}`,
    });
    const used = new Set(sets.items.map((rs) => rs.spec?.template?.metadata?.labels?.[LABEL_VERSION]));
    const secrets = await kube.core.listNamespacedSecret({
      namespace,
      labelSelector: selector(this.instance, 'release-env', { [LABEL_TYPE]: 'env' }),
    });
    for (const s of secrets.items)
      if (!used.has(s.metadata?.labels?.[LABEL_VERSION]))
        await kube.core.deleteNamespacedSecret({ name: s.metadata!.name!, namespace }).catch(() => undefined);
  }

  /** The release's image in the local engine: its id, first EXPOSEd port, and how its pods can wait before SIGTERM. */
  private async localImage(ref: string): Promise<LocalImage> {
    let info: Docker.ImageInspectInfo;
    try {
      info = await this.docker.getImage(ref).inspect();
    } catch {
      throw new TargetError('image_missing', `The image ${ref} is not in the local Docker engine.`);
    }
    const known = this.images.get(info.Id);
    if (known) return known;
    const exposed = Object.keys(info.Config?.ExposedPorts ?? {})
      .filter((p) => p.endsWith('/tcp'))
      .map((p) => Number(p.split('/')[0]))[0];
    const image = { id: info.Id, exposed, preStop: await this.preStopWait(info.Id) };
    this.images.set(info.Id, image);
    return image;
  }

  /**
   * How a pod of this image can wait in its preStop hook: `sleep` when the image has it, else
   * bash's `read -t`, else not at all. Looked up in a container created (never started) from it.
   */
  private async preStopWait(image: string): Promise<PreStopWait> {
    let container: Docker.Container | undefined;
    try {
      container = await this.docker.createContainer({
        Image: image,
        Entrypoint: ['/nonexistent'],
        Cmd: [],
        Labels: { [LABEL_INSTANCE]: this.instance },
        HostConfig: { NetworkMode: 'none' },
      });
      const has = async (path: string) => {
        try {
          await container!.infoArchive({ path });
          return true;
        } catch {
          return false;
        }
      };
      for (const path of ['/bin/sleep', '/usr/bin/sleep'])
        if (await has(path)) return { kind: 'sleep', path };
      if (await has('/bin/busybox')) return { kind: 'sleep', path: '/bin/busybox' };
      for (const path of ['/bin/bash', '/usr/bin/bash']) if (await has(path)) return { kind: 'bash', path };
      return { kind: 'none' };
    } catch {
      return { kind: 'none' };
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }

  /**
   * Delivers the image to the cluster (pushed to its registry, or loaded into its nodes) once per
   * app and image; later releases reuse the reference.
   */
  private async deliverOnce(
    app: string,
    release: ReleaseSpec,
    local: LocalImage,
    progress: Progress,
  ): Promise<string> {
    const key = `${app} ${local.id}`;
    const done = this.pushed.get(key);
    if (done) return done;
    const ref = await deliverImage(this.docker, this.delivery, local.id, app, `v${release.version}`, (line) =>
      progress({ kind: 'step', message: line }),
    );
    this.remember(key, ref);
    return ref;
  }

  private remember(key: string, ref: string): void {
    if (this.pushed.size >= K8S_PUSHED_IMAGES) this.pushed.delete(this.pushed.keys().next().value!);
    this.pushed.set(key, ref);
  }

  /**
   * Replaces the selected pods: each is let go of by its ReplicaSet (it keeps serving), which starts
   * a replacement at once; once every replacement is ready the old ones leave the rotation, finish
   * their requests and are deleted. If a replacement fails, the old pods are taken back.
   */
  restart(desired: DesiredApp, sel: RestartSelector, progress: Progress = noProgress): Promise<void> {
    this.connected();
    const app = desired.release.app;
    this.note(app, `restarting ${sel.name ?? sel.type ?? 'all processes'}`);
    return this.locked(app, async () => {
      const kube = this.kube;
      const namespace = namespaceFor(app);
      const pods = (
        await kube.core.listNamespacedPod({
          namespace,
          labelSelector: selector(this.instance, 'process', { [LABEL_APP]: app, [LABEL_LIVE]: 'true' }),
        })
      ).items.filter(
        (p) =>
          !podTerminating(p) &&
          (sel.name ? p.metadata?.name === sel.name : !sel.type || podType(p) === sel.type),
      );
      if (!pods.length) return;
      const since = Date.now();
      const patch = await mergePatch(kube);
      const mark = (pod: k8s.V1Pod, live: 'true' | 'false') =>
        kube.core.patchNamespacedPod(
          { name: pod.metadata!.name!, namespace, body: { metadata: { labels: { [LABEL_LIVE]: live } } } },
          patch,
        );
      for (const pod of pods) await mark(pod, 'false');
      const types = [...new Set(pods.map(podType))];
      const deployments = await Promise.all(
        types.map(async (type) => {
          const d = await kube.apps.readNamespacedDeployment({ name: deploymentName(app, type), namespace });
          return { name: deploymentName(app, type), type, replicas: d.spec?.replicas ?? 0 };
        }),
      );
      try {
        await waitRollout(kube, {
          namespace,
          app,
          deployments,
          timeoutMs: deployTimeoutMs(desired.release.values),
          progress,
          since,
        });
      } catch (err) {
        // Taken back, the old pods make the ReplicaSet one too many: it removes a replacement that is not ready.
        for (const pod of pods) await mark(pod, 'true').catch(() => undefined);
        throw callFailed(`The restart of ${app} failed`, err);
      }
      await this.settleRoutes(app);
      void this.retire(app, pods, graceSeconds(desired.release.values));
    });
  }

  /** Takes pods out of the rotation, lets their requests finish, then deletes them (in the background). */
  private async retire(app: string, pods: k8s.V1Pod[], grace: number): Promise<void> {
    for (const pod of pods) if (pod.metadata?.uid) this.leaving.add(pod.metadata.uid);
    await this.applyRoutes().catch(() => undefined);
    const peers = pods.map(podUpstream).filter((u): u is string => u !== undefined);
    await this.router.drained(peers, grace * 1000).catch(() => undefined);
    await Promise.all(
      pods.map((pod) =>
        this.deletePod(pod).catch((err: unknown) =>
          this.note(app, `could not stop ${pod.metadata?.name}: ${apiReason(err)}`),
        ),
      ),
    );
  }

  private async deletePod(pod: k8s.V1Pod, gracePeriodSeconds?: number): Promise<void> {
    await orMissing(
      this.kube.core.deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        gracePeriodSeconds,
      }),
    );
  }

  async route(app: string, routing: Routing): Promise<void> {
    this.routing.set(app, routing);
    await this.router.apply(this.routes());
    if (this.options.ingress && this.kubeClient && this.ports.has(app))
      await this.locked(app, () => this.writeIngress(app, routing));
    // `deis autoscale:set` / `:unset` (a settings change): its failure is the caller's to see.
    if (this.kubeClient && this.serving.has(app))
      await this.locked(app, () =>
        applyAutoscale(
          this.kube,
          this.instance,
          app,
          routing.autoscale ?? {},
          Object.keys(routing.autoscale ?? {}),
        ),
      );
  }

  /** The app's Service and Ingress (DEIS_KUBE_INGRESS_CLASS) as its routing and what serves it say. */
  private async writeIngress(app: string, routing: Routing): Promise<void> {
    try {
      await applyIngress(
        this.kube,
        this.instance,
        app,
        routing,
        { routed: this.serving.get(app)?.routed, port: this.ports.get(app) },
        this.options.ingress!,
      );
    } catch (err) {
      throw callFailed(`The cluster refused the Ingress of ${app}`, err);
    }
  }

  /**
   * The app's pods, as `deis ps` shows them. As on Docker, pods on their way out (old releases,
   * scaled down, replaced by a restart) retire in the background and are not listed.
   */
  async processes(app: string): Promise<ProcessInfo[]> {
    const kube = this.kube;
    let pods: k8s.V1Pod[];
    try {
      pods = (
        await kube.core.listNamespacedPod({
          namespace: namespaceFor(app),
          labelSelector: selector(this.instance, 'process', { [LABEL_APP]: app }),
        })
      ).items;
    } catch (err) {
      throw new TargetError('unavailable', `The Kubernetes API server does not answer: ${apiReason(err)}`);
    }
    return pods
      .filter((p) => !podRetiring(p) && !podTerminating(p))
      .map(podInfo)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  // ---- Logs and runs: cluster/kubernetes/logs.ts and run.ts. ----

  /** Follows the app's pods into the log store under DEIS_HOME (once per app; before it has pods too). */
  private followApp(app: string): void {
    this.logStore?.watch(app);
  }

  note(app: string, message: string, level = 'INFO'): void {
    if (this.logStore) this.logStore.note(app, message, level);
    else this.early.push([app, message, level]);
  }

  logs(app: string, options: LogOptions): Promise<string[]> {
    return this.logsOf().logs(app, options);
  }

  followLogs(app: string, signal: AbortSignal): AsyncIterable<string> {
    return this.logsOf().followLogs(app, signal);
  }

  private logsOf(): KubeLogs {
    if (!this.logStore) throw new TargetError('unavailable', 'The Kubernetes cluster is not connected yet.');
    return this.logStore;
  }

  /**
   * A one-off pod of the release (restartPolicy Never) with the release's environment from its
   * Secret, on the image the cluster pulls (pushed first, as a deploy does), removed afterwards.
   */
  async run(release: ReleaseSpec, command: string, io?: RunIo): Promise<RunResult> {
    this.connected();
    if (!release.image)
      throw new TargetError('invalid', 'No build associated with this release to run this command');
    const app = release.app;
    const local = await this.localImage(release.image);
    const image = await this.deliverOnce(app, release, local, noProgress);
    this.note(app, `running \`${command}\` with v${release.version}`);
    // The Secret of a release that runs; a release that never ran here gets plain variables.
    const secret = await orMissing(
      this.kube.core.readNamespacedSecret({
        name: releaseSecretName(app, release.version),
        namespace: namespaceFor(app),
      }),
    );
    return runPod(
      {
        kube: this.kube,
        instance: this.instance,
        image,
        ...(needsPullSecret(this.delivery) ? {} : { pullSecret: null }),
        env: secret
          ? { envFrom: [{ secretRef: { name: releaseSecretName(app, release.version) } }] }
          : undefined,
      },
      release,
      command,
      io,
    );
  }

  /**
   * CPU and memory from each node's kubelet summary (./usage.ts), traffic from the router pods'
   * counters, as on Docker. Nothing until the cluster is connected.
   */
  readonly metrics: MetricsSource = {
    processUsage: async () => (this.kubeClient ? kubeProcessUsage(this.kubeClient, this.pods.values()) : []),
    trafficCounters: async () => this.router.trafficCounters?.(),
  };

  /**
   * The console: `command` inside the app's live pod `process` (a pod `deis ps` lists, its container
   * running), through the API server's exec; stopped and bounded as on Docker (./console.ts).
   */
  async exec(app: string, process: string, command: string, io?: RunIo): Promise<{ exitCode: number }> {
    this.connected();
    const namespace = namespaceFor(app);
    const pod = await orMissing(this.kube.core.readNamespacedPod({ name: process, namespace })).catch(
      (err: unknown) => {
        throw new TargetError('unavailable', `The Kubernetes API server does not answer: ${apiReason(err)}`);
      },
    );
    const ours =
      pod?.metadata?.labels?.[LABEL_APP] === app &&
      pod.metadata.labels[LABEL_INSTANCE] === this.instance &&
      pod.metadata.labels[LABEL_ROLE] === 'process';
    const container = pod?.spec?.containers[0]?.name;
    if (
      !pod ||
      !ours ||
      !container ||
      podRetiring(pod) ||
      podTerminating(pod) ||
      !podContainer(pod)?.state?.running
    )
      throw new TargetError('invalid', `${process} is not running; pick a process that is up.`);
    // One line in the log, whatever the command holds.
    this.note(app, `console: running \`${command.replace(/[\r\n]+/g, ' ')}\` in ${process}`);
    return execInPodConsole(this.kube, namespace, process, container, command, io);
  }

  /**
   * Removes the app's namespace and everything in it, and returns once the namespace is gone (its
   * pods are stopped at once, as `destroy` stops containers on Docker), or after
   * K8S_NAMESPACE_GONE_MS with it still terminating.
   */
  destroy(app: string): Promise<void> {
    this.connected();
    return this.locked(app, async () => {
      const kube = this.kube;
      const name = namespaceFor(app);
      this.routing.delete(app);
      this.serving.delete(app);
      this.rotation.delete(app);
      await this.router.apply(this.routes());
      await this.logStore?.remove(app);
      const ns = await orMissing(kube.core.readNamespace({ name }));
      if (!ns || ns.metadata?.labels?.[LABEL_INSTANCE] !== this.instance) return;
      await kube.apps
        .deleteCollectionNamespacedDeployment({ namespace: name, propagationPolicy: 'Background' })
        .catch(() => undefined);
      await kube.core
        .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
        .catch(() => undefined);
      await orMissing(kube.core.deleteNamespace({ name, propagationPolicy: 'Background' }));
      const deadline = Date.now() + K8S_NAMESPACE_GONE_MS;
      while (Date.now() < deadline && (await orMissing(kube.core.readNamespace({ name }))))
        await new Promise((r) => setTimeout(r, K8S_POLL_MS));
    });
  }

  /** The local engine builds and pulls: the image it has by that reference, and the app it was built for. */
  inspectImage(ref: string): Promise<ImageOrigin> {
    return inspectLocalImage(this.docker, ref);
  }

  /** Pulls into the local engine; the deploy pushes it to the target's registry like a built image. */
  pullImage(ref: string, options: PullOptions): Promise<ImageOrigin> {
    return pullLocalImage(this.docker, ref, options);
  }

  /** The labels of every node pods may be scheduled on. */
  async nodeLabels(): Promise<NodeLabels[]> {
    let nodes: k8s.V1Node[];
    try {
      nodes = (await this.kube.core.listNode()).items;
    } catch (err) {
      throw new TargetError('unavailable', `The Kubernetes API server does not answer: ${apiReason(err)}`);
    }
    return nodes.filter((n) => !n.spec?.unschedulable).map((n) => ({ ...(n.metadata?.labels ?? {}) }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.routesTimer);
    await this.informer?.stop();
    this.informer = undefined;
    this.router.close();
    await this.logStore?.close();
  }
}
