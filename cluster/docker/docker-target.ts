/**
 * The local Docker engine as a target: processes are labelled containers on their app's own network,
 * which the router joins. Operations on one app run one at a time; different apps converge in parallel.
 */
import type { Duplex } from 'node:stream';
import { AppQueue } from '../app-queue';
import { inspectLocalImage, pullLocalImage } from './local-images';
import path from 'node:path';
import type Docker from 'dockerode';
import {
  noProgress,
  TargetError,
  type DesiredApp,
  type ImageOrigin,
  type LogOptions,
  type MetricsSource,
  type NodeLabels,
  type PullOptions,
  type ProcessInfo,
  type Progress,
  type ReleaseSpec,
  type RestartSelector,
  type Routing,
  type RunIo,
  type RunResult,
  type ShellSession,
  type TerminalSize,
  type ServiceExec,
  type ServiceExecIo,
  type ServiceSpec,
  type Target,
} from '../target';
import { DockerServices } from './services';
import { LocalAuthority } from '../../main/tls/authority';
import { converge, type ConvergeContext } from './converge';
import { dockerEngine, remoteEngine } from './engine';
import { RemoteRouterPorts, type RemoteDocker } from '../ssh/router-ports';
import { SshError } from '../ssh/errors';
import { copyImage, hostImageTag, removeHostImages } from '../ssh/image-copy';
import { roleFilter } from './labels';
import { LivenessWatcher } from './liveness';
import { LogFollower } from './log-follower';
import { LogStore } from './log-store';
import {
  AddressPool,
  appNetworks,
  ensureAppNetwork,
  ensureHomeNetwork,
  removeAppNetwork,
  type Network,
} from './network';
import { listProcs, stopProc } from './processes';
import { detectReach } from './readiness';
import { coreSocketDir, type RouteEntry } from './router/config';
import { Router } from './router/router';
import { runOnce } from './run';
import { execInProcess } from './console';
import { openShell } from './shell';
import { processInfo } from './status';
import { UsageSampler } from './usage';
import { controllerLogLine, logTime } from '../../main/contract/log-lines';

export interface DockerTargetOptions {
  /** Names this core's network, router and labels, so several cores can share one engine. */
  instance: string;
  /** DEIS_HOME: logs are kept under it. */
  home: string;
  routerPort: number;
  /** DEIS_ROUTER_BASE */
  routerBase: string;
  /** Bare app names are served as `<app>.<platformDomain>`. */
  platformDomain: string;
  /** Leave containers that belong to no known app: the store is new and knows none yet. */
  keepOrphans?: boolean;
  /** DEIS_ROUTER_TLS_PORT: the router's HTTPS port on 127.0.0.1 (0: any free port). */
  tlsPort?: number;
  /** The HTTPS port is the default, not the user's choice: another is fine when it is taken. */
  tlsPortFlexible?: boolean;
  /** Issues the certificates of `<app>.<platform domain>`; made in `DEIS_HOME/tls` when not given. */
  authority?: LocalAuthority;
  docker?: Docker;
  /**
   * The engine is on another host, reached over SSH (`docker` is its client): the router's ports are
   * forwarded to 127.0.0.1 here, nothing of this machine is bind-mounted, processes are checked from
   * inside the router. Without `docker`, the core's own engine says whether it is remote.
   */
  remote?: RemoteDocker;
  /**
   * The engine releases are built on (this machine's), when it is not this target's: a release's
   * image this engine lacks is copied from there first (`docker save | load` over the SSH connection,
   * cluster/ssh/image-copy.ts), with the same image id.
   */
  imagesFrom?: Docker;
  /** Lets go of `docker`'s connections when the target closes (a stored Docker host's own SSH engine). */
  closeEngine?: () => void;
}

/** Docker reports the kernel's machine name; Kubernetes nodes name the architecture as Go does. */
const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', i686: '386' };

export class DockerTarget implements Target {
  private dockerClient: Docker | undefined;
  private logFollower: LogFollower | undefined;
  private router: Router | undefined;
  private liveness: LivenessWatcher | undefined;
  private ctx: ConvergeContext | undefined;
  private readonly logStore: LogStore;
  private readonly routing = new Map<string, Routing>();
  private readonly rotation = new Map<string, string[]>();
  private readonly queue = new AppQueue();
  private readonly starting = new Set<string>();
  /** Old processes stopping in the background (container id → their stop), no longer the app's. */
  private readonly retiring = new Map<string, Promise<void>>();
  /** Each app's network, once it is there and the router is on it. */
  private readonly networks = new Map<string, Promise<Network>>();

