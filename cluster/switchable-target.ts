/**
 * A target that can be switched off: stopping ends everything it runs (the router and the apps) and
 * refuses work until it is started again, which brings it all back from what the store says should
 * run, as a restarted core would. The stopped state is a file in DEIS_HOME, so a core that starts
 * while it is there runs nothing.
 */
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { STOPPED_MESSAGE, type InstanceStateName } from '../main/contract/instance';
import { forgetStoppedApp, removeInstanceObjects, stopInstance } from './docker/instance';
import { dockerEngine } from './docker/engine';
import type { KubeSettings } from './kubernetes/client';
import { forgetKubeApp, removeKubeInstance, stopKubeInstance } from './kubernetes/instance';
import { createTarget, type RunningTarget, type TargetSettings } from './index';
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
  type PullOptions,
  type ProcessInfo,
  type Progress,
  type ReleaseSpec,
  type RestartSelector,
  type Routing,
  type RunIo,
  type RunResult,
  type ServiceExec,
  type ServiceExecIo,
  type ServiceSpec,
  type ShellSession,
  type TerminalSize,
} from './target';

/** What stopping and removing mean on the engine behind the target. */
export interface PowerOps {
  /** Stops the router and the apps' processes. */
  stop(): Promise<void>;
  /** Removes every object of the instance; returns how many of each kind. */
  remove(): Promise<Record<string, number>>;
  /** Removes what is left of a destroyed app while stopped (containers, network, logs). */
  forget(app: string): Promise<void>;
}

