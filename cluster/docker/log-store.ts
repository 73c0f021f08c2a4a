/**
 * Logs that outlive containers: one file per app under DEIS_HOME/logs, bounded by rotating into a
 * single `.1` file, plus in-process subscribers for follow mode.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

export class LogStore {
  private readonly events = new EventEmitter();

  constructor(
    private readonly dir: string,
    private readonly maxBytes = 2 * 1024 * 1024,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.events.setMaxListeners(0);
  }

  file(app: string): string {
    return path.join(this.dir, `${app}.log`);
  }

  append(app: string, lines: string[]): void {
    if (lines.length === 0) return;
    const file = this.file(app);
    try {
      if (fs.statSync(file).size > this.maxBytes) fs.renameSync(file, `${file}.1`);
    } catch {
      /* no file yet */
    }
    fs.appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
    for (const line of lines) this.events.emit(app, line);
  }

  /** The last `count` lines, oldest first. */
  tail(app: string, count: number): string[] {
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
    return count <= 0 ? [] : lines.slice(-count);
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

  remove(app: string): void {
    for (const f of [this.file(app), `${this.file(app)}.1`]) fs.rmSync(f, { force: true });
  }
}
