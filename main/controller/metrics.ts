/**
 * The metrics collector: reads the target's traffic counters and process usage on a timer, keeps
 * the last minutes of each app in bounded rings in memory, and rolls every minute up into one row of
 * SQLite, kept 24 h. A stopping core writes the minute in progress, so a restart loses none of it
 * (a killed core loses at most that minute). Collection needs nothing of the apps: it reads what
 * the target already knows, one engine call per process and one router request per interval.
 */
import {
  METRICS_PROCESS_INTERVAL_MS,
  METRICS_RETENTION_MS,
  METRICS_RING_PROCESS_SAMPLES,
  METRICS_RING_TRAFFIC_SAMPLES,
  METRICS_TRAFFIC_INTERVAL_MS,
} from '../contract/limits';
import {
  emptyRequests,
  LATENCY_BUCKETS,
  latencyOf,
  STATUS_CLASSES,
  type AppMetrics,
  type MinutePoint,
  type ProcessMetrics,
  type ProcessPoint,
  type Requests,
  type TrafficPoint,
  type TypeMetrics,
} from '../contract/metrics';
import type { MetricsSource, ProcessUsage, TrafficCounters } from '../../cluster/target';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { AppRow } from './apps';

const MINUTE = 60_000;

/** A ring of at most `size` items, oldest first. */
class Ring<T> {
  private items: T[] = [];
  constructor(private readonly size: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
  }
  all(): T[] {
    return [...this.items];
  }
}

interface TrafficSample {
  at: number;
  seconds: number;
  requests: number[];
  bytes: number;
  latency: number[];
}

/** Per type over a minute: sums of the per-sample totals, to average at the end. */
interface TypeSums {
  count: number;
  cpu: number;
  memory: number;
  samples: number;
}

interface MinuteSums {
  minute: number;
  requests: number[];
  bytes: number;
  latency: number[];
  types: Record<string, TypeSums>;
}

interface AppState {
  uuid: string;
  traffic: Ring<TrafficSample>;
  processes: Ring<ProcessPoint>;
  latest: ProcessMetrics[];
  minute: MinuteSums | undefined;
}

interface MinuteRow {
  minute: number;
  requests_2xx: number;
  requests_3xx: number;
  requests_4xx: number;
  requests_5xx: number;
  bytes_out: number;
  latency: string;
  types: string;
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const add = (a: number[], b: number[]) => a.map((x, i) => x + (b[i] ?? 0));
const asRequests = (n: number[]): Requests => {
  const r = emptyRequests();
  STATUS_CLASSES.forEach((c, i) => (r[c] = n[i] ?? 0));
  return r;
};

export interface MetricsOptions {
  /** The target's metrics, when it has any (asked each round: the target may be switched). */
  source: () => MetricsSource | undefined;
  trafficIntervalMs?: number;
  processIntervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export class Metrics {
  private readonly apps = new Map<string, AppState>();
  private readonly counters = new Map<string, TrafficCounters>();
  private lastTraffic = 0;
  /** The pending timer of each sampling loop. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private running = false;
  /** Set by stop: a reading still under way then writes nothing (the store may be closing). */
  private stopped = false;
  private generation = 0;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly appsByName: (name: string) => AppRow | undefined,
    private readonly options: MetricsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Starts sampling; each kind of sample waits for its previous round to end (never piles up). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    // A round still under way from before a stop ends there, and never starts a second loop.
    const generation = ++this.generation;
    const live = () => this.running && this.generation === generation;
    const every = (name: string, ms: number, work: () => Promise<void>) => {
      let lastError = '';
      const tick = async () => {
        if (!live()) return;
        // A failure is logged once, not every round while it lasts.
        await work().then(
          () => (lastError = ''),
          (err: unknown) => {
            const message = `metrics: ${(err as Error).message}`;
            if (message !== lastError) this.options.log?.(message);
            lastError = message;
          },
        );
        if (!live()) return;
        const t = setTimeout(() => void tick(), ms);
        t.unref();
        this.timers.set(name, t);
      };
      const t = setTimeout(() => void tick(), 0);
      t.unref();
      this.timers.set(name, t);
    };
    every('traffic', this.options.trafficIntervalMs ?? METRICS_TRAFFIC_INTERVAL_MS, () => this.readTraffic());
    every('processes', this.options.processIntervalMs ?? METRICS_PROCESS_INTERVAL_MS, () =>
      this.readProcesses(),
    );
  }

