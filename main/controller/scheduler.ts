/**
 * The run stage seen from the controller: turns releases, formation and settings from the store into
 * what a target should run, deploys every new release, and answers scale, ps, restart, run and logs.
 * A release that cannot be deployed is marked failed and the request that cut it fails with the reason.
 */
import { badRequest, conflict, DeisError } from '../contract/errors';
import {
  MAX_DEPLOY_PROGRESS_LINES,
  MAX_RUNS,
  MAX_RUNS_PER_APP,
  TARGET_READY_WAIT_MS,
} from '../contract/limits';
import type { Autoscale } from '../contract/objects';
import type { Pod, RunResponse } from '../contract/pods';
import {
  SHELL_UNSUPPORTED,
  TargetError,
  type DesiredApp,
  type ReleaseSpec,
  type RestartSelector,
  type Routing,
  type RunIo,
  type Progress,
  type ShellSession,
  type Target,
  type TerminalSize,
} from '../../cluster/target';
import type { AppRow } from './apps';
import { configData } from './config';
import { buildTypes, checkAppSize, formationFor, parseScale, type Formation } from './formation';
import type { Controller } from '.';
import type { ReleaseEvent, ReleaseRow } from './releases';
import type { UserRow } from './users';
import { TargetReadiness } from './target-readiness';

/** Dockerfile builds and `deis pull` images run their own commands; git pushes without Dockerfile are buildpack builds. */
const isDocker = (build: { dockerfile: string; sha: string }) => build.dockerfile !== '' || build.sha === '';

/** How long to wait before trying an engine that was away again. */
const RETRY_MS = 5000;

/**
 * A deploy's progress as lines for the person who waits on it: the target's steps (on Kubernetes:
 * scheduled, pulling, ready n/m) and each new process coming up, at most MAX_DEPLOY_PROGRESS_LINES
 * (a scale to hundreds of processes must not flood a terminal).
 */
export function deployProgress(say: (line: string) => void): Progress {
  let lines = 0;
  return (event) => {
    const line =
      event.kind === 'step'
        ? event.message
        : event.kind === 'process'
          ? `${event.type}: ${event.name} ${event.state}`
          : undefined;
    if (line === undefined || lines > MAX_DEPLOY_PROGRESS_LINES) return;
    lines++;
    say(lines > MAX_DEPLOY_PROGRESS_LINES ? '… (more progress than is shown here)' : line);
  };
}

/**
 * The API errors that say the target failed at something it tried (a deploy that crashed, a scale
 * that could not start a process), as opposed to a request refused before any work: the activity
 * feed records these as failures.
 */
export const targetFailures = new WeakSet<DeisError>();

export class Scheduler {
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** One-off commands running now, per app id. */
  private readonly runs = new Map<string, number>();
  private runsInAll = 0;
  /** Whether the target is ready, and why not; work that needs it waits briefly, then is refused. */
  readonly readiness: TargetReadiness;
  /** Releases cut while the target was getting ready (config, rollback), per app: deployed once it is. */
  private readonly queued = new Map<string, ReleaseEvent>();

  constructor(
    private readonly c: Controller,
    readonly target: Target,
  ) {
    this.readiness = new TargetReadiness(c.tasks);
  }

  spec(app: AppRow, release: ReleaseRow): ReleaseSpec {
    const config = configData(this.c.configs.get(release.config_uuid));
    const build = release.build_uuid ? this.c.builds.get(app, release.build_uuid) : undefined;
    return {
      app: app.id,
      version: release.version,
      image: build ? build.image_id || build.image : null,
      procfile: build ? (JSON.parse(build.procfile) as Record<string, string>) : {},
      dockerfile: build ? isDocker(build) : false,
      sha: build?.sha ?? '',
      summary: release.summary,
      created: release.created,
      values: config.values,
      memory: config.memory,
      cpu: config.cpu,
      healthcheck: config.healthcheck,
      tags: config.tags,
    };
  }

