/**
 * One core, many targets: a target that hands each app's work to the target that app runs on.
 * `local` (the core's own target, switchable) is always there; the targets a user added are made
 * from the store's settings the first time one of their apps needs them, and connected then (or at
 * the core's start, in the background, when apps already run there), so a cluster that is away
 * never keeps the core or the other targets from working. Work that does not concern one app
 * (images, node labels) is the local engine's; metrics are every connected target's together. A
 * backing service lives on one target, as an app does: its work goes there, connecting it on first use.
 */
import { LOCAL_TARGET, type TargetState } from '../main/contract/targets';
import type { Duplex } from 'node:stream';
import type { RunningTarget } from './index';
import {
  noProgress,
  servicesOf,
  SHELL_UNSUPPORTED,
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
  type ShellSession,
  type Target,
  type TerminalSize,
} from './target';

/** What the multi-target needs to know of the store. */
export interface TargetDirectory {
  /** The target an app runs on (`local` for an app the store does not know). */
  targetOf(app: string): string;
  /** A new, unconnected target for a name the user added; undefined when there is no such target. */
  make(name: string): RunningTarget | undefined;
  /** Everything that should run on a target, for it to adopt when it connects. */
  desiredOn(name: string): DesiredApp[];
  /** The target a backing service lives on (`local` for a service the store does not know). */
  serviceTargetOf(service: string): string;
}

interface Remote {
  target: RunningTarget;
  state: Exclude<TargetState, 'idle'>;
  message: string;
  /** The connection attempt under way. */
  connecting?: Promise<RunningTarget>;
}

export interface TargetStatus {
  state: TargetState;
  message: string;
  routerUrl: string;
  /** Where apps on it answer HTTPS; empty when nowhere (yet). */
  routerHttpsUrl: string;
}

export class MultiTarget implements RunningTarget {
  private readonly remotes = new Map<string, Remote>();
  private closed = false;

  constructor(
    readonly local: RunningTarget,
    private readonly directory: TargetDirectory,
    private readonly log: (line: string) => void = () => {},
  ) {}

  get routerPort(): number {
    return this.local.routerPort;
  }

  get routerTlsPort(): number | undefined {
    return this.local.routerTlsPort;
  }

  get routerUrl(): string | undefined {
    return this.local.routerUrl;
  }

  get routerTlsUrl(): string | undefined {
    return this.local.routerTlsUrl;
  }

  /**
   * Every target's figures together: the local one's, and those of the targets that are connected
   * (one that is away or cannot tell leaves its apps out of that sample; the local one's errors stand).
   */
  get metrics(): MetricsSource | undefined {
    const remotes = () =>
      [...this.remotes.values()].flatMap((r) =>
        r.state === 'ready' && r.target.metrics ? [r.target.metrics] : [],
      );
    const local = this.local.metrics;
    if (!local && remotes().length === 0) return undefined;
    return {
      processUsage: async () => {
        const all = await Promise.all([
          local?.processUsage() ?? [],
          ...remotes().map((m) => m.processUsage().catch(() => [])),
        ]);
        return all.flat();
      },
      trafficCounters: async () => {
        const all = await Promise.all([
          local?.trafficCounters(),
          ...remotes().map((m) => m.trafficCounters().catch(() => undefined)),
        ]);
        return all.every((c) => c === undefined) ? undefined : all.flatMap((c) => c ?? []);
      },
    };
  }

  /** How a target the user added is doing (`idle` until one of its apps needs it). */
  status(name: string): TargetStatus {
    const r = this.remotes.get(name);
    if (!r) return { state: 'idle', message: '', routerUrl: '', routerHttpsUrl: '' };
    // A Docker host's router answers on ports of this machine forwarded to it (its own ports).
    const ready = r.state === 'ready';
    const port = ready ? r.target.routerPort : 0;
    const tlsPort = ready ? (r.target.routerTlsPort ?? 0) : 0;
    const routerUrl = r.target.routerUrl || (port ? `http://127.0.0.1:${port}` : '');
    const routerHttpsUrl = r.target.routerTlsUrl || (tlsPort ? `https://127.0.0.1:${tlsPort}` : '');
    return { state: r.state, message: r.message, routerUrl, routerHttpsUrl };
  }

