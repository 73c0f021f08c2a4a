/**
 * Copies every process's output into the log store as Deis's logger wrote it,
 * `<time> <app>[<type>.v<N>.<id>]: <message>` (main/contract/log-lines.ts), with the time Docker
 * took the line at. Docker ends a log stream when a container stops, so a container that restarts is
 * followed again from its `start` event.
 *
 * Docker's json-file follow can stall for good when the app writes faster than it is read across a
 * log rotation (seen with Debian's 20.10: 40 MB written at once, nothing after it ever arrives). So
 * entries come with their timestamps, and a watchdog compares the newest entry Docker has with the
 * newest one that arrived; a stream that stays behind is replaced by one that resumes right after
 * the last entry it delivered — no line lost, none repeated.
 */
import type Docker from 'dockerode';
import { Readable } from 'node:stream';
import { demux, type PayloadSink } from './demux';
import { lineSplitter, type LineSplitter } from './lines';
import { LABEL_APP, LABEL_INSTANCE, LABEL_ROLE, LABEL_VERSION } from './labels';
import type { LogStore } from './log-store';
import { controllerLogLine, logTime, processLogLine, processOfName } from '../../main/contract/log-lines';

/** Docker's RFC3339NanoFixed timestamp and the space after it: `2026-11-29T22:45:01.123456789Z `. */
const STAMP_LENGTH = 31;
/** How often the watchdog compares what arrived with what Docker has. */
const WATCH_MS = 5000;

interface Output {
  lines: LineSplitter;
  /** Docker's timestamp of the entry being read: the time of the line it ends. */
  stamp: string;
  batch: string[];
  /** A write of the batch is scheduled. */
  flushing: boolean;
}

interface Followed {
  stream: Readable;
  /** Lines of the text and those not yet stored; handed on to a resumed stream so a line cut by the stall stays whole. */
  output: Output;
  name: string;
  app: string;
  /** The release it runs (its label): new names do not say it. */
  version?: string;
  /** The newest entry's timestamp that arrived (fixed width, so strings compare as times). */
  last: string;
  /** A newer entry Docker had at the previous check; still not arrived at the next one → stalled. */
  behind?: string;
}

/** `2026-11-29T22:45:01.123456789Z` → `1795992301.123456789`, the form Docker's `since` takes. */
export function sinceOf(stamp: string): string {
  const seconds = Math.floor(Date.parse(`${stamp.slice(0, 19)}Z`) / 1000);
  return `${seconds}.${stamp.slice(20, 29)}`;
}

function newOutput(name: string, app: string, version: string | undefined): Output {
  const batch: string[] = [];
  const proc = processOfName(app, name, version) ?? { type: name, version: version ?? '0', id: '0' };
  const output: Output = {
    batch,
    flushing: false,
    stamp: '',
    lines: lineSplitter((l) => batch.push(processLogLine(logTime(output.stamp || undefined), app, proc, l))),
  };
  return output;
}

