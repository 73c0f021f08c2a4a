/**
 * Liveness probes, as the kubelet runs them: while the core runs, each process of a type with a
 * `livenessProbe` is checked every `periodSeconds`, and after `failureThreshold` failures in a row
 * it is restarted (SIGTERM, then SIGKILL after the grace period). Processes that crash are
 * restarted by Docker itself; this catches the ones that hang.
 */
import type Docker from 'dockerode';
import type { Probe } from '../../main/contract/objects';
import type { ReleaseSpec } from '../target';
import { graceSeconds } from './converge';
import { listProcs } from './processes';
import { check, type NetworkReach } from './readiness';

interface Watched {
  release: ReleaseSpec;
  probes: Record<string, Probe>;
}

const TICK_MS = 500;

export class LivenessWatcher {
  private readonly apps = new Map<string, Watched>();
  private readonly failures = new Map<string, number>();
  private readonly nextCheck = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly docker: Docker,
    private readonly instance: string,
    private readonly reach: NetworkReach,
    private readonly log: (app: string, message: string) => void,
  ) {}

  /** Watches the processes of `release` (or nothing, when it has no liveness probes). */
  watch(release: ReleaseSpec): void {
    const probes: Record<string, Probe> = {};
    for (const [type, checks] of Object.entries(release.healthcheck))
      if (checks.livenessProbe) probes[type] = checks.livenessProbe;
    if (Object.keys(probes).length === 0) this.apps.delete(release.app);
    else this.apps.set(release.app, { release, probes });
    if (this.apps.size > 0 && !this.timer) {
      this.timer = setInterval(() => void this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  forget(app: string): void {
    this.apps.delete(app);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const seen = new Set<string>();
      for (const [app, w] of this.apps) for (const id of await this.checkApp(app, w)) seen.add(id);
      for (const map of [this.failures, this.nextCheck])
        for (const id of map.keys()) if (!seen.has(id)) map.delete(id);
    } catch {
      // The engine is away for a moment; the next tick tries again.
    } finally {
      this.busy = false;
    }
  }

  /** Checks the app's processes that are due; returns the ids of all of them. */
  private async checkApp(app: string, w: Watched): Promise<string[]> {
    const now = Date.now();
    const procs = await listProcs(this.docker, this.instance, app);
    for (const p of procs) {
      const probe =
        w.probes[p.type] ?? (p.type === 'web' || p.type === 'cmd' ? w.probes['web/cmd'] : undefined);
      if (!probe || p.version !== w.release.version || p.state !== 'running') continue;
      const due = this.nextCheck.get(p.id) ?? p.created * 1000 + (probe.initialDelaySeconds ?? 0) * 1000;
      if (now < due) continue;
      this.nextCheck.set(p.id, now + (probe.periodSeconds ?? 10) * 1000);
      const alive = await check(this.docker, p, { probe, routed: true, timeoutMs: 0, reach: this.reach });
      const failed = alive ? 0 : (this.failures.get(p.id) ?? 0) + 1;
      this.failures.set(p.id, failed);
      if (failed < (probe.failureThreshold ?? 3)) continue;
      this.failures.delete(p.id);
      this.log(app, `${p.name} failed its liveness probe ${failed} times in a row; restarting it`);
      // The probe's clock starts again with the restart, initial delay included.
      this.nextCheck.set(
        p.id,
        now + (probe.initialDelaySeconds ?? 0) * 1000 + (probe.periodSeconds ?? 10) * 1000,
      );
      await this.docker
        .getContainer(p.id)
        .restart({ t: graceSeconds(w.release.values) })
        .catch(() => undefined);
    }
    return procs.map((p) => p.id);
  }
}
