/**
 * Copies every process's output into the log store as `<process> -- <message>`, the way Deis's
 * logger shows it. Docker ends a log stream when a container stops, so a container that restarts is
 * followed again from its `start` event.
 */
import type Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { lineSplitter } from './engine';
import { LABEL_APP, LABEL_INSTANCE, LABEL_ROLE } from './labels';
import type { LogStore } from './log-store';

export class LogFollower {
  private readonly streams = new Map<string, Readable>();
  private events: Readable | undefined;
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly instance: string,
    private readonly store: LogStore,
  ) {}

  /** Follows a container from `sinceSeconds` (default: now). */
  async follow(id: string, name: string, app: string, sinceSeconds?: number, restart = false): Promise<void> {
    if (this.closed) return;
    const previous = this.streams.get(id);
    if (previous && !restart) return;
    previous?.destroy();
    const since = sinceSeconds ?? Math.floor(Date.now() / 1000);
    let stream: Readable;
    try {
      stream = (await this.docker
        .getContainer(id)
        .logs({ follow: true, stdout: true, stderr: true, since })) as unknown as Readable;
    } catch {
      return;
    }
    this.streams.set(id, stream);
    // One write to the store per chunk Docker sends, not per line: chatty apps stay cheap.
    let batch: string[] = [];
    const flush = () => {
      this.store.append(app, batch);
      batch = [];
    };
    const lines = lineSplitter((l) => batch.push(`${name} -- ${l}`));
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => {
      lines.write(chunk);
      flush();
    });
    this.docker.modem.demuxStream(stream, sink, sink);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      lines.end();
      flush();
      if (this.streams.get(id) === stream) this.streams.delete(id);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
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
        void this.follow(e.id, a.name ?? e.id.slice(0, 12), a[LABEL_APP], e.time, true);
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
    this.events?.destroy();
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
  }
}
