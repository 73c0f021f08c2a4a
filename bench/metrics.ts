/**
 * The metrics collector's cost: the core's CPU share and memory with 20 apps running, collection on
 * against the same core with it off, side by side in one run (off, on, on, off, SECONDS each, averaged
 * per side); and what the engine (dockerd and containerd) spends answering the stats calls. Linux
 * only (reads /proc for the engine's CPU).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Core } from '../main/core';
import type { Api } from '../test/support/core';
import { buildFixture, pushBuild, removeImage, sleep } from '../test/support/run-stage';

const APPS = Number(process.env.BENCH_METRICS_APPS || 20);
const SECONDS = Number(process.env.BENCH_METRICS_SECONDS || 30);
/** After the 20 deploys, before the first measurement. */
const SETTLE_MS = 20_000;

/**
 * The engine's processes, found once per measurement: dockerd, and the containerd it started (or,
 * when it has none, a containerd service with its default config). Another containerd (a test
 * Kubernetes node's) is not the engine's; `pidof -s` picked one of them at random before.
 */
function enginePids(): string[] {
  const pidsOf = (name: string) => {
    try {
      return execFileSync('pidof', [name]).toString().trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  };
  const read = (pid: string, file: string) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      return '';
    }
  };
  const dockerd = pidsOf('dockerd');
  const containerd = pidsOf('containerd');
  const parentOf = (pid: string) => read(pid, 'stat').split(') ')[1]?.split(' ')[1] ?? '';
  const started = containerd.filter((pid) => dockerd.includes(parentOf(pid)));
  const service = containerd.filter((pid) => !read(pid, 'cmdline').includes('--config'));
  return [...dockerd, ...(started.length ? started : service)];
}

/**
 * CPU ticks (1/100 s) the processes have used, or null when one could not be read: a failed read
 * counted as 0 made the engine's share negative in one run.
 */
function ticks(pids: string[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sum += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return sum;
}

export interface Share {
  /** Percent of one core the core process used. */
  core: number;
  /** Percent of one core dockerd and containerd used; NaN when /proc could not tell. */
  engine: number;
  rssMb: number;
}

async function measure(): Promise<Share> {
  const cpu = process.cpuUsage();
  const pids = enginePids();
  const engine = ticks(pids);
  const started = Date.now();
  await sleep(SECONDS * 1000);
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - started) / 1000;
  return {
    core: ((used.user + used.system) / 1e6 / seconds) * 100,
    engine: (() => {
      const now = ticks(pids);
      return engine === null || now === null || pids.length === 0
        ? NaN
        : ((now - engine) / 100 / seconds) * 100;
    })(),
    rssMb: process.memoryUsage().rss / 1024 / 1024,
  };
}

const average = (values: number[]): number => {
  const known = values.filter((v) => !Number.isNaN(v));
  return known.length ? known.reduce((a, v) => a + v, 0) / known.length : NaN;
};
const mean = (shares: Share[]): Share => ({
  core: average(shares.map((s) => s.core)),
  engine: average(shares.map((s) => s.engine)),
  rssMb: average(shares.map((s) => s.rssMb)),
});

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
    // The deploys' tail (images, health checks, the router's reloads) settles before anything counts.
    await sleep(SETTLE_MS);
    // Off, on, on, off: a machine that gets busier or quieter during the run (other work, a deploy's
    // tail) weighs on both sides alike, instead of on whichever came first.
    const rounds: { off: Share[]; on: Share[] } = { off: [], on: [] };
    for (const collecting of [false, true, true, false]) {
      if (collecting) core.metrics.start();
      else core.metrics.stop();
      await sleep(5_000);
      (collecting ? rounds.on : rounds.off).push(await measure());
    }
    core.metrics.start();
    return { off: mean(rounds.off), on: mean(rounds.on) };
  } finally {
    for (const app of apps) await api.delete(`/v2/apps/${app}/`);
    await removeImage(built.image);
  }
}
