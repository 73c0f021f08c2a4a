/**
 * The collector's rules on a real store with a clock the test moves: the first reading is where
 * counting starts, a router restart (counters drop) counts from zero, minutes roll up into rows,
 * a second core adds to the minute the first one wrote, and rows older than 24 h go.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { MetricsSource, ProcessUsage, TrafficCounters } from '../../cluster/target';
import { Controller } from '../../main/controller';
import type { AppRow } from '../../main/controller/apps';
import { Metrics } from '../../main/controller/metrics';
import { LATENCY_BUCKETS } from '../../main/contract/metrics';
import { openStore } from '../../main/store/db';

const MINUTE = 60_000;
let c: Controller;
let app: AppRow;
let now: number;
let counters: TrafficCounters[] | undefined;
let usage: ProcessUsage[];

const source: MetricsSource = {
  trafficCounters: async () => counters,
  processUsage: async () => usage,
};

const traffic = (ok: number, notFound: number, bytes = ok * 100): TrafficCounters => ({
  app: 'demo',
  requests: [ok, 0, notFound, 0],
  bytesOut: bytes,
  latency: Array.from({ length: LATENCY_BUCKETS }, (_, i) => (i === 3 ? ok + notFound : 0)),
});

const collector = () =>
  new Metrics(c.store, (name) => c.apps.find(name), { source: () => source, now: () => now });

beforeEach(async () => {
  c = new Controller(openStore(':memory:'));
  const user = await c.users.register({ username: 'alice', password: 'pw', email: '' }, undefined);
  app = c.apps.create(user, 'demo');
  now = 100 * MINUTE + 1_000;
  counters = [];
  usage = [];
});

describe('the metrics collector', () => {
  it('counts from its first reading, and from zero after the router restarted', async () => {
    const m = collector();
    counters = [traffic(50, 5)];
    await m.readTraffic();
    expect(m.view(app, 60, true).current.requests['2xx']).toBe(0);
    now += 2_000;
    counters = [traffic(53, 6)];
    await m.readTraffic();
    now += 2_000;
    counters = [traffic(2, 0)];
    await m.readTraffic();
    const v = m.view(app, 60, true);
    expect(v.current.requests).toEqual({ '2xx': 5, '3xx': 0, '4xx': 1, '5xx': 0 });
    expect(v.recent).toHaveLength(2);
    expect(v.minutes).toHaveLength(1);
    expect(v.minutes[0]!.requests['2xx']).toBe(5);
  });

  it('counts an app that appears after the first reading from its first request', async () => {
    const m = collector();
    await m.readTraffic();
    counters = [traffic(3, 0)];
    now += 2_000;
    await m.readTraffic();
    expect(m.view(app, 60, true).current.requests['2xx']).toBe(3);
  });

  it('rolls a minute up once it ends, and a second core adds to the minute the first one wrote', async () => {
    const first = collector();
    counters = [traffic(0, 0)];
    await first.readTraffic();
    now += 2_000;
    counters = [traffic(10, 2)];
    usage = [{ app: 'demo', name: 'demo-v2-web-a', type: 'web', cpuPercent: 40, memoryBytes: 1000 }];
    await first.readTraffic();
    await first.readProcesses();
    first.stop();
    const row = () =>
      c.store.db
        .prepare('SELECT requests_2xx AS ok, types FROM metrics_minutes WHERE app_uuid = ?')
        .get(app.uuid) as {
        ok: number;
        types: string;
      };
    expect(row().ok).toBe(10);

    const second = collector();
    counters = [traffic(10, 2)];
    await second.readTraffic();
    now += 2_000;
    counters = [traffic(14, 2)];
    usage = [{ app: 'demo', name: 'demo-v2-web-a', type: 'web', cpuPercent: 20, memoryBytes: 3000 }];
    await second.readTraffic();
    await second.readProcesses();
    // The minute ends: the next reading writes it.
    now += MINUTE;
    await second.readTraffic();
    expect(row().ok).toBe(14);
    const minute = second.view(app, 60, true).minutes[0]!;
    expect(minute.requests['2xx']).toBe(14);
    expect(minute.types.web).toEqual({ count: 1, cpu_percent: 30, memory_bytes: 2000 });
    second.stop();
  });

  it('prunes roll-ups older than 24 hours', async () => {
    const m = collector();
    await m.readTraffic();
    counters = [traffic(1, 0)];
    now += 2_000;
    await m.readTraffic();
    now += 25 * 60 * MINUTE;
    counters = [traffic(2, 0)];
    await m.readTraffic();
    now += MINUTE;
    await m.readTraffic();
    const minutes = (
      c.store.db.prepare('SELECT minute FROM metrics_minutes').all() as { minute: number }[]
    ).map((r) => r.minute);
    expect(minutes).toHaveLength(1);
    expect(minutes[0]!).toBeGreaterThan(now - 24 * 60 * MINUTE);
  });
});