export class LogFollower {
  private readonly followed = new Map<string, Followed>();
  private events: Readable | undefined;
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly docker: Docker,
    private readonly instance: string,
    private readonly store: LogStore,
    private readonly watchMs = WATCH_MS,
  ) {}

  /**
   * Follows a container from `since` (Docker's form: seconds, optionally with a fraction; default
   * now). `restart` replaces a stream already following it, carrying on where that one stopped.
   */
  async follow(
    id: string,
    proc: { name: string; app: string; version?: string },
    since?: number | string,
    restart = false,
  ): Promise<void> {
    const { name, app, version } = proc;
    if (this.closed) return;
    const previous = this.followed.get(id);
    if (previous && !restart) return;
    // The replaced stream's entries must not come twice, and its half-read line goes on.
    const carried = previous ? { last: previous.last, output: previous.output } : undefined;
    if (previous) this.followed.delete(id);
    previous?.stream.destroy();
    let stream: Readable;
    try {
      stream = (await this.docker.getContainer(id).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: (since ?? Math.floor(Date.now() / 1000)) as number,
      })) as unknown as Readable;
    } catch {
      return;
    }
    // One write to the store per chunk Docker sends, not per line: chatty apps stay cheap.
    const output = carried?.output ?? newOutput(name, app, version);
    const entry: Followed = { stream, output, name, app, version, last: carried?.last ?? '' };
    this.followed.set(id, entry);
    this.startWatchdog();
    // A resumed stream starts at the last entry that arrived: skip it and what came before.
    void demux(stream, this.reader(entry, carried?.last ?? '')).then(async () => {
      // Replaced by a resumed stream: that one carries on with this one's lines.
      if (this.followed.get(id) !== entry) return;
      this.followed.delete(id);
      // The container stopped; a stream that had stalled ends short of its last entries.
      const newest = await this.newestStamp(id);
      if (newest && newest > entry.last) await this.catchUp(id, entry);
      output.lines.end();
      this.store.append(app, output.batch.splice(0));
    });
  }

  /**
   * Reads frames of a timestamped log stream into the entry's lines, skipping entries up to
   * `skipUpTo`. The pieces of one long line share their first piece's timestamp, so after a stall
   * the rest of the line being read is skipped too (the caller ends that line where it stopped).
   */
  private reader(entry: Followed, skipUpTo: string): PayloadSink {
    let stamp = '';
    let skipping = false;
    return (payload, _kind, frameStart) => {
      let at = 0;
      if (frameStart) stamp = '';
      // Each frame is one entry: its timestamp first (possibly split over pieces), then its text.
      if (stamp.length < STAMP_LENGTH) {
        const take = Math.min(STAMP_LENGTH - stamp.length, payload.length);
        stamp += payload.toString('latin1', 0, take);
        at = take;
        if (stamp.length < STAMP_LENGTH) return;
        const time = stamp.slice(0, STAMP_LENGTH - 1);
        skipping = time <= skipUpTo;
        if (!skipping) entry.last = entry.output.stamp = time;
      }
      if (skipping || at === payload.length) return;
      entry.output.lines.write(at === 0 ? payload : payload.subarray(at));
      this.flushSoon(entry);
    };
  }

  /**
   * Stores the lines that arrived once the current burst of the stream has been read: Docker
   * sends a frame per line, and one file write per line would make a chatty app's log lag.
   */
  private flushSoon(f: Followed): void {
    if (f.output.flushing || f.output.batch.length === 0) return;
    f.output.flushing = true;
    setImmediate(() => {
      f.output.flushing = false;
      this.store.append(f.app, f.output.batch.splice(0));
    });
  }

  /** Ends the line a stalled stream stopped in, and says that lines may be missing from here. */
  private markStall(f: Followed): void {
    f.output.lines.end();
    this.store.append(f.app, [
      ...f.output.batch.splice(0),
      controllerLogLine(
        logTime(),
        `${f.name}: Docker's log stream fell behind the process's output and was resumed; lines written meanwhile may be missing`,
        'WARN',
      ),
    ]);
  }

  /** Reads what a stopped container logged after the last entry that arrived (bounded by Docker's rotation). */
  private async catchUp(id: string, f: Followed): Promise<void> {
    this.markStall(f);
    try {
      const rest = (await this.docker.getContainer(id).logs({
        follow: false,
        stdout: true,
        stderr: true,
        timestamps: true,
        since: sinceOf(f.last) as unknown as number,
      })) as unknown as Buffer;
      await demux(Readable.from([rest]), this.reader(f, f.last));
    } catch {
      /* the container is gone: nothing more to read */
    }
  }

  /** Compares each stream with the newest entry Docker holds, and resumes the ones left behind. */
  private startWatchdog(): void {
    if (this.watchdog || this.closed) return;
    this.watchdog = setInterval(() => void this.check(), this.watchMs);
    this.watchdog.unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.checkAll();
    } finally {
      this.checking = false;
    }
  }

  private async checkAll(): Promise<void> {
    for (const [id, f] of [...this.followed]) {
      const newest = await this.newestStamp(id);
      if (this.followed.get(id) !== f || !newest || newest <= f.last) {
        f.behind = undefined;
        continue;
      }
      if (f.behind && f.behind <= newest && f.last < f.behind) {
        // Still short of what Docker had a whole period ago: this stream has stalled.
        await this.resume(id, f);
        continue;
      }
      f.behind = newest;
    }
  }

  /** Replaces a stalled stream with one that starts after the last entry that arrived. */
  private async resume(id: string, f: Followed): Promise<void> {
    this.markStall(f);
    await this.follow(id, f, f.last ? sinceOf(f.last) : undefined, true);
  }

  /** The timestamp of the container's newest log entry, if it has one. */
  private async newestStamp(id: string): Promise<string | undefined> {
    try {
      const raw = (await this.docker
        .getContainer(id)
        .logs({ follow: false, stdout: true, stderr: true, timestamps: true, tail: 1 })) as unknown as Buffer;
      // One frame: an 8-byte header, then `<timestamp> <text>`.
      const text = Buffer.isBuffer(raw) ? raw.toString('latin1', 8, 8 + STAMP_LENGTH - 1) : '';
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  /** Watches for our containers (re)starting. */
  async watch(): Promise<void> {
    if (this.events || this.closed) return;
    const events = (await this.docker.getEvents({
      filters: { type: ['container'], event: ['start'], label: [`${LABEL_INSTANCE}=${this.instance}`] },
    })) as unknown as Readable;
    this.events = events;
    const lines = lineSplitter((l) => {
      try {
        const e = JSON.parse(l) as {
          id: string;
          time: number;
          Actor: { Attributes: Record<string, string> };
        };
        const a = e.Actor.Attributes;
        if (a[LABEL_ROLE] !== 'process' || !a[LABEL_APP]) return;
        void this.follow(
          e.id,
          { name: a.name ?? e.id.slice(0, 12), app: a[LABEL_APP], version: a[LABEL_VERSION] },
          e.time,
          true,
        );
      } catch {
        /* not an event */
      }
    });
    events.on('data', (chunk: Buffer) => lines.write(chunk));
    // dockerd restarted or the connection broke: watch again once the engine answers.
    let again = false;
    const rewatch = () => {
      if (again || this.closed) return;
      again = true;
      this.events = undefined;
      const retry = () => setTimeout(() => void this.watch().catch(() => retry()), 1000).unref();
      retry();
    };
    events.on('end', rewatch);
    events.on('close', rewatch);
    events.on('error', rewatch);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.watchdog);
    this.events?.destroy();
    for (const f of this.followed.values()) f.stream.destroy();
    this.followed.clear();
  }
}
