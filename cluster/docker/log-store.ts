/**
 * Logs that outlive containers: one file per app under DEIS_HOME/logs, bounded by rotating into a
 * single `.1` file, plus followers that get new lines as they are written — each with a bounded
 * backlog, so a follower that reads slowly skips lines (and is told how many) instead of making
 * the core keep them.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_LOG_FILE_BYTES, MAX_STREAM_BACKLOG_CHARS } from '../../main/contract/limits';
import { controllerLogLine, logTime } from '../../main/contract/log-lines';

export class LogStore {
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly maxBytes = MAX_LOG_FILE_BYTES,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.events.setMaxListeners(0);
  }

  file(app: string): string {
    return path.join(this.dir, `${app}.log`);
  }

  /**
   * Takes no more lines: the core is stopping, and work still finishing in the background (an old
   * process retiring, a log stream's last burst) must not write into a DEIS_HOME being removed.
   */
  close(): void {
    this.closed = true;
  }

  append(app: string, lines: string[]): void {
    if (lines.length === 0 || this.closed) return;
    // A line is one line: text with newlines in it (a run's command) becomes several.
    const clean = lines.some((l) => /[\r\n]/.test(l)) ? lines.flatMap((l) => l.split(/\r\n|\r|\n/)) : lines;
    const file = this.file(app);
    try {
      if (fs.statSync(file).size > this.maxBytes) fs.renameSync(file, `${file}.1`);
    } catch {
      /* no file yet */
    }
    // An app's output may hold secrets: readable by the core's user only, whatever DEIS_HOME's mode.
    fs.appendFileSync(file, clean.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    for (const line of clean) this.events.emit(app, line);
  }

  /** The last `count` lines, oldest first. */
  tail(app: string, count: number): string[] {
    if (count <= 0) return [];
    const read = (f: string) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const file = this.file(app);
    let lines = read(file).split('\n');
    lines.pop();
    if (lines.length < count) {
      const older = read(`${file}.1`).split('\n');
      older.pop();
      lines = [...older, ...lines];
    }
    return lines.slice(-count);
  }

  /** When the app last logged (ms since the epoch), to resume following without a gap. */
  lastWrite(app: string): number | undefined {
    try {
      return fs.statSync(this.file(app)).mtimeMs;
    } catch {
      return undefined;
    }
  }

  subscribe(app: string, listener: (line: string) => void): () => void {
    this.events.on(app, listener);
    return () => this.events.off(app, listener);
  }

  /**
   * New lines of the app until the signal aborts. When more than `limit` characters wait for the
   * reader, new lines are skipped until it has caught up, and a line then says how many.
   */
  async *follow(app: string, signal: AbortSignal, limit = MAX_STREAM_BACKLOG_CHARS): AsyncIterable<string> {
    let queue: string[] = [];
    let queued = 0;
    let skipped = 0;
    let wake: (() => void) | undefined;
    const unsubscribe = this.subscribe(app, (line) => {
      if (skipped > 0 || queued + line.length > limit) skipped++;
      else {
        queue.push(line);
        queued += line.length;
      }
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        if (queue.length === 0 && skipped === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const ready = queue;
        queue = [];
        queued = 0;
        for (const line of ready) yield line;
        if (skipped > 0 && queue.length === 0) {
          const count = skipped;
          skipped = 0;
          yield controllerLogLine(
            logTime(),
            `${count} log line(s) skipped here: this reader took them more slowly than ${app} wrote them`,
            'WARN',
          );
        }
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  remove(app: string): void {
    for (const f of [this.file(app), `${this.file(app)}.1`]) fs.rmSync(f, { force: true });
  }
}
