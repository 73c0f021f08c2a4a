/**
 * Tasks: long work with an id, named steps, log lines and a final state. Events go to subscribers
 * (the event stream) as they happen; a late subscriber asks for the current state with `get`.
 * Finished tasks are kept in the store so a build's log can be read later.
 */
import { randomUUID } from 'node:crypto';
import { BUILD_LOG_MAX_BYTES, BUILD_LOG_MAX_LINE, BUILD_LOG_MAX_LINES } from '../contract/limits';
import {
  DESTROYED_APP_SUFFIX,
  type Task,
  type TaskEvent,
  type TaskStep,
  type TaskWithLog,
} from '../contract/tasks';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';

/** One log line of at most BUILD_LOG_MAX_LINE characters; a longer one is cut, saying by how much. */
export function capLine(line: string): string {
  if (line.length <= BUILD_LOG_MAX_LINE) return line;
  return `${line.slice(0, BUILD_LOG_MAX_LINE)} [... ${line.length - BUILD_LOG_MAX_LINE} more characters cut]`;
}

/**
 * The tail of a log: the last BUILD_LOG_MAX_LINES lines within BUILD_LOG_MAX_BYTES, each capped, and
 * how many earlier lines were dropped. Adding a line costs the same however long the log has run.
 */
export class TailLog {
  private kept: string[] = [];
  private first = 0;
  private bytes = 0;
  dropped = 0;

  push(text: string): string {
    const line = capLine(text);
    this.kept.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    while (
      this.kept.length - this.first > 1 &&
      (this.size > BUILD_LOG_MAX_LINES || this.bytes > BUILD_LOG_MAX_BYTES)
    ) {
      this.bytes -= Buffer.byteLength(this.kept[this.first]!) + 1;
      this.kept[this.first++] = '';
      this.dropped++;
    }
    // Forget dropped lines now and then, so the array does not grow without end.
    if (this.first > 4096 && this.first * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.first);
      this.first = 0;
    }
    return line;
  }

  get size(): number {
    return this.kept.length - this.first;
  }

  /** The kept lines, after a line saying how many were dropped when any were. */
  lines(): string[] {
    const tail = this.kept.slice(this.first);
    if (this.dropped === 0) return tail;
    return [
      `[... ${this.dropped} earlier lines dropped: a log keeps its last ${BUILD_LOG_MAX_LINES} lines and ${BUILD_LOG_MAX_BYTES / 1024 / 1024} MB]`,
      ...tail,
    ];
  }
}

interface TaskRow {
  id: string;
  kind: string;
  title: string;
  app_id: string | null;
  user: string | null;
  release: number | null;
  state: Task['state'];
  steps: string;
  log: string;
  error: string | null;
  created: string;
  finished: string | null;
}

export class TaskHandle {
  private readonly log_ = new TailLog();
  private stepStarted = 0;

  constructor(
    readonly task: Task,
    private readonly emit: (e: TaskEvent) => void,
    private readonly finish: (handle: TaskHandle) => void,
  ) {}

  get id(): string {
    return this.task.id;
  }

  log(text: string): void {
    const line = this.log_.push(text);
    this.emit({ type: 'task.log', task: this.task, line });
  }

  /** The log so far: its last lines, bounded (see TailLog). */
  get lines(): string[] {
    return this.log_.lines();
  }

  /** Records the release this work cut; its end (success or failure) then names it. */
  cut(version: number): void {
    this.task.release = version;
  }

  /** Starts a named step, closing the previous one with its elapsed time. */
  step(name: string): void {
    this.closeStep();
    const step: TaskStep = { name, started: timestamp() };
    this.stepStarted = Date.now();
    this.task.steps.push(step);
    this.emit({ type: 'task.step', task: this.task, step });
  }

  succeed(): void {
    if (this.task.state !== 'running') return;
    this.closeStep();
    this.task.state = 'succeeded';
    this.task.finished = timestamp();
    this.emit({ type: 'task.succeeded', task: this.task });
    this.finish(this);
  }

  fail(error: string): void {
    if (this.task.state !== 'running') return;
    this.closeStep();
    this.task.state = 'failed';
    this.task.error = error;
    this.task.finished = timestamp();
    this.emit({ type: 'task.failed', task: this.task });
    this.finish(this);
  }

