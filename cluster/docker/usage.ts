/**
 * CPU and memory of every process, from the engine: one one-shot stats call per running container
 * each round (cheaper than a stats stream per container, which has dockerd sample every process
 * every second; bench/metrics.ts measures both). CPU is the share since the previous round, worked
 * out here from the cumulative counters, so a call never waits a second for a second sample.
 */
import type Docker from 'dockerode';
import { METRICS_STATS_CONCURRENCY, METRICS_STATS_TIMEOUT_MS } from '../../main/contract/limits';
import type { ProcessUsage } from '../target';
import { listProcs } from './processes';

interface StatsSample {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

interface Previous {
  total: number;
  system: number;
}

/** What `docker stats` shows as memory: usage without the page cache the kernel can take back. */
export function memoryInUse(stats: StatsSample): number {
  const m = stats.memory_stats;
  const usage = m?.usage ?? 0;
  const cache = m?.stats?.inactive_file ?? m?.stats?.total_inactive_file ?? 0;
  return Math.max(0, usage - (cache < usage ? cache : 0));
}

export class UsageSampler {
  private previous = new Map<string, Previous>();

  constructor(
    private readonly docker: () => Docker,
    private readonly instance: string,
  ) {}

  async sample(): Promise<ProcessUsage[]> {
    const procs = (await listProcs(this.docker(), this.instance)).filter((p) => p.state === 'running');
    const seen = new Map<string, Previous>();
    const usage: ProcessUsage[] = [];
    let next = 0;
    const worker = async () => {
      while (next < procs.length) {
        const p = procs[next++]!;
        const stats = await this.stats(p.id);
        if (!stats) continue;
        const total = stats.cpu_stats?.cpu_usage?.total_usage ?? 0;
        const system = stats.cpu_stats?.system_cpu_usage ?? 0;
        const cpus = stats.cpu_stats?.online_cpus ?? 1;
        const before = this.previous.get(p.id);
        seen.set(p.id, { total, system });
        let cpuPercent: number | null = null;
        if (before && system > before.system && total >= before.total)
          cpuPercent = Math.round(((total - before.total) / (system - before.system)) * cpus * 1000) / 10;
        usage.push({ app: p.app, name: p.name, type: p.type, cpuPercent, memoryBytes: memoryInUse(stats) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(METRICS_STATS_CONCURRENCY, procs.length) }, worker));
    // Processes that are gone are forgotten.
    this.previous = seen;
    return usage;
  }

  private async stats(id: string): Promise<StatsSample | undefined> {
    const call = this.docker()
      .getContainer(id)
      .stats({ stream: false, 'one-shot': true } as { stream: false }) as Promise<StatsSample>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), METRICS_STATS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([call.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
