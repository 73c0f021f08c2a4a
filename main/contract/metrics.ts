/**
 * Metrics of an app, as the API serves them: requests by status class, latency percentiles and bytes
 * out from the router, CPU and memory per process from the engine. Pure: the router's histogram
 * bounds live here so the Lua that counts and the core that reads agree.
 */
import { z } from 'zod';
import { METRICS_MAX_MINUTES } from './limits';

/** Upper bounds (ms) of the router's response-time histogram; one more bucket counts everything slower. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];
/** Buckets of the histogram: one per bound and the open-ended last one. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];
export type Requests = Record<StatusClass, number>;

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The q-quantile (0..1) of a histogram with LATENCY_BOUNDS_MS, interpolated inside its bucket; null
 * for an empty one. The open-ended bucket answers its lower bound (a floor, not a guess).
 */
export function quantile(buckets: number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return Math.round((lower + ((rank - seen) / n) * (upper - lower)) * 10) / 10;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export function latencyOf(buckets: number[]): Latency | null {
  const p50 = quantile(buckets, 0.5);
  if (p50 === null) return null;
  return { p50, p95: quantile(buckets, 0.95)!, p99: quantile(buckets, 0.99)! };
}

/** One process's latest use of the machine. */
export interface ProcessMetrics {
  name: string;
  type: string;
  /** Percent of one CPU (200 = two CPUs busy); null until two samples exist. */
  cpu_percent: number | null;
  memory_bytes: number;
}

/** A process type's use: its processes' CPU and memory added up. */
export interface TypeMetrics {
  count: number;
  cpu_percent: number;
  memory_bytes: number;
}

export interface TrafficPoint {
  time: string;
  seconds: number;
  requests: Requests;
  bytes_out: number;
  latency_ms: Latency | null;
}

export interface ProcessPoint {
  time: string;
  types: Record<string, TypeMetrics>;
}

export interface MinutePoint {
  /** The minute's start, `YYYY-MM-DDTHH:MM:00Z`. */
  minute: string;
  requests: Requests;
  bytes_out: number;
  latency_ms: Latency | null;
  /** Per type: the average over the minute's samples. */
  types: Record<string, TypeMetrics>;
}

export interface AppMetrics {
  app: string;
  /** Whether this app's target collects metrics at all (Docker and Kubernetes do; a target that cannot tell does not). */
  collected: boolean;
  interval_seconds: { traffic: number; processes: number };
  /** The last minute from memory, what `deis metrics` prints. */
  current: {
    window_seconds: number;
    requests: Requests;
    requests_per_second: number;
    bytes_out: number;
    latency_ms: Latency | null;
    processes: ProcessMetrics[];
  };
  /** In memory, oldest first: every sampled interval that had requests. */
  recent: TrafficPoint[];
  recent_processes: ProcessPoint[];
  /** On disk, oldest first: one-minute roll-ups (also those of before the core's last restart). */
  minutes: MinutePoint[];
}

/** `?minutes=N`: how much history; 60 unless asked. */
export const MetricsQuery = z.object({
  minutes: z.coerce
    .number({ error: 'minutes must be a whole number.' })
    .int({ error: 'minutes must be a whole number.' })
    .min(1, { error: 'minutes must be at least 1.' })
    .max(METRICS_MAX_MINUTES, { error: `minutes must be at most ${METRICS_MAX_MINUTES} (24 hours).` })
    .default(60),
});

export const emptyRequests = (): Requests => ({ '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