  private closeStep(): void {
    const last = this.task.steps[this.task.steps.length - 1];
    if (last && last.elapsedMs === undefined) last.elapsedMs = Date.now() - this.stepStarted;
  }
}

export class Tasks {
  private readonly running = new Map<string, TaskHandle>();
  private readonly subscribers = new Set<(e: TaskEvent) => void>();

  constructor(private readonly store: Store) {
    // Work that was running when the core stopped did not finish.
    store.tx(() => {
      store.db
        .prepare("UPDATE tasks SET state = 'failed', error = ?, finished = ? WHERE state = 'running'")
        .run('The core stopped while this was running.', timestamp());
    });
  }

  /** `user`: who asked for the work (they are told when it ends); null for the core's own. */
  start(kind: string, title: string, app: string | null = null, user: string | null = null): TaskHandle {
    const task: Task = {
      id: randomUUID(),
      kind,
      title,
      app,
      user,
      release: null,
      state: 'running',
      steps: [],
      error: null,
      created: timestamp(),
      finished: null,
    };
    const handle = new TaskHandle(
      task,
      (e) => this.publish(e),
      (h) => this.persist(h),
    );
    this.running.set(task.id, handle);
    this.store.tx(() => {
      this.store.db
        .prepare(
          'INSERT INTO tasks (id, kind, title, app_id, user, state, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(task.id, kind, title, app, user, 'running', task.created);
    });
    this.publish({ type: 'task.started', task });
    return handle;
  }

  subscribe(fn: (e: TaskEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /**
   * Detaches the tasks of a destroyed app from its name. Tasks are kept by app *name*, and a user sees
   * an app's tasks (their build logs) by having access to the app of that name: the next app of the
   * name, whoever owns it, must not see them. They stay in the history under `<name> (destroyed)`,
   * which no app can be called, so only administrators see them; a task still running for the app
   * (a build the destroy did not wait for) goes on under that name too.
   */
  retireApp(appId: string): void {
    const retired = `${appId}${DESTROYED_APP_SUFFIX}`;
    for (const h of this.running.values()) if (h.task.app === appId) h.task.app = retired;
    this.store.tx(() => {
      this.store.db.prepare('UPDATE tasks SET app_id = ? WHERE app_id = ?').run(retired, appId);
    });
  }

  get(id: string): TaskWithLog | undefined {
    const live = this.running.get(id);
    if (live) return { ...live.task, log: live.lines };
    const row = this.store.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row ? { ...taskOf(row), log: row.log === '' ? [] : row.log.split('\n') } : undefined;
  }

  /** Newest first. */
  list(filter: { app?: string; kind?: string; limit?: number } = {}): Task[] {
    const rows = this.store.db
      .prepare(
        `SELECT * FROM tasks WHERE (@app IS NULL OR app_id = @app) AND (@kind IS NULL OR kind = @kind)
         ORDER BY created DESC, rowid DESC LIMIT @limit`,
      )
      .all({ app: filter.app ?? null, kind: filter.kind ?? null, limit: filter.limit ?? 100 }) as TaskRow[];
    return rows.map((r) => this.running.get(r.id)?.task ?? taskOf(r));
  }

  private publish(e: TaskEvent): void {
    for (const fn of this.subscribers) {
      try {
        fn(e);
      } catch {
        // A broken subscriber must not break the work it watches.
      }
    }
  }

  private persist(h: TaskHandle): void {
    this.running.delete(h.id);
    this.store.tx(() => {
      this.store.db
        .prepare(
          'UPDATE tasks SET state = ?, steps = ?, log = ?, error = ?, finished = ?, release = ? WHERE id = ?',
        )
        .run(
          h.task.state,
          JSON.stringify(h.task.steps),
          h.lines.join('\n'),
          h.task.error,
          h.task.finished,
          h.task.release,
          h.id,
        );
    });
  }
}

function taskOf(r: TaskRow): Task {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    app: r.app_id,
    user: r.user,
    release: r.release,
    state: r.state,
    steps: JSON.parse(r.steps) as TaskStep[],
    error: r.error,
    created: r.created,
    finished: r.finished,
  };
}
