/**
 * Converges one app to a release and formation without dropping a request: start what is missing,
 * wait until it is ready, point the router at the new set, and return: the new release serves. The
 * processes that left the set retire in the background: they answer the requests they were given,
 * then stop (SIGTERM, SIGKILL after the grace period). A later converge of the app leaves processes
 * that are retiring to their retirement (it neither keeps nor stops them again), so a deploy never
 * waits for an old process that ignores SIGTERM; a core that restarts meanwhile finds them as old
 * processes and retires them again. If anything new fails, the new processes go and the old ones
 * keep serving.
 * Processes on another network than their app's (left by a version where apps shared one) count
 * as old: they are replaced the same way, so moving them to their app's network drops nothing.
 */
import { checkFormationSize } from '../formation-size';
import type Docker from 'dockerode';
import type { DesiredApp, Progress, RestartSelector } from '../target';
import { TargetError } from '../target';
import type { AddressPool, Network } from './network';
import { appPort, routedType } from './process-spec';
import { listProcs, startProc, stopProc, type Proc } from './processes';
import { waitReady, type NetworkReach } from './readiness';

export interface ConvergeContext {
  docker: Docker;
  instance: string;
  /** The app's own network, made and joined by the router on first use. */
  network(app: string): Promise<Network>;
  pool: AddressPool;
  reach: NetworkReach;
  /** Names of processes not ready yet (shown as `starting`). */
  starting: Set<string>;
  /** The `ip:port`s the router sends the app's traffic to now. */
  serving(app: string): Set<string>;
  /** Puts exactly these `ip:port`s in the app's rotation; resolves when the router uses them. */
  rotate(app: string, upstreams: string[]): Promise<void>;
  /** Resolves when requests given to these `ip:port`s (now out of rotation) have finished (at most ms). */
  drained(peers: string[], ms: number): Promise<void>;
  /** Processes (by container id) retiring in the background, and the promise of their stop. */
  retiring: Map<string, Promise<void>>;
  log(app: string, message: string): void;
}

/** New processes started (and waited for) at once; more wait for a turn, so a big scale-up stays gentle. */
const STARTS_AT_ONCE = 8;

export interface ConvergeOptions {
  restart?: RestartSelector;
  progress: Progress;
}

const numberFrom = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
};

export const graceSeconds = (values: Record<string, string>) =>
  numberFrom(values.KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS, 30);
export const deployTimeoutMs = (values: Record<string, string>) =>
  numberFrom(values.DEIS_DEPLOY_TIMEOUT, 120) * 1000;

/** The port a Dockerfile image EXPOSEs first, if any; throws image_missing when the image is not there. */
async function exposedPort(docker: Docker, image: string): Promise<number | undefined> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(image).inspect();
  } catch {
    throw new TargetError('image_missing', `The image ${image} is not in the local Docker engine.`);
  }
  const ports = Object.keys(info.Config?.ExposedPorts ?? {})
    .filter((p) => p.endsWith('/tcp'))
    .map((p) => Number(p.split('/')[0]));
  return ports[0];
}

function selected(p: Proc, s: RestartSelector | undefined): boolean {
  if (!s) return false;
  if (s.name) return p.name === s.name;
  return !s.type || p.type === s.type;
}

