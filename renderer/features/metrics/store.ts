/** An app's metrics, asked for again every few seconds while the tab is open, and its releases. */
import { useEffect, useState } from 'react';
import { z } from 'zod';
import type { AppMetrics } from '../../../main/contract/metrics';
import { page, ReleaseSchema } from '../../../main/contract/responses';
import { get, messageOf } from '../../src/api';
import type { Range } from './series';

const Requests = z.object({ '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() });
const Latency = z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).nullable();
const TypeMetrics = z.object({ count: z.number(), cpu_percent: z.number(), memory_bytes: z.number() });

export const AppMetricsSchema = z.object({
  app: z.string(),
  collected: z.boolean(),
  interval_seconds: z.object({ traffic: z.number(), processes: z.number() }),
  current: z.object({
    window_seconds: z.number(),
    requests: Requests,
    requests_per_second: z.number(),
    bytes_out: z.number(),
    latency_ms: Latency,
    processes: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        cpu_percent: z.number().nullable(),
        memory_bytes: z.number(),
      }),
    ),
  }),
  recent: z.array(
    z.object({
      time: z.string(),
      seconds: z.number(),
      requests: Requests,
      bytes_out: z.number(),
      latency_ms: Latency,
    }),
  ),
  recent_processes: z.array(z.object({ time: z.string(), types: z.record(z.string(), TypeMetrics) })),
  minutes: z.array(
    z.object({
      minute: z.string(),
      requests: Requests,
      bytes_out: z.number(),
      latency_ms: Latency,
      types: z.record(z.string(), TypeMetrics),
    }),
  ),
}) satisfies z.ZodType<AppMetrics>;

/** How often the tab asks again: the core samples traffic every 2 s; roll-ups change once a minute. */
const REFRESH_MS: Record<Range, number> = { live: 2_000, hour: 15_000, day: 60_000 };
const MINUTES: Record<Range, number> = { live: 10, hour: 60, day: 1_440 };

export interface MetricsState {
  metrics: AppMetrics | null;
  releases: { at: number; label: string }[];
  error: string | null;
  /** When the figures were read (seconds since the epoch): the right end of the charts. */
  now: number;
}

export function useMetrics(app: string, range: Range): MetricsState {
  const [state, setState] = useState<MetricsState>({
    metrics: null,
    releases: [],
    error: null,
    now: Date.now() / 1000,
  });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const id = encodeURIComponent(app);
    const tick = async () => {
      try {
        const [metrics, releases] = await Promise.all([
          get(`/v2/apps/${id}/metrics/?minutes=${MINUTES[range]}`, AppMetricsSchema),
          get(`/v2/apps/${id}/releases/?limit=100`, page(ReleaseSchema)),
        ]);
        if (stopped) return;
        setState({
          metrics,
          releases: releases.results.map((r) => ({
            at: Date.parse(r.created) / 1000,
            label: `v${r.version}`,
          })),
          error: null,
          now: Date.now() / 1000,
        });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: messageOf(err), now: Date.now() / 1000 }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), REFRESH_MS[range]);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [app, range]);
  return state;
}
