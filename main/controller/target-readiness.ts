/**
 * Whether the target is ready, what it is doing while it is not (a first start pulls and builds
 * images for minutes), and the sentence that says so. The long work of a start runs as a task, so
 * the dashboard and `/v2/desktop/tasks` show its steps and progress.
 */
import { TARGET_READY_WAIT_MS } from '../contract/limits';
import type { ProgressEvent } from '../../cluster/target';
import type { TaskHandle, Tasks } from './tasks';

const seconds = (since: number) => `${Math.round((Date.now() - since) / 1000)} s`;

export class TargetReadiness {
  ready = false;
  /** Since when the target has not been ready. */
  private since = Date.now();
  /** The long work of the attempt in progress ("Pulling the router's base image …"). */
  private doing: string | undefined;
  private failure: string | undefined;
  private attempt: Promise<unknown> | undefined;
  private task: TaskHandle | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly tasks: Tasks) {}

  /** A start attempt begins; `work` settles when it ends. */
  begin(work: Promise<unknown>): void {
    this.attempt = work;
    this.doing = undefined;
  }

  /** What the target reports: long work (pulls, builds) becomes a task with steps and log lines. */
  progress(e: ProgressEvent): void {
    if (e.kind === 'step' && e.preparing) {
      this.doing = e.message;
      this.task ??= this.tasks.start('target', 'Preparing the Docker engine');
      this.task.step(e.message);
    } else if (e.kind === 'log') this.task?.log(e.line);
  }

  /** Called each time the target becomes ready. */
  onReady(fn: () => void): void {
    this.listeners.push(fn);
  }

  succeeded(): void {
    for (const fn of this.listeners) fn();
    this.ready = true;
    this.doing = undefined;
    this.failure = undefined;
    this.task?.succeed();
    this.task = undefined;
  }

  failed(message: string): void {
    this.ready = false;
    this.doing = undefined;
    this.failure = message;
    this.task?.fail(message);
    this.task = undefined;
  }

  /** Why engine work cannot be done now, in one sentence a user can act on. */
  reason(): string {
    if (this.doing)
      return `Deis Desktop is still preparing the Docker engine (${lower(this.doing)}, ${seconds(this.since)} so far); try again when it is ready.`;
    if (this.failure)
      return `The Docker engine is not ready: ${this.failure.replace(/\.$/, '')}. Deis Desktop tries again every few seconds.`;
    return `Deis Desktop is still preparing the Docker engine (${seconds(this.since)} so far); try again in a moment.`;
  }

  /**
   * Waits for a start in progress — adopting what runs takes a second — but not for long work (a
   * pull or a build): that is answered at once. `ms` undefined: waits for the whole attempt.
   */
  async wait(ms: number | undefined = TARGET_READY_WAIT_MS): Promise<boolean> {
    if (this.ready || !this.attempt) return this.ready;
    if (ms === undefined) {
      await this.attempt;
      return this.ready;
    }
    if (this.doing) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.attempt,
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
    return this.ready;
  }
}

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