  /**
   * The target `name`, connected: made and brought up (it adopts every app of it) on first use, and
   * tried again on the next use after a failure. Throws TargetError `unavailable` saying why.
   */
  connected(name: string): Promise<RunningTarget> {
    if (this.closed) return Promise.reject(new TargetError('unavailable', 'The core is stopping.'));
    const known = this.remotes.get(name);
    if (known?.state === 'ready') return Promise.resolve(known.target);
    if (known?.connecting) return known.connecting;
    if (known) void known.target.close().catch(() => undefined);
    const target = this.directory.make(name);
    if (!target)
      return Promise.reject(
        new TargetError(
          'unavailable',
          `The target ${name} does not exist (it was removed); the app cannot run.`,
        ),
      );
    const remote: Remote = { target, state: 'starting', message: 'connecting' };
    this.remotes.set(name, remote);
    remote.connecting = target
      .ensureReady(this.directory.desiredOn(name), (e) => {
        if (e.kind === 'step') {
          remote.message = e.message;
          this.log(`target ${name}: ${e.message}`);
        }
      })
      .then(
        () => {
          remote.state = 'ready';
          remote.message = '';
          this.log(`target ${name}: ready`);
          return target;
        },
        (err: Error) => {
          remote.state = 'unavailable';
          remote.message = err.message;
          this.log(`target ${name}: not ready: ${err.message}`);
          throw err instanceof TargetError
            ? err
            : new TargetError('unavailable', `The target ${name} cannot be used: ${err.message}`);
        },
      )
      .finally(() => {
        remote.connecting = undefined;
      });
    return remote.connecting;
  }

  /** The app's target, connected. */
  private of(app: string): Promise<Target> {
    const name = this.directory.targetOf(app);
    return name === LOCAL_TARGET ? Promise.resolve(this.local) : this.connected(name);
  }

  /** The local target's apps now; every other target with apps connects in the background. */
  async ensureReady(apps: DesiredApp[], progress: Progress = noProgress): Promise<void> {
    const elsewhere = new Set<string>();
    const here = apps.filter((a) => {
      const name = this.directory.targetOf(a.release.app);
      if (name !== LOCAL_TARGET) elsewhere.add(name);
      return name === LOCAL_TARGET;
    });
    for (const name of elsewhere) this.connected(name).catch(() => undefined);
    await this.local.ensureReady(here, progress);
  }

  async deploy(desired: DesiredApp, progress?: Progress): Promise<void> {
    return (await this.of(desired.release.app)).deploy(desired, progress);
  }

  async scale(desired: DesiredApp, progress?: Progress): Promise<void> {
    return (await this.of(desired.release.app)).scale(desired, progress);
  }

  async restart(desired: DesiredApp, selector: RestartSelector, progress?: Progress): Promise<void> {
    return (await this.of(desired.release.app)).restart(desired, selector, progress);
  }

  /**
   * A target that is not connected yet gets the routing when it connects (it adopts what the store
   * says): creating an app on a cluster does not wait for the cluster's router to come up.
   */
  async route(app: string, routing: Routing): Promise<void> {
    const name = this.directory.targetOf(app);
    if (name === LOCAL_TARGET) return this.local.route(app, routing);
    if (this.remotes.get(name)?.state !== 'ready') {
      this.connected(name).catch(() => undefined);
      return;
    }
    return (await this.connected(name)).route(app, routing);
  }

  async processes(app: string): Promise<ProcessInfo[]> {
    return (await this.of(app)).processes(app);
  }

  async logs(app: string, options: LogOptions): Promise<string[]> {
    return (await this.of(app)).logs(app, options);
  }

  async *followLogs(app: string, signal: AbortSignal): AsyncIterable<string> {
    yield* (await this.of(app)).followLogs(app, signal);
  }

  async run(release: ReleaseSpec, command: string, io?: RunIo): Promise<RunResult> {
    return (await this.of(release.app)).run(release, command, io);
  }

  /** A command in a live process, on the app's target (a target without it says so). */
  async exec(app: string, process: string, command: string, io?: RunIo): Promise<{ exitCode: number }> {
    const target = await this.of(app);
    const exec = target.exec?.bind(target);
    if (!exec) throw new TargetError('invalid', 'This target cannot run commands in a live process yet.');
    return exec(app, process, command, io);
  }