export async function converge(
  ctx: ConvergeContext,
  desired: DesiredApp,
  options: ConvergeOptions,
): Promise<void> {
  const { release, formation } = desired;
  const app = release.app;
  if (!release.image) return;
  checkFormationSize(app, formation);
  // Three independent questions to the engine, asked at once.
  const [exposed, net, listed] = await Promise.all([
    exposedPort(ctx.docker, release.image),
    ctx.network(app),
    listProcs(ctx.docker, ctx.instance, app),
  ]);
  const port = appPort(release, exposed);
  const grace = graceSeconds(release.values);
  const routed = routedType(Object.keys(formation).filter((t) => (formation[t] ?? 0) > 0));
  // Processes already retiring are on their way out: neither kept nor stopped a second time.
  const existing = listed.filter((p) => !ctx.retiring.has(p.id));

  // Keep healthy processes of this release, as many as the formation wants of each type.
  const kept: Proc[] = [];
  const missing: string[] = [];
  for (const [type, count] of Object.entries(formation)) {
    const same = existing.filter(
      (p) =>
        p.version === release.version &&
        p.type === type &&
        p.state === 'running' &&
        p.port === port &&
        p.network === net.name &&
        !selected(p, options.restart),
    );
    kept.push(...same.slice(0, count));
    for (let i = same.length; i < count; i++) missing.push(type);
  }
  const old = existing.filter((p) => !kept.includes(p));

  const readiness = (type: string) => ({
    probe: (release.healthcheck[type] ?? (type === routed ? release.healthcheck['web/cmd'] : undefined))
      ?.readinessProbe,
    routed: type === routed,
    timeoutMs: deployTimeoutMs(release.values),
    reach: ctx.reach,
  });
  // Processes of this release the router does not send traffic to yet (a core that stopped in the
  // middle of a deploy left them) must prove they are ready, like new ones.
  const serving = ctx.serving(app);
  const unproven = kept.filter((p) => p.type === routed && !serving.has(`${p.ip}:${p.port}`));

  const started: Proc[] = [];
  // The first failure gives up on the others at once (their waits end), and all new ones go.
  const giveUp = new AbortController();
  const startOne = async (type: string) => {
    if (giveUp.signal.aborted) return;
    const ip = await ctx.pool.take(net);
    try {
      const proc = await startProc(ctx.docker, {
        release,
        type,
        port,
        ip,
        network: net.name,
        instance: ctx.instance,
        graceSeconds: grace,
      });
      started.push(proc);
      ctx.starting.add(proc.name);
      options.progress({ kind: 'process', name: proc.name, type, state: 'starting' });
      await waitReady(ctx.docker, proc, { ...readiness(type), signal: giveUp.signal });
      ctx.starting.delete(proc.name);
      options.progress({ kind: 'process', name: proc.name, type, state: 'up' });
    } finally {
      ctx.pool.release(ip);
    }
  };
  try {
    if (missing.length)
      options.progress({
        kind: 'step',
        message: `Starting ${missing.length} process(es) of v${release.version}`,
      });
    await allOrNothing(giveUp, [
      ...unproven.map(
        (p) => () => waitReady(ctx.docker, p, { ...readiness(p.type), adopted: true, signal: giveUp.signal }),
      ),
      ...missing.map((type) => () => startOne(type)),
    ]);
  } catch (err) {
    for (const p of started) ctx.starting.delete(p.name);
    await Promise.all(started.map((p) => stopProc(ctx.docker, p, 0)));
    throw err;
  }

  const rotation = [...kept, ...started].filter((p) => p.type === routed);
  await ctx.rotate(
    app,
    rotation.map((p) => `${p.ip}:${p.port}`),
  );
  if (old.length) {
    options.progress({ kind: 'step', message: `Stopping ${old.length} old process(es) in the background` });
    retire(ctx, app, old, grace);
  }
  if (missing.length || old.length) {
    const summary = Object.entries(formation)
      .map(([t, n]) => `${t}=${n}`)
      .join(', ');
    ctx.log(app, `v${release.version} running: ${summary || 'no processes'}`);
  }
}

/**
 * Stops processes that left the rotation, in the background: requests already given to them finish
 * first (like a Kubernetes preStop hook, the drain counts against the grace period), then SIGTERM,
 * and SIGKILL when the rest of the grace period is over. They stay in `ctx.retiring` until removed.
 */
export function retire(ctx: ConvergeContext, app: string, procs: Proc[], grace: number): Promise<void> {
  const work = (async () => {
    const draining = Date.now();
    await ctx
      .drained(
        procs.filter((p) => p.state === 'running').map((p) => `${p.ip}:${p.port}`),
        grace * 1000,
      )
      .catch(() => undefined);
    const left = Math.max(0, grace - Math.ceil((Date.now() - draining) / 1000));
    await Promise.all(procs.map((p) => stopProc(ctx.docker, p, left)));
  })();
  for (const p of procs) ctx.retiring.set(p.id, work);
  const done = work
    .catch((err: Error) => ctx.log(app, `could not stop old processes: ${err.message}`))
    .finally(() => {
      for (const p of procs) if (ctx.retiring.get(p.id) === work) ctx.retiring.delete(p.id);
    });
  return done;
}

/**
 * Runs the jobs, STARTS_AT_ONCE at a time; the first failure aborts `giveUp` (the jobs running then
 * end soon after), the jobs not started yet are skipped, and it is thrown once every job has ended.
 */
async function allOrNothing(giveUp: AbortController, jobs: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < jobs.length && !failure) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        failure ??= { err };
        giveUp.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STARTS_AT_ONCE, jobs.length) }, worker));
  if (failure) throw failure.err;
}
