/** The app's processes as containers: create one for a release and type, list them, stop them with a grace period. */
import type Docker from 'dockerode';
import { TargetError, type ReleaseSpec } from '../target';
import { LABEL_APP, LABEL_TYPE, LABEL_VERSION, labelsFor, processName, roleFilter } from './labels';
import { cpuCores, memoryBytes, processCommand, processEnv } from './process-spec';

const LABEL_PORT = 'io.deis-desktop.port';

/** One container of an app, as listed (no inspect needed). */
export interface Proc {
  id: string;
  name: string;
  app: string;
  type: string;
  version: number;
  /** The network it is on, and its address there. */
  network: string;
  ip: string;
  port: number;
  /** Docker's state: running, restarting, exited, created... */
  state: string;
  /** Seconds since the epoch. */
  created: number;
}

export interface ProcessPlan {
  release: ReleaseSpec;
  type: string;
  port: number;
  ip: string;
  network: string;
  instance: string;
  graceSeconds: number;
}

export async function listProcs(docker: Docker, instance: string, app?: string): Promise<Proc[]> {
  const list = await docker.listContainers({ all: true, filters: roleFilter(instance, 'process', app) });
  return list.map((c) => {
    const [network, net] = Object.entries(c.NetworkSettings?.Networks ?? {})[0] ?? ['', undefined];
    return {
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      app: c.Labels[LABEL_APP] ?? '',
      type: c.Labels[LABEL_TYPE] ?? '',
      version: Number(c.Labels[LABEL_VERSION] ?? 0),
      network,
      ip: net?.IPAMConfig?.IPv4Address || net?.IPAddress || '',
      port: Number(c.Labels[LABEL_PORT] ?? 0),
      state: c.State,
      created: c.Created,
    };
  });
}

/** Creates and starts one process; it restarts when it crashes and when dockerd does. */
export async function startProc(docker: Docker, plan: ProcessPlan): Promise<Proc> {
  const { release, type } = plan;
  const name = processName(release.app, release.version, type);
  const env = processEnv(release, plan.port);
  const command = processCommand(release, type);
  const memory = memoryBytes(release.memory[type]);
  const cpu = cpuCores(release.cpu[type]);
  const container = await docker
    .createContainer({
      name,
      // Like a pod, the process knows itself by its name.
      Hostname: name,
      Image: release.image!,
      Entrypoint: command.entrypoint,
      Cmd: command.cmd,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: labelsFor(plan.instance, 'process', {
        [LABEL_APP]: release.app,
        [LABEL_TYPE]: type,
        [LABEL_VERSION]: String(release.version),
        [LABEL_PORT]: String(plan.port),
      }),
      StopTimeout: plan.graceSeconds,
      HostConfig: {
        // An init as PID 1 (Docker's --init) forwards signals and reaps zombies, so an app without
        // a SIGTERM handler stops at once, as on Heroku, instead of waiting out the grace period.
        Init: true,
        RestartPolicy: { Name: 'unless-stopped' },
        NetworkMode: plan.network,
        Memory: memory.limit,
        MemoryReservation: memory.request,
        NanoCpus: cpu.limit ? Math.round(cpu.limit * 1e9) : undefined,
        CpuShares: cpu.request ? Math.max(2, Math.round(cpu.request * 1024)) : undefined,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } },
      },
      NetworkingConfig: { EndpointsConfig: { [plan.network]: { IPAMConfig: { IPv4Address: plan.ip } } } },
    })
    .catch((err: { statusCode?: number }) => {
      // The image went away since the deploy began (removed by hand, or a pruned build cache).
      if (err.statusCode === 404)
        throw new TargetError(
          'image_missing',
          `The image ${release.image} is not in the local Docker engine.`,
        );
      throw err;
    });
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  }
  return {
    id: container.id,
    name,
    app: release.app,
    type,
    version: release.version,
    network: plan.network,
    ip: plan.ip,
    port: plan.port,
    state: 'running',
    created: Math.floor(Date.now() / 1000),
  };
}

/** SIGTERM, then SIGKILL after the grace period (Docker's stop), then remove. */
export async function stopProc(docker: Docker, proc: Proc, graceSeconds: number): Promise<void> {
  const c = docker.getContainer(proc.id);
  await c.stop({ t: graceSeconds }).catch(() => undefined);
  await c.remove({ force: true }).catch((err: { statusCode?: number }) => {
    // 404: gone already; 409: someone else (a destroy, a retirement) is removing it right now.
    if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
  });
}

/** The last lines a process wrote, to explain why it failed. */
export async function lastLines(docker: Docker, id: string, count = 20): Promise<string[]> {
  try {
    const buf = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: count, follow: false })) as unknown as Buffer;
    return demuxToText(buf)
      .split(/\r?\n/)
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** Docker's multiplexed log format (8-byte frame headers) to text; plain text passes through. */
export function demuxToText(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(out).toString('utf8');
}
