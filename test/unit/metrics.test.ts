/** The arithmetic of metrics: percentiles from the router's histogram, and its counters' text. */
import { describe, expect, it } from 'vitest';
import { parseTrafficCounters } from '../../cluster/docker/router/config';
import { LATENCY_BUCKETS, latencyOf, quantile } from '../../main/contract/metrics';

const histogram = (entries: Record<number, number>) =>
  Array.from({ length: LATENCY_BUCKETS }, (_, i) => entries[i] ?? 0);

describe('latency percentiles from the histogram', () => {
  it('is null without requests', () => {
    expect(latencyOf(histogram({}))).toBeNull();
  });

  it('interpolates inside the bucket the rank falls in', () => {
    // 100 requests in the 10-20 ms bucket (index 4).
    expect(quantile(histogram({ 4: 100 }), 0.5)).toBe(15);
    // 98 fast ones and 2 in 200-500 ms: p50 is fast, p99 among the slow ones.
    const l = latencyOf(histogram({ 1: 98, 8: 2 }))!;
    expect(l.p50).toBeLessThanOrEqual(2);
    expect(l.p99).toBeGreaterThanOrEqual(200);
    expect(l.p99).toBeLessThanOrEqual(500);
  });

  it('answers the last bound for requests slower than every bound', () => {
    expect(quantile(histogram({ [LATENCY_BUCKETS - 1]: 5 }), 0.99)).toBe(30000);
  });
});

describe("the router's counters", () => {
  const line = (app: string, extra = '') =>
    `${app} 3 0 1 2 900 ${Array.from({ length: LATENCY_BUCKETS }, (_, i) => (i === 2 ? 6 : 0)).join(' ')}${extra}`;

  it('reads one app per line', () => {
    expect(parseTrafficCounters(`${line('web')}\n${line('api')}\n`)).toEqual([
      { app: 'web', requests: [3, 0, 1, 2], bytesOut: 900, latency: histogram({ 2: 6 }) },
      { app: 'api', requests: [3, 0, 1, 2], bytesOut: 900, latency: histogram({ 2: 6 }) },
    ]);
  });

  it('skips lines of another shape (the text comes from a container apps can reach)', () => {
    expect(parseTrafficCounters(`${line('web', ' 7')}\n${line('Bad_Name')}\nweb -1 0 0\n\n`)).toEqual([]);
  });
});
