/**
 * Where releases run: one interface for the local Docker engine and for Kubernetes. A target is a
 * reconciler: it is told what should run (a release and a formation per app, plus routing) and
 * converges to it, and on start it adopts whatever it finds. Nothing here names a Docker concept.
 */
import type { Duplex } from 'node:stream';
import type { Autoscale, Healthchecks, Procfile } from '../main/contract/objects';

/** Process type → number of processes, Deis's `structure`. */
export type Formation = Record<string, number>;

/** Everything a target needs to run one release of an app; plain data, no store rows. */
export interface ReleaseSpec {
  app: string;
  version: number;
  /** The image to run; `null` when the release has no build yet. */
  image: string | null;
  procfile: Procfile;
  /** Built from a Dockerfile or pulled as an image (commands differ from buildpack images). */
  dockerfile: boolean;
  /** The git commit of a push, empty for `deis pull` images. */
  sha: string;
  summary: string;
  created: string;
  values: Record<string, string>;
  memory: Record<string, string>;
  cpu: Record<string, string>;
  healthcheck: Healthchecks;
  /** `deis tags:set`: node labels the processes must run on (Kubernetes' nodeSelector). */
  tags?: Record<string, string>;
}

/** How the router should treat an app's HTTP traffic. */
export interface Routing {
  /** Host names: bare names (the app id) are served under the platform domain, others as given. */
  domains: string[];
  routable: boolean;
  maintenance: boolean;
  /** Addresses or networks allowed; empty allows everyone. */
  whitelist: string[];
  /** `deis tls:enable`: plain HTTP is answered with a 301 to HTTPS. */
  httpsOnly?: boolean;
  /** Certificates attached to the app's domains (`deis certs:attach`), one entry per host name. */
  certificates?: HostCertificate[];
  /**
   * `deis autoscale:set`, per process type. Kubernetes runs a HorizontalPodAutoscaler per type;
   * Docker has no autoscaler and keeps the formation as set.
   */
  autoscale?: Record<string, Autoscale>;
}

/** A certificate a host name is served with over HTTPS: PEM of the leaf and its chain, and its key. */
export interface HostCertificate {
  host: string;
  certificate: string;
  key: string;
}

/** What should run for one app. */
export interface DesiredApp {
  release: ReleaseSpec;
  formation: Formation;
  routing: Routing;
}

/** Deis's pod states. */
export type ProcessState = 'up' | 'starting' | 'crashed' | 'down' | 'terminating';

export interface ProcessInfo {
  name: string;
  type: string;
  version: number;
  state: ProcessState;
  /** When it started, `YYYY-MM-DDTHH:MM:SSZ`. */
  started: string;
}

export interface RestartSelector {
  type?: string;
  name?: string;
}

export interface RunResult {
  exitCode: number;
  /** The end of the output (at most MAX_RUN_OUTPUT_CHARS characters, after a line saying what was dropped). */
  output: string;
}

/** Where a one-off command's output goes as it comes, and when to stop it. */
export interface RunIo {
  /**
   * Receives every piece of output in order. When it returns a promise, the command's output is
   * held back (and the command waits on its writes) until the promise resolves.
   */
  output?: (text: string) => void | Promise<void>;
  /** Aborting kills the command (the client went away). */
  signal?: AbortSignal;
}

/** What a target reports while it works; shown as task progress and controller log lines. */
export type ProgressEvent =
  /** `preparing`: long work of a first start (a pull, an image build), shown as its own task. */
  | { kind: 'step'; message: string; preparing?: boolean }
  | { kind: 'process'; name: string; type: string; state: ProcessState }
  | { kind: 'log'; line: string };

export type Progress = (event: ProgressEvent) => void;

export const noProgress: Progress = () => {};

export type TargetErrorCode =
  /** The engine or cluster cannot be reached. */
  | 'unavailable'
  /** The release's image is not there (and cannot be pulled). */
  | 'image_missing'
  /** A new process exited while starting. */
  | 'crashed'
  /** A new process was not ready within the deploy timeout. */
  | 'not_ready'
  /** The request does not fit what runs (unknown process, no build). */
  | 'invalid'
  /** Something the target itself needs (router, network) could not be set up. */
  | 'setup';

/** An expected failure with one sentence to show and, when there are any, the process's last log lines. */
export class TargetError extends Error {
  override readonly name = 'TargetError';

  constructor(
    readonly code: TargetErrorCode,
    message: string,
    readonly logs: string[] = [],
  ) {
    super(message);
  }
}

/** What a target would run for an image reference. */
export type ImageOrigin =
  /** An image of the engine the target runs on; `appUuid`: the app the builder made it for, if any. */
  | { kind: 'local'; id: string; appUuid: string | undefined }
  /** The engine has no such image (and the target never pulls). */
  | { kind: 'missing' }
  /** The target pulls images from a registry as named: there is no local image to speak of. */
  | { kind: 'registry' };

