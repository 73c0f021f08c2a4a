/**
 * Readiness of a new process before it gets traffic: the app's readiness probe when it has one
 * (httpGet, tcpSocket, exec), else a TCP connect to PORT for routed types, else "still running after
 * a moment". A process that exits or restarts meanwhile failed: we say so with its last log lines.
 */
import net from 'node:net';
import http from 'node:http';
import type Docker from 'dockerode';
import type { Probe } from '../../main/contract/objects';
import { TargetError } from '../target';
import { execIn } from './exec';
import { lastLines, type Proc } from './processes';

/** How checks reach a process: straight from this machine (Linux engines) or from inside the router. */
export interface NetworkReach {
  direct: boolean;
  /** The router container, used when the host cannot reach container addresses (Docker Desktop). */
  via: string;
}

export interface ReadinessOptions {
  probe?: Probe;
  /** Routed processes must accept connections on their port. */
  routed: boolean;
  timeoutMs: number;
  reach: NetworkReach;
  /** A process that ran before (adopted): restarts before this check do not count against it. */
  adopted?: boolean;
  /** Aborted when the wait no longer matters (another new process failed). */
  signal?: AbortSignal;
}

/** Our own checks (no probe period given): the first pause between rounds, doubling up to the last. */
const FIRST_PAUSE_MS = 10;
const LAST_PAUSE_MS = 100;
/** How long to wait for a crash-looping process's next crash, to say its exit code. */
const CRASH_CODE_WAIT_MS = 2000;

/** Waits `ms`, or less when `signal` aborts meanwhile. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

function tcpDirect(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function httpDirect(ip: string, port: number, get: NonNullable<Probe['httpGet']>, timeoutMs: number) {
  return new Promise<boolean>((resolve) => {
    const headers: Record<string, string> = {};
    for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
    if (get.host) headers.Host = get.host;
    const req = http.get({ host: ip, port, path: get.path || '/', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Whether the host reaches addresses on the shared network (true on Linux, false on Docker Desktop). */
export async function detectReach(routerIp: string, router: string): Promise<NetworkReach> {
  return { direct: await tcpDirect(routerIp, 80, 500), via: router };
}

/** One check of a process: its probe, or a TCP connect for routed processes, else true. */
export async function check(docker: Docker, proc: Proc, o: ReadinessOptions): Promise<boolean> {
  const probe = o.probe;
  const timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000;
  if (probe?.exec) {
    const r = await execIn(docker, proc.id, probe.exec.command, { timeoutMs }).catch(() => undefined);
    return r?.exitCode === 0;
  }
  if (probe?.httpGet) {
    const port = probe.httpGet.port ?? proc.port;
    if (o.reach.direct) return httpDirect(proc.ip, port, probe.httpGet, timeoutMs);
    const url = `http://${proc.ip}:${port}${probe.httpGet.path || '/'}`;
    const r = await execIn(docker, o.reach.via, [
      'curl',
      '-fs',
      '-o',
      '/dev/null',
      '-m',
      String(timeoutMs / 1000),
      url,
    ]);
    return r.exitCode === 0;
  }
  if (probe?.tcpSocket || o.routed) {
    const port = probe?.tcpSocket?.port ?? proc.port;
    if (o.reach.direct) return tcpDirect(proc.ip, port, timeoutMs);
    const r = await execIn(docker, o.reach.via, [
      'timeout',
      String(Math.ceil(timeoutMs / 1000)),
      'bash',
      '-c',
      `exec 3<>/dev/tcp/${proc.ip}/${port}`,
    ]);
    return r.exitCode === 0;
  }
  return true;
}

/** The exit code of the next crash of a process that crashes in a loop (0 if none within a moment). */
async function nextExitCode(docker: Docker, id: string, signal?: AbortSignal): Promise<number> {
  const until = Date.now() + CRASH_CODE_WAIT_MS;
  while (Date.now() < until && !signal?.aborted) {
    const info = await docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (!info) return 0;
    if (!info.State.Running || info.State.Restarting) return info.State.ExitCode;
    await sleep(FIRST_PAUSE_MS, signal);
  }
  return 0;
}

/** Resolves when `proc` is ready; throws TargetError('crashed' | 'not_ready') with its last log lines. */
export async function waitReady(docker: Docker, proc: Proc, o: ReadinessOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  // Our own checks are cheap (one connect), so they start at once and often, then back off: a
  // process that listens within a few milliseconds gets traffic within a few more.
  const period = o.probe?.periodSeconds ? o.probe.periodSeconds * 1000 : undefined;
  let pause = FIRST_PAUSE_MS;
  const needed = o.probe?.successThreshold ?? 1;
  // Without a probe, a process that is not routed counts as started once it survived a moment.
  const settleMs = !o.probe && !o.routed ? 1000 : 0;
  if (o.probe?.initialDelaySeconds) await sleep(o.probe.initialDelaySeconds * 1000, o.signal);
  let successes = 0;
  let restarts: number | undefined = o.adopted ? undefined : 0;
  for (;;) {
    if (o.signal?.aborted) throw new TargetError('not_ready', `${proc.name}: no longer waited for`);
    // The state and the check at the same time: one round trip per round, not two.
    const settled = Date.now() - started >= settleMs;
    const [info, ok] = await Promise.all([
      docker.getContainer(proc.id).inspect(),
      settled ? check(docker, proc, o) : Promise.resolve(false),
    ]);
    restarts ??= info.RestartCount;
    if (!info.State.Running || info.State.Restarting || info.RestartCount > restarts) {
      // Seen after Docker restarted it, the exit code is gone: its next crash shows it again.
      const code =
        info.State.Running && !info.State.Restarting
          ? await nextExitCode(docker, proc.id, o.signal)
          : info.State.ExitCode;
      throw new TargetError(
        'crashed',
        `${proc.name} exited${code ? ` with code ${code}` : ''} while starting`,
        await lastLines(docker, proc.id),
      );
    }
    if (ok) {
      if (++successes >= needed) return;
    } else successes = 0;
    if (Date.now() > deadline)
      throw new TargetError(
        'not_ready',
        `${proc.name} was not ready within ${Math.round(o.timeoutMs / 1000)} seconds`,
        await lastLines(docker, proc.id),
      );
    const wait = period ?? pause;
    pause = Math.min(pause * 2, LAST_PAUSE_MS);
    await sleep(Math.min(wait, Math.max(FIRST_PAUSE_MS, deadline - Date.now())), o.signal);
  }
}