  routing(app: AppRow): Routing {
    const settings = this.c.settings.latest(app);
    const domains = this.c.domains.list(app);
    return {
      domains: domains.map((d) => d.domain),
      routable: settings.routable === 1,
      maintenance: settings.maintenance === 1,
      whitelist: JSON.parse(settings.whitelist) as string[],
      autoscale: JSON.parse(settings.autoscale) as Record<string, Autoscale>,
      httpsOnly: this.c.tls.latest(app).https_enforced === 1,
      certificates: domains.flatMap((d) => {
        const cert = d.certificate_id === null ? undefined : this.c.certs.pem(d.certificate_id);
        return cert ? [{ host: d.domain, ...cert }] : [];
      }),
    };
  }

  private structure(app: AppRow): Formation {
    const fresh = this.c.apps.find(app.id) ?? app;
    return JSON.parse(fresh.structure) as Formation;
  }

  /** What should run for the app right now: its current release with its structure. */
  desired(app: AppRow): DesiredApp {
    return {
      release: this.spec(app, this.c.releases.current(app)),
      formation: this.structure(app),
      routing: this.routing(app),
    };
  }

  /**
   * Brings the target up: it adopts what runs and converges every app. An engine that is away
   * (Docker not started yet) does not stop the core: the API answers, deploys say Docker is
   * missing, and the target is tried again every few seconds until it comes up.
   */
  /** Resolves to whether the target came up on this attempt (it retries by itself if not). */
  start(log: (line: string) => void): Promise<boolean> {
    const attempt = this.attemptStart(log);
    this.readiness.begin(attempt);
    return attempt;
  }

  private async attemptStart(log: (line: string) => void): Promise<boolean> {
    const adopted = this.allDesired();
    try {
      await this.target.ensureReady(adopted, (e) => {
        if (e.kind === 'step') log(`target: ${e.message}`);
        this.readiness.progress(e);
      });
      this.readiness.succeeded();
      log('target: ready');
      this.retry = undefined;
      this.catchUp(adopted, log);
      return true;
    } catch (err) {
      this.readiness.failed((err as Error).message);
      if (!this.retry)
        log(`target: not ready, trying again every ${RETRY_MS / 1000} s: ${(err as Error).message}`);
      if (this.stopped) return false;
      this.retry = setTimeout(() => void this.start(log), RETRY_MS);
      this.retry.unref();
      return false;
    }
  }

  /**
   * What changed while the target got ready: apps destroyed since it was told what runs, routing
   * changed, and releases cut (they deploy now; a failure marks the release failed, as ever).
   */
  private catchUp(adopted: DesiredApp[], log: (line: string) => void): void {
    const told = new Map(adopted.map((a) => [a.release.app, JSON.stringify(a.routing)]));
    const report = (app: string) => (err: unknown) =>
      log(`target: ${app}: could not catch up after the start: ${(err as Error).message}`);
    for (const app of told.keys()) if (!this.c.apps.find(app)) this.target.destroy(app).catch(report(app));
    for (const app of this.c.apps.all()) {
      const routing = this.routing(app);
      if (told.has(app.id) && told.get(app.id) !== JSON.stringify(routing))
        this.target.route(app.id, routing).catch(report(app.id));
    }
    const queued = [...this.queued.values()];
    this.queued.clear();
    for (const event of queued) {
      const app = this.c.apps.find(event.app.id);
      if (app && this.c.releases.current(app).uuid === event.release.uuid)
        this.onRelease({ ...event, app }).catch(report(app.id));
    }
  }

  /** Stops retrying; what runs keeps running. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.target.close();
  }

  /** Every app, for the target to adopt and converge on start. */
  allDesired(): DesiredApp[] {
    // An app with no release at all (a store older than releases, or damaged) has nothing to run.
    return this.c.apps.all().flatMap((app) => {
      try {
        return [this.desired(app)];
      } catch (err) {
        if (err instanceof DeisError && err.code === 'not_found') return [];
        throw err;
      }
    });
  }

