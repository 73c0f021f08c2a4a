/**
 * Backing services on the Docker engine: one container per service (restarted by Docker unless a
 * person stopped it) with its data on a named volume, on the instance's services network; attaching
 * connects it to the app's own network too, at a fixed address, so the app reaches it by name and
 * nothing else does. Credentials are in the container's environment only, never in a log line.
 */
import { Duplex, PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import {
  SERVICE_EXEC_OUTPUT_MAX,
  SERVICE_FAILURE_LOG_LINES,
  SERVICE_LOG_LINE_MAX_CHARS,
  SERVICE_READY_MS,
} from '../../main/contract/limits';
import {
  TargetError,
  type Progress,
  type ServiceExec,
  type ServiceExecIo,
  type ServiceSpec,
} from '../target';
import { demux } from './demux';
import { execIn } from './exec';
import { LABEL_SERVICE, labelsFor } from './labels';
import { appNetworkName, ensureServicesNetwork, type AddressPool, type Network } from './network';
import { ensureServiceImage } from './service-image';

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

export const serviceContainerName = (instance: string, service: string): string =>
  `${instance}-svc-${service}`;
const volumeName = (instance: string, service: string): string => `${instance}-svc-${service}-data`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DockerServices {
  constructor(
    private readonly docker: () => Docker,
    private readonly instance: string,
    /** The app's network, made (and joined by the router) when missing. */
    private readonly appNetwork: (app: string) => Promise<Network>,
    private readonly pool: () => AddressPool,
  ) {}

  /** The services network, made once: services provisioned at once would race to make it. */
  private network: Promise<Network> | undefined;

  private servicesNetwork(): Promise<Network> {
    if (!this.network) {
      const made = ensureServicesNetwork(this.docker(), this.instance);
      this.network = made;
      made.catch(() => {
        if (this.network === made) this.network = undefined;
      });
    }
    return this.network;
  }

  private container(service: string): Docker.Container {
    return this.docker().getContainer(serviceContainerName(this.instance, service));
  }

  async provision(spec: ServiceSpec, progress: Progress): Promise<{ image: string }> {
    const docker = this.docker();
    const image = await ensureServiceImage(docker, spec, progress);
    progress({ kind: 'step', message: 'Creating the container' });
    const net = await this.servicesNetwork();
    const name = serviceContainerName(this.instance, spec.name);
    const labels = labelsFor(this.instance, 'service', { [LABEL_SERVICE]: spec.name });
    const mounts: Docker.MountConfig = [];
    if (spec.dataPath) {
      const volume = volumeName(this.instance, spec.name);
      await docker.createVolume({ Name: volume, Labels: labels }).catch((err: unknown) => {
        if (statusOf(err) !== 409) throw err;
      });
      mounts.push({ Type: 'volume', Source: volume, Target: spec.dataPath });
    }
    try {
      await docker.createContainer({
        name,
        Image: image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Cmd: spec.command,
        Labels: labels,
        HostConfig: {
          RestartPolicy: { Name: 'unless-stopped' },
          Mounts: mounts,
          NetworkMode: net.name,
        },
      });
    } catch (err) {
      // A core that stopped while provisioning made it already: it is adopted as it is.
      if (statusOf(err) !== 409) throw err;
    }
    progress({ kind: 'step', message: 'Starting' });
    await this.container(spec.name)
      .start()
      .catch((err: unknown) => {
        if (statusOf(err) !== 304) throw err;
      });
    progress({ kind: 'step', message: 'Waiting until it accepts connections' });
    await this.waitReady(spec.name, spec.readiness);
    return { image };
  }

  /** Runs the readiness check until it succeeds; a container that exits fails at once, with its logs. */
  async waitReady(service: string, readiness: ServiceExec): Promise<void> {
    const container = this.container(service);
    const deadline = Date.now() + SERVICE_READY_MS;
    for (;;) {
      const info = await container.inspect();
      if (!info.State.Running && !info.State.Restarting)
        throw new TargetError(
          'crashed',
          `The service ${service} stopped while starting (exit code ${info.State.ExitCode}).`,
          await this.lastLogs(container),
        );
      if (info.State.Running) {
        const r = await execIn(this.docker(), container.id, readiness.command, {
          env: readiness.env,
          timeoutMs: 10_000,
        }).catch(() => ({ exitCode: -1, output: '' }));
        if (r.exitCode === 0) return;
      }
      if (Date.now() > deadline)
        throw new TargetError(
          'not_ready',
          `The service ${service} did not accept connections within ${SERVICE_READY_MS / 1000} s.`,
          await this.lastLogs(container),
        );
      await sleep(500);
    }
  }

  private async lastLogs(container: Docker.Container): Promise<string[]> {
    try {
      return await this.containerLogs(container, SERVICE_FAILURE_LOG_LINES);
    } catch {
      return [];
    }
  }

  /** The container's last `lines` lines, each cut at SERVICE_LOG_LINE_MAX_CHARS. */
  async logs(service: string, lines: number): Promise<string[]> {
    try {
      return await this.containerLogs(this.container(service), lines);
    } catch (err) {
      if (statusOf(err) === 404)
        throw new TargetError(
          'invalid',
          `The container of ${service} is gone; destroy the service and create it again.`,
        );
      throw err;
    }
  }

  private async containerLogs(container: Docker.Container, tail: number): Promise<string[]> {
    {
      const raw = (await container.logs({
        stdout: true,
        stderr: true,
        tail,
      })) as unknown as Buffer;
      // Multiplexed frames: drop each 8-byte header.
      const lines: string[] = [];
      for (let i = 0; i + 8 <= raw.length;) {
        const size = raw.readUInt32BE(i + 4);
        lines.push(
          ...raw
            .subarray(i + 8, i + 8 + size)
            .toString('utf8')
            .split('\n'),
        );
        i += 8 + size;
      }
      return lines
        .filter((l) => l.trim() !== '')
        .slice(-tail)
        .map((l) =>
          l.length > SERVICE_LOG_LINE_MAX_CHARS ? `${l.slice(0, SERVICE_LOG_LINE_MAX_CHARS)}…` : l,
        );
    }
  }

  async connect(service: string, app: string): Promise<string> {
    const name = serviceContainerName(this.instance, service);
    const net = await this.appNetwork(app);
    const info = await this.container(service).inspect();
    if (info.NetworkSettings.Networks[net.name]) return name;
    const pool = this.pool();
    const ip = await pool.take(net);
    try {
      await this.docker()
        .getNetwork(net.name)
        .connect({ Container: name, EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
    } finally {
      pool.release(ip);
    }
    return name;
  }

  async disconnect(service: string, app: string): Promise<void> {
    await this.docker()
      .getNetwork(appNetworkName(this.instance, app))
      .disconnect({ Container: serviceContainerName(this.instance, service), Force: true })
      .catch((err: unknown) => {
        // Gone already (the network, the container, or the connection).
        if (![404, 403, 500].includes(statusOf(err) ?? 0)) throw err;
      });
  }

  /** Cuts every service off an app's network (the app is being destroyed, and its network with it). */
  async disconnectAll(net: Network): Promise<void> {
    const attached = await this.docker().listContainers({
      all: true,
      filters: { network: [net.name], label: [`${LABEL_SERVICE}`] },
    });
    for (const c of attached)
      await this.docker()
        .getNetwork(net.name)
        .disconnect({ Container: c.Id, Force: true })
        .catch(() => undefined);
  }

  async destroy(service: string): Promise<void> {
    await this.container(service)
      .remove({ force: true, v: true })
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    await this.docker()
      .getVolume(volumeName(this.instance, service))
      .remove()
      .catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
  }

  async restart(service: string, readiness: ServiceExec): Promise<void> {
    await this.container(service).restart();
    await this.waitReady(service, readiness);
  }

  /**
   * Stops the service (a person's stop: Docker does not restart it), runs `swap` in a throwaway
   * container of the same image on the same volume, with no network, and starts the service again
   * whatever the swap's outcome; a failed swap is an error with its last output lines.
   */
  async replaceData(service: string, swap: ServiceExec, readiness: ServiceExec): Promise<void> {
    const docker = this.docker();
    const container = this.container(service);
    const info = await container.inspect();
    await container.stop({ t: 30 }).catch((err: unknown) => {
      if (statusOf(err) !== 304) throw err;
    });
    let failure: TargetError | undefined;
    try {
      const helper = await docker.createContainer({
        name: `${serviceContainerName(this.instance, service)}-swap`,
        Image: info.Image,
        Entrypoint: [swap.command[0]!],
        Cmd: swap.command.slice(1),
        Env: Object.entries(swap.env).map(([k, v]) => `${k}=${v}`),
        Labels: info.Config.Labels,
        HostConfig: { Mounts: info.HostConfig.Mounts, NetworkMode: 'none' },
      });
      try {
        await helper.start();
        const done = (await helper.wait()) as { StatusCode: number };
        if (done.StatusCode !== 0)
          failure = new TargetError(
            'invalid',
            `putting the data in place failed (exit code ${done.StatusCode})`,
            await this.lastLogs(helper),
          );
      } finally {
        await helper.remove({ force: true }).catch(() => undefined);
      }
    } finally {
      await container.start().catch((err: unknown) => {
        if (statusOf(err) !== 304) throw err;
      });
    }
    await this.waitReady(service, readiness);
    if (failure) throw failure;
  }

  /**
   * A TCP connection to the service's port from inside its own container (bash's /dev/tcp), carried
   * by one exec: bytes written go to the service, its answers come out. Either side closing ends
   * both halves (the relay exits, closing the service's socket).
   */
  async dial(service: string, port: number): Promise<Duplex> {
    const exec = await this.container(service).exec({
      Cmd: [
        'bash',
        '-c',
        // Background jobs get /dev/null as stdin, so the exec's stdin goes in as fd 4.
        'exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$0" 4<&0 || exit 1; cat <&3 & r=$!; cat <&4 >&3 & w=$!; wait -n; kill $r $w',
        String(port),
      ],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const raw = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    const out = new PassThrough();
    const err = new PassThrough();
    err.resume();
    this.docker().modem.demuxStream(raw, out, err);
    raw.on('end', () => out.end());
    raw.on('close', () => out.end());
    raw.on('error', (e) => out.destroy(e));
    return Duplex.from({ readable: out, writable: raw });
  }

  /** Streams stdin in and stdout out; keeps the last SERVICE_EXEC_OUTPUT_MAX bytes of stderr. */
  async exec(
    service: string,
    command: ServiceExec,
    io: ServiceExecIo,
  ): Promise<{ exitCode: number; stderr: string }> {
    const exec = await this.container(service).exec({
      Cmd: command.command,
      Env: Object.entries(command.env).map(([k, v]) => `${k}=${v}`),
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: io.input !== undefined,
    });
    const stream = (await exec.start({
      hijack: io.input !== undefined,
      stdin: io.input !== undefined,
    })) as unknown as Readable & NodeJS.WritableStream;
    const onAbort = () => stream.destroy();
    io.signal?.addEventListener('abort', onAbort);
    let stderr = Buffer.alloc(0);
    try {
      const feeding = io.input ? feed(io.input, stream) : Promise.resolve();
      const reading = demux(stream, async (payload, kind) => {
        if (kind === 2) {
          stderr = Buffer.concat([stderr, payload]);
          if (stderr.length > SERVICE_EXEC_OUTPUT_MAX) stderr = stderr.subarray(-SERVICE_EXEC_OUTPUT_MAX);
        } else await io.stdout?.(payload);
      });
      await Promise.all([feeding, reading]);
    } catch (err) {
      // The input failed (too large, the client went away): the command must not go on with half of it.
      stream.destroy();
      throw err;
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
    }
    if (io.signal?.aborted) throw new TargetError('invalid', 'The command was stopped.');
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stderr: stderr.toString('utf8') };
  }
}

/** Writes every chunk into the exec's stdin (waiting when it is full), then half-closes it. */
async function feed(input: AsyncIterable<Buffer>, stream: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of input) {
    if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
  }
  // A hijacked connection: end() half-closes it, so the command sees the end of its input.
  stream.end();
}
