/**
 * An in-memory target for tests of the API that need no Docker engine (DEIS_TARGET=fake): it
 * "runs" exactly what it is told, instantly, and keeps the log lines it would have written.
 */
import type {
  DesiredApp,
  ImageOrigin,
  LogOptions,
  NodeLabels,
  PullOptions,
  ProcessInfo,
  ReleaseSpec,
  RestartSelector,
  Routing,
  RunIo,
  RunResult,
  Target,
} from '../target';
import { controllerLogLine, logTime } from '../../main/contract/log-lines';

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
let counter = 0;

export class FakeTarget implements Target {
  readonly routerPort = 0;
  private readonly running = new Map<string, ProcessInfo[]>();
  private readonly lines = new Map<string, string[]>();
  readonly routes = new Map<string, Routing>();

  async ensureReady(apps: DesiredApp[]): Promise<void> {
    for (const a of apps) await this.deploy(a);
  }

  private log(app: string, line: string): void {
    this.lines.set(app, [...(this.lines.get(app) ?? []), controllerLogLine(logTime(), line)]);
  }

  async deploy(desired: DesiredApp): Promise<void> {
    const { release, formation } = desired;
    this.routes.set(release.app, desired.routing);
    if (!release.image) return;
    const procs: ProcessInfo[] = [];
    for (const [type, count] of Object.entries(formation))
      for (let i = 0; i < count; i++)
        procs.push({
          name: `${release.app}-v${release.version}-${type}-${String(++counter).padStart(5, '0')}`,
          type,
          version: release.version,
          state: 'up',
          started: now(),
        });
    this.running.set(release.app, procs);
    this.log(release.app, `v${release.version} running`);
  }

  scale(desired: DesiredApp): Promise<void> {
    return this.deploy(desired);
  }

  async restart(desired: DesiredApp, _selector: RestartSelector): Promise<void> {
    await this.deploy(desired);
  }

  async route(app: string, routing: Routing): Promise<void> {
    this.routes.set(app, routing);
  }

  async processes(app: string): Promise<ProcessInfo[]> {
    return this.running.get(app) ?? [];
  }

  async logs(app: string, options: LogOptions): Promise<string[]> {
    return options.lines > 0 ? (this.lines.get(app) ?? []).slice(-options.lines) : [];
  }

  async *followLogs(): AsyncIterable<string> {}

  async run(_release: ReleaseSpec, _command: string, _io?: RunIo): Promise<RunResult> {
    return { exitCode: 0, output: '' };
  }

  /**
   * The fake runs nothing and has no engine, so images are only names to it, as to a target that
   * pulls from a registry: `deis pull` of any name works for everyone, as API tests expect. The
   * Docker target answers for the images of its engine.
   */
  async inspectImage(_ref: string): Promise<ImageOrigin> {
    return { kind: 'registry' };
  }

  note(app: string, message: string): void {
    this.log(app, message);
  }

  /** Names are all it knows: nothing to pull. */
  async pullImage(_ref: string, _options: PullOptions): Promise<ImageOrigin> {
    return { kind: 'registry' };
  }

  /** One pretend node, labelled like a small Kubernetes node with an SSD. */
  async nodeLabels(): Promise<NodeLabels[]> {
    return [{ 'kubernetes.io/hostname': 'fake', 'kubernetes.io/os': 'linux', disk: 'ssd' }];
  }

  async destroy(app: string): Promise<void> {
    this.running.delete(app);
    this.routes.delete(app);
    this.lines.delete(app);
  }

  async close(): Promise<void> {}
}