  /** The release listener: deploys releases that have a build; on failure marks them failed. */
  readonly onRelease = async ({ app, release, cause, say }: ReleaseEvent): Promise<void> => {
    if (!release.build_uuid) return;
    const spec = this.spec(app, release);
    const previous = this.previousSpec(app, release);
    const formation = formationFor(
      this.structure(app),
      spec.procfile,
      spec.dockerfile,
      previous?.image ? previous.dockerfile : undefined,
    );
    // A push watches its deploy and waits for the target; a config change or rollback made while
    // the target gets ready is kept and deployed once it is.
    if (!(await this.readiness.wait(cause === 'build' ? undefined : TARGET_READY_WAIT_MS))) {
      if (cause !== 'build') {
        this.queued.set(app.id, { app, release, cause });
        return;
      }
    }
    try {
      await this.target.deploy(
        { release: spec, formation, routing: this.routing(app) },
        say ? deployProgress(say) : undefined,
      );
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      const user = release.owner;
      const summary =
        cause === 'build'
          ? `${user} deployed ${release.build_uuid.slice(0, 7)} which failed`
          : cause === 'config'
            ? `${user} deployed a config that failed`
            : release.summary;
      this.c.releases.markFailed(release, summary);
      throw this.failure(err);
    }
    this.c.apps.setStructure(app, formation);
  };

  private previousSpec(app: AppRow, release: ReleaseRow): ReleaseSpec | undefined {
    const before = this.c.releases
      .list(app)
      .find((r) => r.version < release.version && !r.failed && r.build_uuid);
    return before ? this.spec(app, before) : undefined;
  }

  /** A target failure as the API error Deis gives: 400 with the reason (503 when the engine is away). */
  failure(err: TargetError): DeisError {
    if (err.code === 'unavailable') return new DeisError('unavailable', err.message);
    const logs = err.logs.length ? `\n\nLast log lines:\n${err.logs.join('\n')}` : '';
    const failed = badRequest(`${err.message}${logs}`);
    targetFailures.add(failed);
    return failed;
  }

  /** Engine work: waits for a start in progress a moment, else is refused (503) saying what is being prepared. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (!(await this.readiness.wait())) throw new DeisError('unavailable', this.readiness.reason());
    try {
      return await work();
    } catch (err) {
      if (err instanceof TargetError) throw this.failure(err);
      throw err;
    }
  }

  async scale(app: AppRow, body: Record<string, number | string>): Promise<void> {
    const release = this.c.releases.current(app);
    if (!release.build_uuid) throw badRequest('No build associated with this release');
    const spec = this.spec(app, release);
    const counts = parseScale(body, buildTypes(spec.procfile, spec.dockerfile), app.id);
    const formation = { ...this.structure(app), ...counts };
    checkAppSize(formation);
    await this.guard(() => this.target.scale({ release: spec, formation, routing: this.routing(app) }));
    this.c.apps.setStructure(app, formation);
  }

  /**
   * `ps`: while the target is not ready there are no processes to show, and the reason says why
   * (the API sends it as a notice, so `deis info` works during a first start).
   */
  async podsOrNotice(app: AppRow, type?: string, name?: string): Promise<{ pods: Pod[]; notice?: string }> {
    if (!(await this.readiness.wait())) return { pods: [], notice: this.readiness.reason() };
    return { pods: await this.pods(app, type, name) };
  }

  async pods(app: AppRow, type?: string, name?: string): Promise<Pod[]> {
    const list = await this.guard(() => this.target.processes(app.id));
    return list
      .filter((p) => (!type || p.type === type) && (!name || p.name === name))
      .map((p) => ({
        name: p.name,
        state: p.state,
        type: p.type,
        release: `v${p.version}`,
        started: p.started,
      }));
  }

  async restart(app: AppRow, selector: RestartSelector): Promise<Pod[]> {
    if (selector.name && (await this.pods(app, selector.type, selector.name)).length === 0)
      throw new DeisError('not_found_detail', `Pod ${selector.name} does not exist`);
    await this.guard(() => this.target.restart(this.desired(app), selector));
    return this.pods(app, selector.type);
  }

  /** Refuses a one-off command when the app has nothing to run it with, as Deis does. */
  checkRunnable(app: AppRow): void {
    if (!this.c.releases.current(app).build_uuid)
      throw badRequest('No build associated with this release to run this command');
  }

  /**
   * Runs a one-off command: refused at once (not in the promise, so the API can still answer with a
   * status) when the app has no build or too many commands run already; then resolves with the end
   * of its output and its exit code, while `io.output` gets every piece as it comes.
   */
  run(app: AppRow, _user: UserRow, command: string, io: RunIo = {}): Promise<RunResponse> {
    this.checkRunnable(app);
    const done = this.takeRunSlot(app);
    const release = this.c.releases.current(app);
    return this.guard(() => this.target.run(this.spec(app, release), command, io))
      .then((result) => ({ exit_code: result.exitCode, output: result.output }))
      .finally(done);
  }