  /** Stops sampling and writes every minute in progress. */
  stop(): void {
    this.running = false;
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.flushAll(true);
  }

  /**
   * An app that was destroyed: its figures go (its rows go with it in the store). Its last counters
   * stay until the router stops reporting the name, so a new app of the name counts from there.
   */
  forget(app: string): void {
    this.apps.delete(app);
  }

  private state(name: string): AppState | undefined {
    const row = this.appsByName(name);
    if (!row) return undefined;
    let s = this.apps.get(name);
    // A new app of an old name starts afresh.
    if (s && s.uuid !== row.uuid) s = undefined;
    if (!s) {
      s = {
        uuid: row.uuid,
        traffic: new Ring(METRICS_RING_TRAFFIC_SAMPLES),
        processes: new Ring(METRICS_RING_PROCESS_SAMPLES),
        latest: [],
        minute: undefined,
      };
      this.apps.set(name, s);
    }
    return s;
  }

  /** The minute sums `at` falls in; the one before it is written first when the minute changed. */
  private minuteOf(s: AppState, at: number): MinuteSums {
    const minute = Math.floor(at / MINUTE) * MINUTE;
    if (s.minute && s.minute.minute !== minute) this.flush(s);
    return (s.minute ??= {
      minute,
      requests: zeros(4),
      bytes: 0,
      latency: zeros(LATENCY_BUCKETS),
      types: {},
    });
  }

  async readTraffic(): Promise<void> {
    const source = this.options.source();
    if (!source) return;
    const counters = await source.trafficCounters();
    // No router to ask yet: the first real reading is still to come. Stopped meanwhile: the store
    // may be closed.
    if (!counters || this.stopped) return;
    const at = this.now();
    const first = this.lastTraffic === 0;
    const seconds = first ? 0 : Math.max(1, Math.round((at - this.lastTraffic) / 1000));
    this.lastTraffic = at;
    for (const c of counters) {
      const known = this.counters.get(c.app);
      this.counters.set(c.app, c);
      // The first reading is where counting starts: the router counted before this core looked
      // (those requests are in the roll-ups of the core before). An app that appears later is new
      // to the router: everything it counted is new.
      if (!known && first) continue;
      const before = known ?? { app: c.app, requests: [0, 0, 0, 0], bytesOut: 0, latency: [] };
      let requests = c.requests.map((n, i) => n - before.requests[i]!);
      let bytes = c.bytesOut - before.bytesOut;
      let latency = c.latency.map((n, i) => n - (before.latency[i] ?? 0));
      // A counter that went down: the router restarted and counts from zero.
      if ([...requests, bytes, ...latency].some((n) => n < 0)) {
        requests = [...c.requests];
        bytes = c.bytesOut;
        latency = [...c.latency];
      }
      if (requests.every((n) => n === 0)) continue;
      const s = this.state(c.app);
      if (!s) continue;
      s.traffic.push({ at, seconds, requests, bytes, latency });
      const m = this.minuteOf(s, at);
      m.requests = add(m.requests, requests);
      m.bytes += bytes;
      m.latency = add(m.latency, latency);
    }
    // Names the router no longer counts (their counters went with their routes) start from zero.
    const reported = new Set(counters.map((c) => c.app));
    for (const name of this.counters.keys()) if (!reported.has(name)) this.counters.delete(name);
    this.flushAll(false);
  }

