/**
 * Local kind clusters, through the `kind` binary (run with execa): create, start, stop, delete, the
 * kubeconfig kept in DEIS_HOME, images loaded with `kind load docker-image`. kind has no start or
 * stop commands: a kind cluster is its node containers, so stop and start are `docker stop` and
 * `docker start` of the containers kind labels with the cluster's name (what kind's docs advise).
 *
 * kind is run against the Docker engine the core found (engine-discovery.ts), never with the user's
 * `~/.kube/config`: every command gets KUBECONFIG in DEIS_HOME, and the ones that write one
 * `--kubeconfig` there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import {
  KIND_COMMAND_TIMEOUT_MS,
  KIND_CREATE_TIMEOUT_MS,
  KIND_LOAD_TIMEOUT_MS,
  KIND_NODES_MAX,
  KIND_OUTPUT_LINE_BYTES,
  KIND_OUTPUT_TAIL_LINES,
  KUBECONFIG_MAX_BYTES,
} from '../../main/contract/limits';
import { lineSplitter } from '../docker/lines';
import type { DockerEndpoint } from '../docker/engine-discovery';
import {
  KIND_CLUSTER_LABEL,
  checkClusterName,
  createArgs,
  deleteArgs,
  getClustersArgs,
  getKubeconfigArgs,
  kindDir,
  kindKubeconfigPath,
  loadImageArgs,
  versionArgs,
  type CreateOptions,
} from './commands';
import { KindProgress, formatElapsed, type KindStep } from './progress';

/** What to install, per system, when there is no `kind`. */
export function howToInstallKind(platform: NodeJS.Platform = process.platform): string {
  const where =
    platform === 'darwin'
      ? '`brew install kind` (or `port install kind`)'
      : platform === 'win32'
        ? '`winget install Kubernetes.kind` (or `choco install kind`)'
        : 'the release binary (curl -Lo ./kind https://kind.sigs.k8s.io/dl/latest/kind-linux-amd64 && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind), or `go install sigs.k8s.io/kind@latest`';
  return `Install kind with ${where}, then try again; kind also needs a running Docker engine (see https://kind.sigs.k8s.io/docs/user/quick-start/#installation).`;
}

export class KindError extends Error {
  constructor(
    message: string,
    /** kind's last output lines, to show under the message. */
    readonly output: string[] = [],
    readonly missing = false,
  ) {
    super(message);
  }
}

export interface KindOptions {
  /** DEIS_HOME: kubeconfigs go to DEIS_HOME/kind/<name>/kubeconfig. */
  home: string;
  /** The `kind` program (default: `kind` on PATH). */
  binary?: string;
  /** The engine the core uses: kind (through the docker CLI) is pointed at the same one. */
  engine?: DockerEndpoint;
  /** The engine client, for start and stop (made on first use). */
  docker?: () => Docker;
  /** The environment kind starts from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface RunOptions {
  timeoutMs: number;
  onLine?: (line: string) => void;
  /** Keep stdout (up to this many bytes; more is an error). */
  stdoutMax?: number;
  signal?: AbortSignal;
}

interface RunResult {
  ok: boolean;
  exitCode?: number;
  stdout: string;
  tail: string[];
  timedOut: boolean;
}

export interface CreateResult {
  name: string;
  kubeconfig: string;
  steps: KindStep[];
  readyAfter?: string;
  warnings: string[];
}

export class Kind {
  constructor(private readonly o: KindOptions) {}

  private get binary(): string {
    return this.o.binary ?? 'kind';
  }