export interface PullOptions {
  /** `deis registry:set username=… password=…`: for the registry the image reference names. */
  credentials?: { username: string; password: string };
  log: (line: string) => void;
}

/** The labels of one node apps may run on (Kubernetes: a node's labels; Docker: the engine's). */
export type NodeLabels = Record<string, string>;

export interface LogOptions {
  /** How many of the most recent lines. */
  lines: number;
}

/** One process's use of the machine at one moment, as the engine counts it. */
export interface ProcessUsage {
  app: string;
  name: string;
  type: string;
  /** Percent of one CPU since the previous sample of the same process; null for its first sample. */
  cpuPercent: number | null;
  /** Memory in use, the page cache the kernel can drop left out (what `docker stats` shows). */
  memoryBytes: number;
}

/**
 * An app's HTTP traffic through the router since the router started: counters that only grow, and
 * start again from zero when the router restarts (the reader takes a drop as such a restart).
 */
export interface TrafficCounters {
  app: string;
  /** Answers by status class: index 0 is 2xx, 1 is 3xx, 2 is 4xx, 3 is 5xx. */
  requests: [number, number, number, number];
  bytesOut: number;
  /** Requests per response-time bucket (LATENCY_BOUNDS_MS in main/contract/metrics.ts). */
  latency: number[];
}

/**
 * What a target can tell about how its apps run. Optional: a target without it (Kubernetes, for
 * now) runs apps as well, and the API says their metrics are not collected.
 */
export interface MetricsSource {
  /** CPU and memory of every process of every app of this core. */
  processUsage(): Promise<ProcessUsage[]>;
  /** The router's counters of every routed app; undefined while there is no router to ask. */
  trafficCounters(): Promise<TrafficCounters[] | undefined>;
}

/** A backing service's container: what the catalog and its credentials make of it; plain data. */
export interface ServiceSpec {
  /** Unique on the core; names the container, its volume and the host apps reach it at. */
  name: string;
  kind: string;
  /** The configured image (the official one by default), pulled when the engine lacks it. */
  image: string;
  /** Built from `dockerfileDir` with BASE=`base` when `image` cannot be had; cached by its tag. */
  fallback?: { image: string; dockerfileDir: string; base: string };
  /** The container's environment (it holds the generated credentials: never logged). */
  env: Record<string, string>;
  command?: string[];
  /** Kept on a named volume that outlives the container; null for a service without data. */
  dataPath: string | null;
  /** The port it listens on (where a cluster's Service sends connections). */
  port?: number;
  /** Succeeds once the service accepts connections. */
  readiness: ServiceExec;
}

/** A command inside a service's container; secrets go in `env`, never in `command`. */
/** What a target without Target.shell answers (Kubernetes, for now). */
export const SHELL_UNSUPPORTED =
  'This target cannot open a shell in a live process yet; run single commands instead.';

/** A terminal's size in characters. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** An interactive shell on a PTY inside a live process (Target.shell). */
export interface ShellSession {
  /** What the terminal shows, as it comes; ends when the shell exits or is closed. */
  output: AsyncIterable<Buffer>;
  /** Keystrokes for the shell. */
  write(data: string): void;
  resize(size: TerminalSize): Promise<void>;
  /** Kills the shell and everything it started; safe to call more than once. */
  close(): Promise<void>;
  /** The shell's exit code once its output ended (-1 when it was closed or unknown). */
  exitCode(): Promise<number>;
}

export interface ServiceExec {
  command: string[];
  env: Record<string, string>;
}

/** Where a command inside a service's container reads and writes (bounded by the caller). */
export interface ServiceExecIo {
  /** Fed to the command's stdin, then closed. */
  input?: AsyncIterable<Buffer>;
  /** Receives stdout as it comes; the command waits while a returned promise is pending. */
  stdout?: (chunk: Buffer) => void | Promise<void>;
  /** The end of stderr is kept for the error message. */
  signal?: AbortSignal;
}

/**
 * Backing services on a target. Optional: a target without them answers that it has none; the
 * Docker target runs them as containers, the Kubernetes target as one-replica Deployments.
 */