  private readonly services: DockerServices;

  constructor(private readonly options: DockerTargetOptions) {
    this.logStore = new LogStore(path.join(options.home, 'logs'));
    this.services = new DockerServices(
      () => this.docker,
      options.instance,
      (app) => this.appNetwork(app),
      () => this.context().pool,
    );
  }

  provisionService(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    return this.services.provision(spec, progress);
  }

  /** On the app's queue: a deploy or destroy of the app does not race with its network changing. */
  connectService(service: string, app: string): Promise<string> {
    this.context();
    return this.locked(app, () => this.services.connect(service, app));
  }

  disconnectService(service: string, app: string): Promise<void> {
    return this.locked(app, () => this.services.disconnect(service, app));
  }

  destroyService(service: string): Promise<void> {
    return this.services.destroy(service);
  }

  restartService(service: string, readiness: ServiceExec): Promise<void> {
    return this.services.restart(service, readiness);
  }

  replaceServiceData(service: string, swap: ServiceExec, readiness: ServiceExec): Promise<void> {
    return this.services.replaceData(service, swap, readiness);
  }

  dialService(service: string, port: number): Promise<Duplex> {
    return this.services.dial(service, port);
  }

  serviceLogs(service: string, lines: number): Promise<string[]> {
    return this.services.logs(service, lines);
  }

  execService(
    service: string,
    exec: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    return this.services.exec(service, exec, io);
  }

  /** The engine client, made on first use: loading dockerode costs ~300 ms of the core's start-up. */
  get docker(): Docker {
    return (this.dockerClient ??= this.options.docker ?? dockerEngine());
  }

  private ports: RemoteRouterPorts | undefined;

  /** The SSH connection to the engine's host when it is not this machine's. */
  private get remote(): RemoteDocker | undefined {
    return this.options.remote ?? (this.options.docker ? undefined : remoteEngine());
  }

  private get follower(): LogFollower {
    return (this.logFollower ??= new LogFollower(this.docker, this.options.instance, this.logStore));
  }

  /** The router's home network (in earlier versions, the one network of every process). */
  get networkName(): string {
    return this.options.instance;
  }

  get routerName(): string {
    return `${this.options.instance}-router`;
  }

  /** The port the router answers on, on 127.0.0.1. */
  get routerPort(): number {
    return this.router?.publicPort ?? 0;
  }

  /** The port the router answers HTTPS on, on 127.0.0.1. */
  get routerTlsPort(): number {
    return this.router?.tlsPublicPort ?? 0;
  }