  async readProcesses(): Promise<void> {
    const source = this.options.source();
    if (!source) return;
    const usage = await source.processUsage();
    if (this.stopped) return;
    const at = this.now();
    const byApp = new Map<string, ProcessUsage[]>();
    for (const u of usage) byApp.set(u.app, [...(byApp.get(u.app) ?? []), u]);
    // Apps with nothing running now show nothing running.
    for (const [name, s] of this.apps) if (!byApp.has(name)) s.latest = [];
    for (const [name, list] of byApp) {
      const s = this.state(name);
      if (!s) continue;
      s.latest = list
        .map((u) => ({ name: u.name, type: u.type, cpu_percent: u.cpuPercent, memory_bytes: u.memoryBytes }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const types: Record<string, TypeMetrics> = {};
      for (const u of list) {
        const t = (types[u.type] ??= { count: 0, cpu_percent: 0, memory_bytes: 0 });
        t.count++;
        t.cpu_percent = Math.round((t.cpu_percent + (u.cpuPercent ?? 0)) * 10) / 10;
        t.memory_bytes += u.memoryBytes;
      }
      s.processes.push({ time: timestamp(new Date(at)), types });
      const m = this.minuteOf(s, at);
      for (const [type, t] of Object.entries(types)) {
        const sums = (m.types[type] ??= { count: 0, cpu: 0, memory: 0, samples: 0 });
        sums.count = Math.max(sums.count, t.count);
        sums.cpu += t.cpu_percent;
        sums.memory += t.memory_bytes;
        sums.samples++;
      }
    }
    this.flushAll(false);
  }

  /** Writes minutes that have ended (all of them, when the core stops) and prunes old rows. */
  private flushAll(everything: boolean): void {
    const current = Math.floor(this.now() / MINUTE) * MINUTE;
    let wrote = false;
    for (const s of this.apps.values())
      if (s.minute && (everything || s.minute.minute < current)) {
        this.flush(s);
        wrote = true;
      }
    if (wrote)
      this.store.db
        .prepare('DELETE FROM metrics_minutes WHERE minute < ?')
        .run(this.now() - METRICS_RETENTION_MS);
  }

  /** Adds the app's minute in progress to its row (a row of the same minute from before a restart included). */
  private flush(s: AppState): void {
    const m = s.minute;
    s.minute = undefined;
    if (!m) return;
    const db = this.store.db;
    try {
      this.store.tx(() => {
        const old = db
          .prepare('SELECT * FROM metrics_minutes WHERE app_uuid = ? AND minute = ?')
          .get(s.uuid, m.minute) as MinuteRow | undefined;
        const requests = add(m.requests, old ? rowRequests(old) : zeros(4));
        const latency = add(m.latency, old ? (JSON.parse(old.latency) as number[]) : []);
        const types = old ? (JSON.parse(old.types) as Record<string, TypeSums>) : {};
        for (const [type, t] of Object.entries(m.types)) {
          const o = (types[type] ??= { count: 0, cpu: 0, memory: 0, samples: 0 });
          o.count = Math.max(o.count, t.count);
          o.cpu += t.cpu;
          o.memory += t.memory;
          o.samples += t.samples;
        }
        db.prepare(
          `INSERT INTO metrics_minutes (app_uuid, minute, requests_2xx, requests_3xx, requests_4xx, requests_5xx, bytes_out, latency, types)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_uuid, minute) DO UPDATE SET requests_2xx = excluded.requests_2xx,
             requests_3xx = excluded.requests_3xx, requests_4xx = excluded.requests_4xx,
             requests_5xx = excluded.requests_5xx, bytes_out = excluded.bytes_out,
             latency = excluded.latency, types = excluded.types`,
        ).run(
          s.uuid,
          m.minute,
          ...requests,
          m.bytes + (old?.bytes_out ?? 0),
          JSON.stringify(latency),
          JSON.stringify(types),
        );
      });
    } catch (err) {
      // The app was destroyed meanwhile (its row is gone): its figures go with it.
      this.options.log?.(`metrics: could not keep a minute of figures: ${(err as Error).message}`);
    }
  }

  /** What the API serves for one app: the last minute, the rings, and `minutes` of roll-ups. */
  view(app: AppRow, minutes: number, collected: boolean): AppMetrics {
    const s = this.apps.get(app.id);
    const mine = s && s.uuid === app.uuid ? s : undefined;
    const now = this.now();
    const traffic = mine?.traffic.all() ?? [];
    const windowSeconds = 60;
    const last = traffic.filter((t) => t.at > now - windowSeconds * 1000);
    const requests = last.reduce((a, t) => add(a, t.requests), zeros(4));
    const latency = last.reduce((a, t) => add(a, t.latency), zeros(LATENCY_BUCKETS));
    const total = requests.reduce((a, b) => a + b, 0);
    const rows = this.store.db
      .prepare('SELECT * FROM metrics_minutes WHERE app_uuid = ? AND minute >= ? ORDER BY minute')
      .all(app.uuid, Math.floor(now / MINUTE) * MINUTE - (minutes - 1) * MINUTE) as MinuteRow[];
    const points: MinutePoint[] = rows.map((r) =>
      minutePoint(
        r.minute,
        rowRequests(r),
        r.bytes_out,
        JSON.parse(r.latency) as number[],
        JSON.parse(r.types) as Record<string, TypeSums>,
      ),
    );
    // The minute in progress, from memory, after the stored ones.
    const m = mine?.minute;
    if (m) {
      const stored = points.findIndex((p) => p.minute === minuteTime(m.minute));
      const row = stored >= 0 ? rows[stored] : undefined;
      const types = row ? (JSON.parse(row.types) as Record<string, TypeSums>) : {};
      for (const [type, t] of Object.entries(m.types)) {
        const o = (types[type] ??= { count: 0, cpu: 0, memory: 0, samples: 0 });
        o.count = Math.max(o.count, t.count);
        o.cpu += t.cpu;
        o.memory += t.memory;
        o.samples += t.samples;
      }
      const point = minutePoint(
        m.minute,
        add(m.requests, row ? rowRequests(row) : zeros(4)),
        m.bytes + (row?.bytes_out ?? 0),
        add(m.latency, row ? (JSON.parse(row.latency) as number[]) : []),
        types,
      );
      if (stored >= 0) points[stored] = point;
      else points.push(point);
    }
    return {
      app: app.id,
      collected,
      interval_seconds: {
        traffic: (this.options.trafficIntervalMs ?? METRICS_TRAFFIC_INTERVAL_MS) / 1000,
        processes: (this.options.processIntervalMs ?? METRICS_PROCESS_INTERVAL_MS) / 1000,
      },
      current: {
        window_seconds: windowSeconds,
        requests: asRequests(requests),
        requests_per_second: Math.round((total / windowSeconds) * 100) / 100,
        bytes_out: last.reduce((a, t) => a + t.bytes, 0),
        latency_ms: latencyOf(latency),
        processes: mine?.latest ?? [],
      },
      recent: traffic.map((t): TrafficPoint => ({
        time: timestamp(new Date(t.at)),
        seconds: t.seconds,
        requests: asRequests(t.requests),
        bytes_out: t.bytes,
        latency_ms: latencyOf(t.latency),
      })),
      recent_processes: mine?.processes.all() ?? [],
      minutes: points,
    };
  }
}

const rowRequests = (r: MinuteRow) => [r.requests_2xx, r.requests_3xx, r.requests_4xx, r.requests_5xx];
const minuteTime = (minute: number) => timestamp(new Date(minute));

function minutePoint(
  minute: number,
  requests: number[],
  bytes: number,
  latency: number[],
  types: Record<string, TypeSums>,
): MinutePoint {
  const averaged: Record<string, TypeMetrics> = {};
  for (const [type, t] of Object.entries(types))
    averaged[type] = {
      count: t.count,
      cpu_percent: t.samples ? Math.round((t.cpu / t.samples) * 10) / 10 : 0,
      memory_bytes: t.samples ? Math.round(t.memory / t.samples) : 0,
    };
  return {
    minute: minuteTime(minute),
    requests: asRequests(requests),
    bytes_out: bytes,
    latency_ms: latencyOf(latency),
    types: averaged,
  };
}