export interface ServiceTarget {
  /** Creates (or finds) and starts the service, and waits until it is ready; answers the image it runs. */
  provisionService?(spec: ServiceSpec, progress: Progress): Promise<{ image: string }>;
  /** Lets `app`'s processes reach the service; answers the host name they reach it at. */
  connectService?(service: string, app: string): Promise<string>;
  /** Cuts the app off the service. */
  disconnectService?(service: string, app: string): Promise<void>;
  /** Removes the service's container and its data. */
  destroyService?(service: string): Promise<void>;
  /** Restarts the service's container (its data stays); waits until it is ready again. */
  restartService?(service: string, readiness: ServiceExec): Promise<void>;
  /**
   * Stops the service, runs `swap` in a container of its image with its data folder (and nothing
   * listening), then starts it again and waits until it is ready: how a data file is replaced safely.
   * The service is started again when the swap fails too.
   */
  replaceServiceData?(service: string, swap: ServiceExec, readiness: ServiceExec): Promise<void>;
  /**
   * A byte stream to the service's port, through the engine (nothing is published on the host): one
   * connection of `deis services:connect`. Ends when either side closes.
   */
  dialService?(service: string, port: number): Promise<Duplex>;
  /** The last `lines` lines the service's container wrote (stdout and stderr), oldest first. */
  serviceLogs?(service: string, lines: number): Promise<string[]>;
  /** Runs a command in the service's container: its exit code and the end of its stderr. */
  execService?(
    service: string,
    exec: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }>;
}

/** The target's backing-service method, or a TargetError saying it has none. */
export function servicesOf<K extends keyof ServiceTarget>(
  target: ServiceTarget,
  method: K,
  missing = 'This target does not run backing services yet; use the Docker target.',
): NonNullable<ServiceTarget[K]> {
  const fn = target[method];
  if (!fn) throw new TargetError('invalid', missing);
  return (fn as (...args: never[]) => unknown).bind(target) as NonNullable<ServiceTarget[K]>;
}

export interface Target extends ServiceTarget {
  /** Prepares the engine (network, router) and adopts what runs; call once before anything else. */
  ensureReady(apps: DesiredApp[], progress?: Progress): Promise<void>;
  /** Runs `release` with `formation` with no downtime for routed processes; throws TargetError when it cannot. */
  deploy(desired: DesiredApp, progress?: Progress): Promise<void>;
  /** Converges to a new formation of the release already running. */
  scale(desired: DesiredApp, progress?: Progress): Promise<void>;
  /** Replaces the selected processes with fresh ones; routed ones are replaced before they stop. */
  restart(desired: DesiredApp, selector: RestartSelector, progress?: Progress): Promise<void>;
  /** Applies a change of domains, maintenance, routability or whitelist. */
  route(app: string, routing: Routing): Promise<void>;
  processes(app: string): Promise<ProcessInfo[]>;
  /** The app's recent log lines (processes and target), oldest first; they outlive the processes. */
  logs(app: string, options: LogOptions): Promise<string[]>;
  /** Follows new log lines until the signal aborts. */
  followLogs(app: string, signal: AbortSignal): AsyncIterable<string>;
  /**
   * A one-off process of the release with its environment; returns the end of its output and its
   * exit code, and hands every piece of output to `io.output` as it comes when asked to.
   */
  run(release: ReleaseSpec, command: string, io?: RunIo): Promise<RunResult>;
  /**
   * The console: runs `command` with /bin/sh inside the app's live process `process`, handing every
   * piece of output to `io.output`; resolves with its exit code. Absent on targets that cannot yet.
   */
  exec?(app: string, process: string, command: string, io?: RunIo): Promise<{ exitCode: number }>;
  /**
   * The console's interactive shell: a shell on a PTY of `size` inside the app's live process
   * `process`. Absent on targets that cannot yet (the API then says so).
   */
  shell?(app: string, process: string, size: TerminalSize): Promise<ShellSession>;
  /** Writes one of the controller's events into the app's log (`deis[controller]: INFO …`). */
  note(app: string, message: string): void;
  /** Removes everything of the app: processes, routes, logs. */
  destroy(app: string): Promise<void>;
  /**
   * Removes the app's images this target keeps apart from the local engine's (a Docker host's
   * copies) that none of `keep` (image IDs, or references of builds without one) names and nothing there uses; answers how many went.
   * Absent on targets whose images are the local engine's or a registry's.
   */
  pruneImages?(app: string, keep: string[]): Promise<number>;
  /** Where the image a release names would come from, and for a local image which app it was built for. */
  inspectImage(ref: string): Promise<ImageOrigin>;
  /**
   * Pulls an image the engine lacks (`deis pull`), with progress lines for `log`; `credentials` go
   * only to the registry the reference names. Throws TargetError `image_missing` when it cannot be had.
   */
  pullImage(ref: string, options: PullOptions): Promise<ImageOrigin>;
  /** The labels of every node an app may be placed on, for `deis tags:set` to be checked against. */
  nodeLabels(): Promise<NodeLabels[]>;
  /** Lets go of the engine (stops following logs) and leaves everything running. */
  close(): Promise<void>;
  /** Where the core's metrics collector reads CPU, memory and traffic; absent when the target cannot tell. */
  readonly metrics?: MetricsSource;
}