  /**
   * The console: `command` inside the app's live process `name`. Refused at once (so the API can
   * still answer with a status) when the process is not one of the app's, is not up, or too many
   * commands run already (a console command counts as a one-off command); then resolves with its
   * exit code (`done`), while `io.output` gets every piece of output as it comes.
   */
  async exec(
    app: AppRow,
    name: string,
    command: string,
    io: RunIo = {},
  ): Promise<{ done: Promise<{ exit_code: number }> }> {
    const pod = (await this.pods(app, undefined, name))[0];
    if (!pod) throw new DeisError('not_found_detail', `Pod ${name} does not exist`);
    if (pod.state !== 'up') throw conflict(`${name} is ${pod.state}; a console needs a process that is up.`);
    const exec = this.target.exec?.bind(this.target);
    if (!exec) throw badRequest('This target cannot run commands in a live process yet.');
    const done = this.takeRunSlot(app);
    const running = this.guard(() => exec(app.id, name, command, io))
      .then((result) => ({ exit_code: result.exitCode }))
      .finally(done);
    return { done: running };
  }

  /**
   * Whether a shell may be opened in the app's live process `name`: refused (404, 409, 400) when it
   * is not one of the app's, is not up, or the target cannot open shells.
   */
  async checkShell(app: AppRow, name: string): Promise<void> {
    const pod = (await this.pods(app, undefined, name))[0];
    if (!pod) throw new DeisError('not_found_detail', `Pod ${name} does not exist`);
    if (pod.state !== 'up') throw conflict(`${name} is ${pod.state}; a shell needs a process that is up.`);
    if (!this.target.shell) throw badRequest(SHELL_UNSUPPORTED);
  }

  /** The console's interactive shell in the app's live process `name` (see checkShell for refusals). */
  async shell(app: AppRow, name: string, size: TerminalSize): Promise<ShellSession> {
    await this.checkShell(app, name);
    const shell = this.target.shell!.bind(this.target);
    return this.guard(() => shell(app.id, name, size));
  }

  /** Counts a one-off command in, or refuses it (409) when its app or the core runs the most already. */
  private takeRunSlot(app: AppRow): () => void {
    const mine = this.runs.get(app.id) ?? 0;
    if (mine >= MAX_RUNS_PER_APP)
      throw conflict(
        `${app.id} already runs ${MAX_RUNS_PER_APP} one-off commands; wait until one of them finishes.`,
      );
    if (this.runsInAll >= MAX_RUNS)
      throw conflict(
        `Deis Desktop already runs ${MAX_RUNS} one-off commands; wait until one of them finishes.`,
      );
    this.runs.set(app.id, mine + 1);
    this.runsInAll++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.runsInAll--;
      const left = (this.runs.get(app.id) ?? 1) - 1;
      if (left > 0) this.runs.set(app.id, left);
      else this.runs.delete(app.id);
    };
  }

  logs(app: AppRow, lines: number): Promise<string[]> {
    return this.target.logs(app.id, { lines });
  }

  followLogs(app: AppRow, signal: AbortSignal): AsyncIterable<string> {
    return this.target.followLogs(app.id, signal);
  }

  /** One of the controller's events about the app, for its log (Deis's `deis[controller]` lines). */
  note(app: AppRow, message: string): void {
    try {
      this.target.note(app.id, message);
    } catch {
      // The log is a record, never a reason for a change to fail.
    }
  }

  /** Settings or domains changed: the router follows. */
  async reroute(app: AppRow): Promise<void> {
    // Not ready: the router gets the app's routing when the target is (see catchUp).
    if (!(await this.readiness.wait())) return;
    await this.guard(() => this.target.route(app.id, this.routing(app)));
  }

  /**
   * Removes the app's processes and routes. With the engine away the app is still destroyed: the
   * target removes what is left of it as an orphan when it comes back.
   */
  async destroy(app: AppRow): Promise<void> {
    // Not ready: what is left of the app goes when the target is (see catchUp), or as an orphan.
    if (!(await this.readiness.wait())) return;
    try {
      await this.target.destroy(app.id);
    } catch (err) {
      if (err instanceof TargetError && err.code === 'unavailable') return;
      throw err instanceof TargetError ? this.failure(err) : err;
    }
  }
}