  /** kind's environment: the core's engine, and a KUBECONFIG in DEIS_HOME so ~/.kube/config is never touched. */
  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...(this.o.env ?? process.env) };
    env.KUBECONFIG = path.join(this.o.home, 'kind', 'kubeconfig.unused');
    const engine = this.o.engine;
    // The docker CLI kind runs finds DOCKER_HOST and contexts itself; a desktop engine's socket it
    // would not find (it tries /var/run/docker.sock), so it is named.
    if (engine?.source === 'known-socket') {
      env.DOCKER_HOST = engine.host;
      delete env.DOCKER_CONTEXT;
    }
    return env;
  }

  private async run(args: string[], r: RunOptions): Promise<RunResult> {
    const tail: string[] = [];
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > KIND_OUTPUT_TAIL_LINES) tail.shift();
      r.onLine?.(line);
    };
    const errLines = lineSplitter(keep, KIND_OUTPUT_LINE_BYTES);
    const outLines = lineSplitter(keep, KIND_OUTPUT_LINE_BYTES);
    const out: Buffer[] = [];
    let outBytes = 0;
    let tooMuch = false;
    const child = execa(this.binary, args, {
      env: this.env(),
      extendEnv: false,
      stdin: 'ignore',
      buffer: false,
      timeout: r.timeoutMs,
      cancelSignal: r.signal,
      forceKillAfterDelay: 5_000,
      reject: false,
    });
    child.stderr?.on('data', (c: Buffer) => errLines.write(c));
    child.stdout?.on('data', (c: Buffer) => {
      if (r.stdoutMax === undefined) return outLines.write(c);
      outBytes += c.length;
      if (outBytes > r.stdoutMax) {
        if (!tooMuch) child.kill();
        tooMuch = true;
        return;
      }
      out.push(c);
    });
    const result = await child;
    errLines.end();
    outLines.end();
    const spawnError = (result as { cause?: NodeJS.ErrnoException }).cause;
    if (
      spawnError?.code === 'ENOENT' ||
      (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))
    )
      throw new KindError(
        `kind is not installed: there is no \`${this.binary}\` on PATH. ${howToInstallKind()}`,
        [],
        true,
      );
    if (tooMuch)
      throw new KindError(
        `kind printed more than ${r.stdoutMax} bytes for \`kind ${args.slice(0, 2).join(' ')}\`, more than any kubeconfig needs.`,
      );
    return {
      ok: !result.failed,
      exitCode: result.exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      tail,
      timedOut: result.timedOut === true,
    };
  }

  private failure(what: string, r: RunResult, progress?: KindProgress, timeoutMs?: number): KindError {
    if (r.timedOut)
      return new KindError(
        `${what} did not finish in ${Math.round((timeoutMs ?? 0) / 1000)} s and was stopped; see kind's output below.`,
        r.tail,
      );
    const said =
      progress?.error ??
      r.tail
        .filter((l) => l.startsWith('ERROR: '))
        .at(-1)
        ?.slice('ERROR: '.length);
    return new KindError(
      `${what} failed${said ? `: ${said}` : ` (kind exited with ${r.exitCode})`}.`,
      r.tail,
    );
  }

  /** `kind version`: e.g. `kind v0.23.0 go1.21.10 linux/amd64`; throws a KindError with what to install when kind is missing. */
  async version(): Promise<string> {
    const r = await this.run(versionArgs(), { timeoutMs: KIND_COMMAND_TIMEOUT_MS, stdoutMax: 4096 });
    if (!r.ok) throw this.failure('`kind version`', r);
    return r.stdout.trim();
  }

  /** The kind clusters on the engine. */
  async clusters(): Promise<string[]> {
    const r = await this.run(getClustersArgs(), { timeoutMs: KIND_COMMAND_TIMEOUT_MS, stdoutMax: 64 * 1024 });
    if (!r.ok) throw this.failure('Listing kind clusters', r);
    // With none, kind says "No kind clusters found." on stderr and prints nothing on stdout.
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /**
   * Creates the cluster; each step kind prints reaches `onStep` as it starts and ends, with the time
   * it took. The kubeconfig is then written to DEIS_HOME (mode 0600).
   */
  async create(
    options: CreateOptions,
    onStep: (step: KindStep) => void = () => {},
    signal?: AbortSignal,
  ): Promise<CreateResult> {
    const name = checkClusterName(options.name);
    fs.mkdirSync(kindDir(this.o.home, name), { recursive: true, mode: 0o700 });
    const progress = new KindProgress(onStep);
    const r = await this.run(createArgs(this.o.home, options), {
      timeoutMs: KIND_CREATE_TIMEOUT_MS,
      onLine: (line) => progress.line(line),
      signal,
    });
    progress.finish(r.ok);
    if (!r.ok) {
      const err = this.failure(`Creating the kind cluster "${name}"`, r, progress, KIND_CREATE_TIMEOUT_MS);
      if (/already exist/.test(err.message))
        err.message = `A kind cluster named "${name}" already exists: pick another name, or delete it first.`;
      throw err;
    }
    const kubeconfig = await this.writeKubeconfig(name, options.kubeconfig);
    return {
      name,
      kubeconfig,
      steps: progress.steps,
      readyAfter: progress.readyAfter,
      warnings: progress.warnings,
    };
  }

  /** `kind get kubeconfig --name`, written to `file` (default DEIS_HOME/kind/<name>/kubeconfig) with mode 0600. */
  async writeKubeconfig(name: string, file = kindKubeconfigPath(this.o.home, name)): Promise<string> {
    const r = await this.run(getKubeconfigArgs(name), {
      timeoutMs: KIND_COMMAND_TIMEOUT_MS,
      stdoutMax: KUBECONFIG_MAX_BYTES,
    });
    if (!r.ok) throw this.failure(`Reading the kubeconfig of the kind cluster "${name}"`, r);
    if (!/^apiVersion:|\nclusters:/.test(r.stdout))
      throw new KindError(`kind printed no kubeconfig for the cluster "${name}".`, r.tail);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, r.stdout, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
    return file;
  }

  /** Deletes the cluster (kind removes its nodes) and its kubeconfig in DEIS_HOME. */
  async delete(
    name: string,
    onStep: (step: KindStep) => void = () => {},
    kubeconfig?: string,
  ): Promise<void> {
    checkClusterName(name);
    const progress = new KindProgress(onStep);
    const r = await this.run(deleteArgs(this.o.home, name, kubeconfig), {
      timeoutMs: KIND_COMMAND_TIMEOUT_MS,
      onLine: (line) => progress.line(line),
    });
    progress.finish(r.ok);
    if (!r.ok)
      throw this.failure(`Deleting the kind cluster "${name}"`, r, progress, KIND_COMMAND_TIMEOUT_MS);
    fs.rmSync(kindDir(this.o.home, name), { recursive: true, force: true });
  }

  /** `kind load docker-image`: the local image goes into every node of the cluster. */
  async loadImage(name: string, image: string, onLine?: (line: string) => void): Promise<void> {
    const r = await this.run(loadImageArgs(name, image), { timeoutMs: KIND_LOAD_TIMEOUT_MS, onLine });
    if (!r.ok)
      throw this.failure(
        `Loading ${image} into the kind cluster "${name}"`,
        r,
        undefined,
        KIND_LOAD_TIMEOUT_MS,
      );
  }

  private async nodes(name: string): Promise<Docker.ContainerInfo[]> {
    checkClusterName(name);
    if (!this.o.docker) throw new KindError('No Docker engine is connected to start or stop kind clusters.');
    const list = await this.o.docker().listContainers({
      all: true,
      filters: { label: [`${KIND_CLUSTER_LABEL}=${name}`] },
    });
    if (list.length === 0)
      throw new KindError(
        `There is no kind cluster named "${name}" on this Docker engine (\`kind get clusters\` lists them).`,
      );
    if (list.length > KIND_NODES_MAX)
      throw new KindError(
        `${list.length} containers carry the label of the kind cluster "${name}", more than a kind cluster has (${KIND_NODES_MAX}); start or stop them with docker.`,
      );
    // Load balancer and control planes first, then workers: the workers' kubelets need the API server.
    const rank = (c: Docker.ContainerInfo) => {
      const role = c.Labels['io.x-k8s.kind.role'];
      return role === 'external-load-balancer' ? 0 : role === 'control-plane' ? 1 : 2;
    };
    return list.sort((a, b) => rank(a) - rank(b));
  }

  /** Stops the cluster's node containers (what runs in them stops; nothing is deleted). */
  async stop(name: string, onStep: (step: KindStep) => void = () => {}): Promise<void> {
    const nodes = await this.nodes(name);
    await this.eachNode(nodes, 'stopping-nodes', 'Stopping nodes', onStep, async (c) => {
      if (c.State === 'running') await this.o.docker!().getContainer(c.Id).stop({ t: 10 });
    });
  }

  /** Starts the cluster's node containers again; kind's nodes come back with their state. */
  async start(name: string, onStep: (step: KindStep) => void = () => {}): Promise<void> {
    const nodes = await this.nodes(name);
    await this.eachNode(nodes, 'starting-nodes', 'Starting nodes', onStep, async (c) => {
      if (c.State !== 'running') await this.o.docker!().getContainer(c.Id).start();
    });
  }

  private async eachNode(
    nodes: Docker.ContainerInfo[],
    key: string,
    label: string,
    onStep: (step: KindStep) => void,
    act: (c: Docker.ContainerInfo) => Promise<void>,
  ): Promise<void> {
    const startedAt = Date.now();
    const step: KindStep = {
      key,
      label,
      detail: `0/${nodes.length}`,
      state: 'running',
      startedAt,
      elapsedMs: 0,
    };
    onStep({ ...step });
    let done = 0;
    try {
      for (const c of nodes) {
        await act(c);
        done++;
        onStep({ ...step, detail: `${done}/${nodes.length}`, elapsedMs: Date.now() - startedAt });
      }
    } catch (err) {
      onStep({
        ...step,
        state: 'failed',
        detail: `${done}/${nodes.length}`,
        endedAt: Date.now(),
        elapsedMs: Date.now() - startedAt,
      });
      throw new KindError(
        `${label} failed at ${nodes[done]?.Names[0]?.replace(/^\//, '')}: ${(err as Error).message}`,
      );
    }
    const endedAt = Date.now();
    onStep({
      ...step,
      state: 'succeeded',
      detail: `${done}/${nodes.length}`,
      endedAt,
      elapsedMs: endedAt - startedAt,
    });
  }
}

/** A step as one line for a task log: `✓ Installing CNI (3.2 s)`. */
export function describeStep(step: KindStep): string {
  const mark = step.state === 'running' ? '•' : step.state === 'succeeded' ? '✓' : '✗';
  const detail = step.detail ? ` (${step.detail})` : '';
  return step.state === 'running'
    ? `${mark} ${step.label}${detail}...`
    : `${mark} ${step.label}${detail} ${formatElapsed(step.elapsedMs)}`;
}
