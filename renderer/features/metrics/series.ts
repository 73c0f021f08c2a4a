/**
 * Turns an app's metrics (as GET /v2/apps/<app>/metrics/ answers) into the columns uPlot draws: one
 * x column (seconds since the epoch) and one column per line. The core keeps only intervals that had
 * requests, so a quiet stretch between two of them is drawn as zero, not as a line across it.
 */
import type { AppMetrics, Latency, Requests, TypeMetrics } from '../../../main/contract/metrics';
import { STATUS_CLASSES } from '../../../main/contract/metrics';

export type Range = 'live' | 'hour' | 'day';
export const RANGE_SECONDS: Record<Range, number> = { live: 10 * 60, hour: 60 * 60, day: 24 * 60 * 60 };

export interface Columns {
  x: number[];
  /** One column per line, by label; null where there is nothing to draw. */
  lines: Record<string, (number | null)[]>;
}

interface Point {
  x: number;
  /** Seconds the point covers. */
  seconds: number;
  requests: Requests;
  latency: Latency | null;
}

interface UsePoint {
  x: number;
  types: Record<string, TypeMetrics>;
}

const seconds = (time: string) => Date.parse(time) / 1000;

function trafficPoints(m: AppMetrics, range: Range): { points: Point[]; step: number } {
  if (range === 'live')
    return {
      points: m.recent.map((p) => ({
        x: seconds(p.time),
        seconds: p.seconds,
        requests: p.requests,
        latency: p.latency_ms,
      })),
      step: m.interval_seconds.traffic,
    };
  return {
    points: m.minutes.map((p) => ({
      // A minute's figures are drawn at its end, as a sample's are.
      x: seconds(p.minute) + 60,
      seconds: 60,
      requests: p.requests,
      latency: p.latency_ms,
    })),
    step: 60,
  };
}

function usePoints(m: AppMetrics, range: Range): UsePoint[] {
  if (range === 'live') return m.recent_processes.map((p) => ({ x: seconds(p.time), types: p.types }));
  return m.minutes.map((p) => ({ x: seconds(p.minute) + 60, types: p.types }));
}

/** Requests per second by status class, with zeros where the app was quiet. */
export function requestColumns(m: AppMetrics, range: Range, now: number): Columns {
  const { points, step } = trafficPoints(m, range);
  const from = now - RANGE_SECONDS[range];
  const x: number[] = [];
  const lines: Columns['lines'] = Object.fromEntries(STATUS_CLASSES.map((c) => [c, []]));
  const push = (at: number, p: Point | null) => {
    x.push(at);
    for (const c of STATUS_CLASSES)
      lines[c]!.push(p ? Math.round((p.requests[c] / Math.max(p.seconds, 0.001)) * 100) / 100 : 0);
  };
  let last = from;
  for (const p of points.filter((p) => p.x >= from)) {
    if (p.x - last > step * 1.5) {
      push(last + (x.length ? step : 0), null);
      push(p.x - p.seconds, null);
    }
    push(p.x, p);
    last = p.x;
  }
  if (now - last > step * 1.5) {
    push(last + (x.length ? step : 0), null);
    push(now, null);
  }
  return dedupe({ x, lines });
}

/** p50, p95 and p99 of each interval that had requests; gaps where none came. */
export function latencyColumns(m: AppMetrics, range: Range, now: number): Columns {
  const { points, step } = trafficPoints(m, range);
  const from = now - RANGE_SECONDS[range];
  const x: number[] = [];
  const lines: Columns['lines'] = { p50: [], p95: [], p99: [] };
  let last: number | undefined;
  for (const p of points.filter((p) => p.x >= from && p.latency)) {
    // A gap: a null breaks the line instead of joining two distant intervals.
    if (last !== undefined && p.x - last > step * 1.5) {
      x.push(last + step);
      for (const k of ['p50', 'p95', 'p99'] as const) lines[k]!.push(null);
    }
    x.push(p.x);
    for (const k of ['p50', 'p95', 'p99'] as const) lines[k]!.push(p.latency![k]);
    last = p.x;
  }
  return dedupe({ x, lines });
}

/** CPU (% of one core) or memory (MiB) per process type, summed over the type's processes. */
export function usageColumns(m: AppMetrics, range: Range, now: number, what: 'cpu' | 'memory'): Columns {
  const from = now - RANGE_SECONDS[range];
  const points = usePoints(m, range).filter((p) => p.x >= from);
  const types = [...new Set(points.flatMap((p) => Object.keys(p.types)))].sort();
  const x = points.map((p) => p.x);
  const lines: Columns['lines'] = {};
  for (const t of types)
    lines[t] = points.map((p) => {
      const u = p.types[t];
      if (!u) return null;
      return what === 'cpu' ? u.cpu_percent : Math.round((u.memory_bytes / 1024 / 1024) * 10) / 10;
    });
  return dedupe({ x, lines });
}

/** uPlot needs x strictly increasing: of two points at the same second, the later one stays. */
function dedupe(c: Columns): Columns {
  const keep: number[] = [];
  for (let i = 0; i < c.x.length; i++) {
    if (keep.length && c.x[keep[keep.length - 1]!]! >= c.x[i]!) keep.pop();
    keep.push(i);
  }
  if (keep.length === c.x.length) return c;
  return {
    x: keep.map((i) => c.x[i]!),
    lines: Object.fromEntries(Object.entries(c.lines).map(([k, v]) => [k, keep.map((i) => v[i] ?? null)])),
  };
}

/** Whether a chart has anything to draw: one value that is a number. */
export const hasData = (c: Columns): boolean =>
  c.x.length > 0 && Object.values(c.lines).some((v) => v.some((n) => n !== null && n > 0));
