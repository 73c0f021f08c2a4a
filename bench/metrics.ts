/**
 * The metrics collector's cost: the core's CPU share and memory with 20 apps running, collection on
 * against the same core with it off, side by side in one run; and what the engine (dockerd and
 * containerd) spends answering the stats calls. Linux only (reads /proc for the engine's CPU).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Core } from '../main/core';
import type { Api } from '../test/support/core';
import { buildFixture, pushBuild, removeImage, sleep } from '../test/support/run-stage';

const APPS = Number(process.env.BENCH_METRICS_APPS || 20);
const SECONDS = Number(process.env.BENCH_METRICS_SECONDS || 30);

/** CPU ticks (1/100 s) a process has used, or 0 when /proc does not say. */
function ticks(name: string): number {
  try {
    const pid = execFileSync('pidof', ['-s', name]).toString().trim();
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

export interface Share {
  /** Percent of one core the core process used. */
  core: number;
  /** Percent of one core dockerd and containerd used. */
  engine: number;
  rssMb: number;
}

async function measure(): Promise<Share> {
  const cpu = process.cpuUsage();
  const engine = ticks('dockerd') + ticks('containerd');
  const started = Date.now();
  await sleep(SECONDS * 1000);
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - started) / 1000;
  return {
    core: ((used.user + used.system) / 1e6 / seconds) * 100,
    engine: ((ticks('dockerd') + ticks('containerd') - engine) / 100 / seconds) * 100,
    rssMb: process.memoryUsage().rss / 1024 / 1024,
  };
}

export async function benchMetrics(api: Api, core: Core): Promise<{ off: Share; on: Share }> {
  const built = await buildFixture('bench-metrics', 'metrics-app');
  const apps = Array.from({ length: APPS }, (_, i) => `bench-metrics-${i + 1}`);
  try {
    for (const app of apps) {
      await api.post('/v2/apps/', { id: app });
      await api.post(`/v2/apps/${app}/config/`, {
        values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
      });
      const r = await pushBuild(api, app, built);
      if (r.status !== 201) throw new Error(`deploy of ${app}: ${r.status} ${r.text}`);
    }
    // Off first, then on, each after a pause for the deploys' tail to settle.
    core.metrics.stop();
    await sleep(5_000);
    const off = await measure();
    core.metrics.start();
    await sleep(5_000);
    const on = await measure();
    return { off, on };
  } finally {
    for (const app of apps) await api.delete(`/v2/apps/${app}/`);
    await removeImage(built.image);
  }
}