  async ensureReady(apps: DesiredApp[], progress: Progress = noProgress): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      // An SSH refusal (host key, login, no docker there) is its own sentence (already a TargetError
      // from an added host's engine).
      if (err instanceof TargetError) throw err;
      if (err instanceof SshError) throw new TargetError('unavailable', err.message);
      throw new TargetError('unavailable', `The Docker engine does not answer: ${(err as Error).message}`);
    }
    const remote = this.remote;
    if (remote)
      this.ports ??= new RemoteRouterPorts(
        remote,
        this.options.routerPort,
        this.options.tlsPort ?? 0,
        this.options.tlsPortFlexible,
      );
    const { instance } = this.options;
    const network = await ensureHomeNetwork(this.docker, this.networkName, instance);
    const { platformDomain } = this.options;
    const authority = (this.options.authority ??= LocalAuthority.open(
      path.join(this.options.home, 'tls'),
      platformDomain,
    ));
    const router = new Router(this.docker, {
      instance,
      name: this.routerName,
      network,
      base: this.options.routerBase,
      // On another host: Docker picks free ports on its 127.0.0.1, forwarded to ours (router-ports.ts).
      port: remote ? 0 : this.options.routerPort,
      tlsPort: remote ? 0 : (this.options.tlsPort ?? 0),
      tlsPortFlexible: this.options.tlsPortFlexible,
      platformDomain,
      localCertificates: (host) => (authority.covers(host) ? authority.leaf(host) : undefined),
      fallbackCertificate: authority.leaf(platformDomain),
      // DEIS_HOME is not on that host: the API is not served through a remote router.
      coreSocketDir: remote ? undefined : coreSocketDir(this.options.home),
      publish: this.ports ? (ports) => this.ports!.publish(ports) : undefined,
    });
    await router.ensure(progress);
    this.router?.close();
    this.router = router;
    this.networks.clear();
    this.ctx = {
      docker: this.docker,
      instance,
      network: (app) => this.appNetwork(app),
      pool: new AddressPool(this.docker),
      // Container addresses of another host are never reachable from here (and may collide with ours).
      reach: remote
        ? { direct: false, via: this.routerName }
        : await detectReach(router.address, this.routerName),
      starting: this.starting,
      serving: (app) => new Set(this.rotation.get(app) ?? []),
      rotate: (app, upstreams) => {
        this.rotation.set(app, upstreams);
        return router.apply(this.routes());
      },
      drained: (peers, ms) => router.drained(peers, ms),
      retiring: this.retiring,
      log: (app, message) => this.logLine(app, message),
    };
    this.liveness ??= new LivenessWatcher(this.docker, instance, this.ctx.reach, (app, message) =>
      this.logLine(app, message),
    );
    await this.adopt(apps, router, progress);
    await this.follower.watch();
    const failures: string[] = [];
    await Promise.all(
      apps.map((a) =>
        this.locked(a.release.app, () => this.converged(a, { progress })).catch((err: Error) => {
          failures.push(`${a.release.app}: ${err.message}`);
          this.logLine(a.release.app, `could not bring back v${a.release.version}: ${err.message}`);
        }),
      ),
    );
    await router.apply(this.routes());
    if (failures.length)
      progress({ kind: 'step', message: `Some apps did not come back: ${failures.join('; ')}` });
  }

  /** Takes over what a previous core left: routes as they were, log streams, and no orphans. */
  private async adopt(apps: DesiredApp[], router: Router, progress: Progress): Promise<void> {
    const known = new Map(apps.map((a) => [a.release.app, a]));
    for (const a of apps) this.routing.set(a.release.app, a.routing);
    const procs = await listProcs(this.docker, this.options.instance);
    // Until each app has converged, the router serves what it served before we came.
    const serving = router.backends();
    for (const app of known.keys()) this.rotation.set(app, serving.get(app) ?? []);
    const orphans = procs.filter((p) => !known.has(p.app));
    // A new store knows no apps yet: what runs may be another store's, so nothing is removed.
    const keep = this.options.keepOrphans === true;
    if (keep)
      progress({ kind: 'step', message: `a new store: left ${orphans.length} unknown processes alone` });
    await Promise.all((keep ? [] : orphans).map((p) => stopProc(this.docker, p, 0)));
    const runs = await this.docker.listContainers({
      all: true,
      filters: roleFilter(this.options.instance, 'run'),
    });
    await Promise.all(
      (keep ? [] : runs).map((r) =>
        this.docker
          .getContainer(r.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    await this.forgetOrphanNetworks(known);
    for (const p of procs)
      if (known.has(p.app) && p.state === 'running') {
        const since = this.logStore.lastWrite(p.app);
        await this.follower.follow(
          p.id,
          { name: p.name, app: p.app, version: String(p.version) },
          since ? Math.floor(since / 1000) : undefined,
        );
      }
  }

  /** Networks of apps this core does not know, once nothing of theirs is left on them. */
  private async forgetOrphanNetworks(known: Map<string, DesiredApp>): Promise<void> {
    for (const [app, net] of await appNetworks(this.docker, this.options.instance))
      if (!known.has(app)) await removeAppNetwork(this.docker, net, this.routerName);
  }

  /** The app's network, made and joined by the router the first time the app runs something. */
  private appNetwork(app: string): Promise<Network> {
    let net = this.networks.get(app);
    if (!net) {
      net = (async () => {
        const made = await ensureAppNetwork(this.docker, this.options.instance, app);
        if (!this.router) throw new TargetError('unavailable', 'The router is not ready yet.');
        await this.router.attach(made);
        return made;
      })();
      this.networks.set(app, net);
      net.catch(() => {
        if (this.networks.get(app) === net) this.networks.delete(app);
      });
    }
    return net;
  }

  private routes(): RouteEntry[] {
    return [...this.routing].map(([app, r]) => ({ app, ...r, upstreams: this.rotation.get(app) ?? [] }));
  }

  private context(): ConvergeContext {
    if (!this.ctx)
      throw new TargetError('unavailable', 'The Docker engine is not ready yet; is Docker running?');
    return this.ctx;
  }

  /** Runs `work` after every earlier operation on the app has finished. */
  private locked<T>(app: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(app, work);
  }

  /** Converges, then watches the liveness of what runs now. */
  private async converged(
    desired: DesiredApp,
    options: { progress?: Progress; restart?: RestartSelector },
    ctx = this.context(),
  ): Promise<void> {
    await converge(ctx, desired, { progress: options.progress ?? noProgress, restart: options.restart });
    this.liveness?.watch(desired.release);
  }

  note(app: string, message: string): void {
    this.logLine(app, message);
  }

  private logLine(app: string, message: string): void {
    this.logStore.append(app, [controllerLogLine(logTime(), message)]);
  }

  deploy(desired: DesiredApp, progress: Progress = noProgress): Promise<void> {
    const ctx = this.context();
    this.routing.set(desired.release.app, desired.routing);
    return this.locked(desired.release.app, async () => {
      this.logLine(desired.release.app, `deploying v${desired.release.version}: ${desired.release.summary}`);
      try {
        if (this.options.imagesFrom && desired.release.image) {
          const image = desired.release.image;
          progress({ kind: 'step', message: `Sending ${image} to the Docker host` });
          const copied = await copyImage(this.options.imagesFrom, this.docker, image);
          // Ours there by a tag of this target's (release-images.ts prunes and destroys by it).
          // An untagged copy still runs: it is only left out of housekeeping (and said so).
          await this.docker
            .getImage(copied.id)
            .tag(hostImageTag(this.options.instance, desired.release.app, copied.id))
            .catch((err: Error) =>
              this.logLine(
                desired.release.app,
                `could not tag ${image} on the Docker host (it will not be removed from there): ${err.message}`,
              ),
            );
          if (copied.bytes)
            this.logLine(
              desired.release.app,
              `sent ${image} (${Math.round(copied.bytes / 1e6)} MB) to the Docker host in ${Math.round(copied.ms / 1000)} s`,
            );
        }
        await this.converged(desired, { progress }, ctx);
      } catch (err) {
        this.logLine(desired.release.app, `v${desired.release.version} failed: ${(err as Error).message}`);
        throw err;
      }
    });
  }

  scale(desired: DesiredApp, progress: Progress = noProgress): Promise<void> {
    const ctx = this.context();
    const summary = Object.entries(desired.formation)
      .map(([t, n]) => `${t}=${n}`)
      .join(' ');
    this.logLine(desired.release.app, `scaling processes ${summary}`);
    return this.locked(desired.release.app, () => this.converged(desired, { progress }, ctx));
  }

  restart(desired: DesiredApp, selector: RestartSelector, progress: Progress = noProgress): Promise<void> {
    const ctx = this.context();
    const what = selector.name ?? selector.type ?? 'all processes';
    this.logLine(desired.release.app, `restarting ${what}`);
    return this.locked(desired.release.app, () =>
      this.converged(desired, { progress, restart: selector }, ctx),
    );
  }

  async route(app: string, routing: Routing): Promise<void> {
    this.routing.set(app, routing);
    if (this.router) await this.router.apply(this.routes());
  }

  async processes(app: string): Promise<ProcessInfo[]> {
    this.context();
    const procs = (await listProcs(this.docker, this.options.instance, app)).filter(
      (p) => !this.retiring.has(p.id),
    );
    return procs.map((p) => processInfo(p, this.starting)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async logs(app: string, options: LogOptions): Promise<string[]> {
    return this.logStore.tail(app, options.lines);
  }

  followLogs(app: string, signal: AbortSignal): AsyncIterable<string> {
    return this.logStore.follow(app, signal);
  }

  async run(release: ReleaseSpec, command: string, io?: RunIo): Promise<RunResult> {
    this.context();
    const net = await this.appNetwork(release.app);
    this.logLine(release.app, `running \`${command}\` with v${release.version}`);
    return runOnce(this.docker, this.options.instance, net.name, release, command, io);
  }

  async exec(app: string, process: string, command: string, io?: RunIo): Promise<{ exitCode: number }> {
    this.context();
    const proc = (await listProcs(this.docker, this.options.instance, app)).find(
      (p) => p.name === process && !this.retiring.has(p.id),
    );
    if (!proc || proc.state !== 'running')
      throw new TargetError('invalid', `${process} is not running; pick a process that is up.`);
    // One line in the log, whatever the command holds.
    this.logLine(app, `console: running \`${command.replace(/[\r\n]+/g, ' ')}\` in ${process}`);
    return execInProcess(this.docker, proc.id, command, io);
  }

  async shell(app: string, process: string, size: TerminalSize): Promise<ShellSession> {
    this.context();
    const proc = (await listProcs(this.docker, this.options.instance, app)).find(
      (p) => p.name === process && !this.retiring.has(p.id),
    );
    if (!proc || proc.state !== 'running')
      throw new TargetError('invalid', `${process} is not running; pick a process that is up.`);
    this.logLine(app, `console: opened a shell in ${process}`);
    return openShell(this.docker, proc.id, size);
  }

  destroy(app: string): Promise<void> {
    this.context();
    return this.locked(app, async () => {
      this.routing.delete(app);
      this.rotation.delete(app);
      this.liveness?.forget(app);
      if (this.router) await this.router.apply(this.routes());
      const procs = await listProcs(this.docker, this.options.instance, app);
      await Promise.all(procs.map((p) => stopProc(this.docker, p, 0)));
      const runs = await this.docker.listContainers({
        all: true,
        filters: roleFilter(this.options.instance, 'run', app),
      });
      await Promise.all(
        runs.map((r) =>
          this.docker
            .getContainer(r.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      const net = await this.networks.get(app)?.catch(() => undefined);
      this.networks.delete(app);
      const nets = await appNetworks(this.docker, this.options.instance);
      const own = nets.get(app) ?? net;
      if (own) await this.services.disconnectAll(own);
      if (own) await removeAppNetwork(this.docker, own, this.routerName);
      // The images copied there for it go with it (their processes are gone now).
      if (this.options.imagesFrom)
        await removeHostImages(this.docker, this.options.instance, app, new Set()).catch((err: Error) =>
          this.logLine(app, `could not remove its images from the Docker host: ${err.message}`),
        );
      this.logStore.remove(app);
    });
  }

  /**
   * After a release serves: the images this target copied for the app (tagged by it there) that
   * none of `keep` (image IDs or references) names and no container there uses are removed from the host; the
   * local engine's are the builder's (release-images.ts). A target that builds where it runs copies
   * nothing and removes nothing. On the app's queue, so a deploy never loses the image it copies.
   */
  pruneImages(app: string, keep: string[]): Promise<number> {
    if (!this.options.imagesFrom) return Promise.resolve(0);
    return this.locked(app, () => removeHostImages(this.docker, this.options.instance, app, new Set(keep)));
  }

  /** The engine's image by that reference (never pulled) and the app uuid the builder labelled it with. */
  inspectImage(ref: string): Promise<ImageOrigin> {
    return inspectLocalImage(this.docker, ref);
  }

  pullImage(ref: string, options: PullOptions): Promise<ImageOrigin> {
    return pullLocalImage(this.docker, ref, options);
  }

  /**
   * One node: the engine. Its labels are the daemon's own (`dockerd --label k=v`, as `docker info`
   * lists them) plus the well-known ones a Kubernetes node carries (hostname, os, arch), so a tag
   * such as `kubernetes.io/os=linux` means the same on every target.
   */
  async nodeLabels(): Promise<NodeLabels[]> {
    let info: { Name?: string; OSType?: string; Architecture?: string; Labels?: string[] | null };
    try {
      info = (await this.docker.info()) as typeof info;
    } catch (err) {
      throw new TargetError('unavailable', `The Docker engine does not answer: ${(err as Error).message}`);
    }
    const labels: NodeLabels = {};
    if (info.Name) labels['kubernetes.io/hostname'] = info.Name;
    if (info.OSType) labels['kubernetes.io/os'] = info.OSType;
    if (info.Architecture) labels['kubernetes.io/arch'] = GO_ARCH[info.Architecture] ?? info.Architecture;
    for (const entry of info.Labels ?? []) {
      const at = entry.indexOf('=');
      if (at > 0) labels[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return [labels];
  }

  /** CPU and memory from the engine's stats, traffic from the router's counters. */
  readonly metrics: MetricsSource = {
    processUsage: () => (this.usage ??= new UsageSampler(() => this.docker, this.options.instance)).sample(),
    trafficCounters: async () => this.router?.trafficCounters(),
  };

  private usage: UsageSampler | undefined;

  async close(): Promise<void> {
    this.router?.close();
    await this.ports?.close();
    this.liveness?.stop();
    this.follower.close();
    this.logStore.close();
    this.options.closeEngine?.();
  }
}