export class SwitchableTarget implements RunningTarget {
  private inner: RunningTarget;
  private stopped: boolean;
  private busy: Exclude<InstanceStateName, 'running' | 'stopped'> | undefined;
  /** Work handed to the target that has not ended yet: stopping waits for it. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    /** Makes a fresh target: a start begins anew, as a restarted core does. */
    private readonly make: () => RunningTarget,
    private readonly ops: PowerOps,
    /** `<DEIS_HOME>/stopped`: present while everything is stopped. */
    private readonly marker: string,
  ) {
    this.inner = make();
    this.stopped = fs.existsSync(marker);
  }

  get state(): InstanceStateName {
    return this.busy ?? (this.stopped ? 'stopped' : 'running');
  }

  get routerPort(): number {
    return this.stopped ? 0 : this.inner.routerPort;
  }

  get routerTlsPort(): number {
    return this.stopped ? 0 : (this.inner.routerTlsPort ?? 0);
  }

  get routerUrl(): string {
    return this.stopped ? '' : (this.inner.routerUrl ?? '');
  }

  get routerTlsUrl(): string {
    return this.stopped ? '' : (this.inner.routerTlsUrl ?? '');
  }

  /** Refuses work that would run something while stopped (or while stopping, starting or removing). */
  private live<T>(work: () => Promise<T>): Promise<T> {
    if (this.stopped || this.busy) return Promise.reject(new TargetError('unavailable', STOPPED_MESSAGE));
    const p = work();
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async ensureReady(apps: DesiredApp[], progress: Progress = noProgress): Promise<void> {
    if (this.stopped) {
      progress({ kind: 'step', message: 'everything is stopped; it runs again after deis instance:start' });
      return;
    }
    await this.inner.ensureReady(apps, progress);
  }

  deploy(desired: DesiredApp, progress?: Progress): Promise<void> {
    return this.live(() => this.inner.deploy(desired, progress));
  }

  scale(desired: DesiredApp, progress?: Progress): Promise<void> {
    return this.live(() => this.inner.scale(desired, progress));
  }

  restart(desired: DesiredApp, selector: RestartSelector, progress?: Progress): Promise<void> {
    return this.live(() => this.inner.restart(desired, selector, progress));
  }

  /** While stopped the routing is only in the store; a start applies it. */
  async route(app: string, routing: Routing): Promise<void> {
    if (this.stopped) return;
    await this.live(() => this.inner.route(app, routing));
  }

  async processes(app: string): Promise<ProcessInfo[]> {
    if (this.stopped) return [];
    return this.inner.processes(app);
  }

  logs(app: string, options: LogOptions): Promise<string[]> {
    return this.inner.logs(app, options);
  }

  followLogs(app: string, signal: AbortSignal): AsyncIterable<string> {
    return this.inner.followLogs(app, signal);
  }

  run(release: ReleaseSpec, command: string, io?: RunIo): Promise<RunResult> {
    return this.live(() => this.inner.run(release, command, io));
  }

  exec(app: string, process: string, command: string, io?: RunIo): Promise<{ exitCode: number }> {
    const inner = this.inner.exec?.bind(this.inner);
    if (!inner)
      return Promise.reject(
        new TargetError('invalid', 'This target cannot run commands in a live process yet.'),
      );
    return this.live(() => inner(app, process, command, io));
  }

  shell(app: string, process: string, size: TerminalSize): Promise<ShellSession> {
    const inner = this.inner.shell?.bind(this.inner);
    if (!inner) return Promise.reject(new TargetError('invalid', SHELL_UNSUPPORTED));
    return this.live(() => inner(app, process, size));
  }

  /** While stopped the target cannot reach its router: what is left of the app goes directly. */
  destroy(app: string): Promise<void> {
    if (this.stopped) return this.ops.forget(app);
    return this.inner.destroy(app);
  }

  inspectImage(ref: string): Promise<ImageOrigin> {
    return this.inner.inspectImage(ref);
  }

  /** The log outlives what runs: events are written while stopped too. */
  note(app: string, message: string): void {
    this.inner.note(app, message);
  }

  /** A pull runs nothing: it works while everything is stopped too. */
  pullImage(ref: string, options: PullOptions): Promise<ImageOrigin> {
    return this.inner.pullImage(ref, options);
  }

  /** The engine's labels do not depend on whether our processes run. */
  nodeLabels(): Promise<NodeLabels[]> {
    return this.inner.nodeLabels();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The running target's metrics; nothing runs while stopped, so there is nothing to read. */
  get metrics(): MetricsSource | undefined {
    const inner = this.inner.metrics;
    if (!inner) return undefined;
    return {
      processUsage: async () => (this.stopped || this.busy ? [] : inner.processUsage()),
      trafficCounters: async () => (this.stopped || this.busy ? undefined : inner.trafficCounters()),
    };
  }

  provisionService(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    return this.live(() => servicesOf(this.inner, 'provisionService')(spec, progress));
  }

  connectService(service: string, app: string): Promise<string> {
    return this.live(() => servicesOf(this.inner, 'connectService')(service, app));
  }

  /** Cutting an app off works while stopped too: nothing runs, and the change must not wait for a start. */
  disconnectService(service: string, app: string): Promise<void> {
    return servicesOf(this.inner, 'disconnectService')(service, app);
  }

  destroyService(service: string): Promise<void> {
    return servicesOf(this.inner, 'destroyService')(service);
  }

  restartService(service: string, readiness: ServiceExec): Promise<void> {
    return this.live(() => servicesOf(this.inner, 'restartService')(service, readiness));
  }

  replaceServiceData(service: string, swap: ServiceExec, readiness: ServiceExec): Promise<void> {
    return this.live(() =>
      servicesOf(
        this.inner,
        'replaceServiceData',
        'Restoring this kind of service is not available on this target yet; use the Docker target.',
      )(service, swap, readiness),
    );
  }

  dialService(service: string, port: number): Promise<Duplex> {
    return this.live(() =>
      servicesOf(
        this.inner,
        'dialService',
        'Connecting to a service is not available on this target yet; use the Docker target.',
      )(service, port),
    );
  }

  serviceLogs(service: string, lines: number): Promise<string[]> {
    return servicesOf(
      this.inner,
      'serviceLogs',
      'Service logs are not available on this target yet; use the Docker target.',
    )(service, lines);
  }

  execService(
    service: string,
    exec: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    return this.live(() => servicesOf(this.inner, 'execService')(service, exec, io));
  }

  /** Stops everything: new work is refused at once, work under way ends first. */
  async stop(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = 'stopping';
    try {
      fs.writeFileSync(this.marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
      this.stopped = true;
      await Promise.allSettled([...this.inflight]);
      await this.inner.close();
      await this.ops.stop();
    } finally {
      this.busy = undefined;
    }
  }

  /** Brings back the router and every app as `apps` says; still stopped if the engine fails it. */
  async start(apps: DesiredApp[], progress: Progress = noProgress): Promise<void> {
    if (!this.stopped || this.busy) return;
    this.busy = 'starting';
    try {
      const fresh = this.make();
      try {
        await fresh.ensureReady(apps, progress);
      } catch (err) {
        await fresh.close().catch(() => undefined);
        throw err;
      }
      this.inner = fresh;
      this.stopped = false;
      fs.rmSync(this.marker, { force: true });
    } finally {
      this.busy = undefined;
    }
  }

  /** Stops everything, then removes every object of the instance; it stays stopped. */
  async remove(): Promise<Record<string, number>> {
    if (this.busy)
      throw new TargetError('invalid', `Deis Desktop is ${this.busy}; try again when it is done.`);
    await this.stop();
    this.busy = 'removing';
    try {
      return await this.ops.remove();
    } finally {
      this.busy = undefined;
    }
  }
}

/** The settings' target, switchable; its stopped state lives in `<home>/stopped`. */
export function createSwitchableTarget(settings: TargetSettings): SwitchableTarget {
  const ops: PowerOps =
    settings.kind === 'docker'
      ? {
          stop: async () => {
            await stopInstance(dockerEngine(), settings.instance);
          },
          remove: async () => ({ ...(await removeInstanceObjects(dockerEngine(), settings.instance)) }),
          forget: (app) => forgetStoppedApp(dockerEngine(), settings.instance, settings.home, app),
        }
      : settings.kind === 'kubernetes' && settings.kubernetes
        ? kubernetesPowerOps(settings.kubernetes.kube, settings.instance)
        : {
            stop: async () => undefined,
            remove: async () => ({ containers: 0, networks: 0, volumes: 0, images: 0 }),
            forget: async () => undefined,
          };
  return new SwitchableTarget(() => createTarget(settings), ops, path.join(settings.home, 'stopped'));
}

/** Stopping, removing and forgetting on a cluster: only this instance's objects. */
function kubernetesPowerOps(kube: KubeSettings, instance: string): PowerOps {
  return {
    stop: () => stopKubeInstance(kube, instance),
    remove: () => removeKubeInstance(kube, instance),
    forget: (app) => forgetKubeApp(kube, instance, app),
  };
}