  /** The console's shell, on the app's target (a target without one says so). */
  async shell(app: string, process: string, size: TerminalSize): Promise<ShellSession> {
    const target = await this.of(app);
    const shell = target.shell?.bind(target);
    if (!shell) throw new TargetError('invalid', SHELL_UNSUPPORTED);
    return shell(app, process, size);
  }

  /** The service's target, connected (a target that is away throws TargetError `unavailable` saying why). */
  private serviceHost(service: string): Promise<Target> {
    const name = this.directory.serviceTargetOf(service);
    return name === LOCAL_TARGET ? Promise.resolve(this.local) : this.connected(name);
  }

  async provisionService(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    return servicesOf(await this.serviceHost(spec.name), 'provisionService')(spec, progress);
  }

  async connectService(service: string, app: string): Promise<string> {
    return servicesOf(await this.serviceHost(service), 'connectService')(service, app);
  }

  async disconnectService(service: string, app: string): Promise<void> {
    return servicesOf(await this.serviceHost(service), 'disconnectService')(service, app);
  }

  async destroyService(service: string): Promise<void> {
    return servicesOf(await this.serviceHost(service), 'destroyService')(service);
  }

  async restartService(service: string, readiness: ServiceExec): Promise<void> {
    return servicesOf(await this.serviceHost(service), 'restartService')(service, readiness);
  }

  async replaceServiceData(service: string, swap: ServiceExec, readiness: ServiceExec): Promise<void> {
    return servicesOf(
      await this.serviceHost(service),
      'replaceServiceData',
      'Restoring this kind of service is not available on this target yet; use the Docker target.',
    )(service, swap, readiness);
  }

  async dialService(service: string, port: number): Promise<Duplex> {
    return servicesOf(
      await this.serviceHost(service),
      'dialService',
      'Connecting to a service is not available on this target yet; use the Docker target.',
    )(service, port);
  }

  async serviceLogs(service: string, lines: number): Promise<string[]> {
    return servicesOf(
      await this.serviceHost(service),
      'serviceLogs',
      'Service logs are not available on this target yet; use the Docker target.',
    )(service, lines);
  }

  async execService(
    service: string,
    exec: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    return servicesOf(await this.serviceHost(service), 'execService')(service, exec, io);
  }

  /** A target not connected yet keeps the line until it is (the Kubernetes target buffers them). */
  note(app: string, message: string): void {
    const name = this.directory.targetOf(app);
    if (name === LOCAL_TARGET) return this.local.note(app, message);
    const remote = this.remotes.get(name);
    if (remote) remote.target.note(app, message);
  }

  async destroy(app: string): Promise<void> {
    return (await this.of(app)).destroy(app);
  }

  /**
   * The copies of an app's images on its own target (a Docker host's); the local engine's are the
   * builder's. A target that is not connected is not connected for this: the next release prunes.
   */
  async pruneImages(app: string, keep: string[]): Promise<number> {
    const name = this.directory.targetOf(app);
    const remote = name === LOCAL_TARGET ? undefined : this.remotes.get(name);
    if (remote?.state !== 'ready' || !remote.target.pruneImages) return 0;
    return remote.target.pruneImages(app, keep);
  }

  /** Images are built and pulled by the local engine, whatever target runs them. */
  inspectImage(ref: string): Promise<ImageOrigin> {
    return this.local.inspectImage(ref);
  }

  pullImage(ref: string, options: PullOptions): Promise<ImageOrigin> {
    return this.local.pullImage(ref, options);
  }

  nodeLabels(): Promise<NodeLabels[]> {
    return this.local.nodeLabels();
  }

  /** Lets go of a removed target (what it ran is gone already: it had no apps). */
  async forget(name: string): Promise<void> {
    const remote = this.remotes.get(name);
    this.remotes.delete(name);
    if (remote) await remote.target.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const remotes = [...this.remotes.values()];
    this.remotes.clear();
    await Promise.all(remotes.map((r) => r.target.close().catch(() => undefined)));
    await this.local.close();
  }
}
