/**
 * `deis run` on Kubernetes: a bare Pod `<app>-run-<5 chars>` in the app's namespace with
 * `restartPolicy: Never`, the release's image (by digest, with the registry's pull secret) and
 * environment, and the command run as the Docker target runs it (buildpack images through
 * `/runner/init`, Dockerfile images with bash). Its output goes to `io.output` as it comes; the
 * answer holds its end (MAX_RUN_OUTPUT_CHARS) and its exit code; the pod is deleted afterwards in
 * every case — done, failed, timed out, or abandoned by the client.
 *
 * The output is read by following the container's log from its start, not by attaching: an attach
 * can only be made once the container runs, and a quick command (`printf %s 5`) has written and
 * exited by then — its output is gone, and attaching to an exited container fails. The log holds
 * every byte from the first one (a last line without a newline too), so following it from the start
 * misses nothing whenever it is opened, and still streams while the command runs. The log is read
 * without timestamps, byte for byte as written; a stream that breaks is opened again and the bytes
 * already passed on are skipped, and once the container has stopped one more read from the start
 * picks up anything written after the follow ended (kubelet ends a follow when the container stops,
 * which can be a moment before its last bytes reach the file).
 */
import { StringDecoder } from 'node:string_decoder';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { K8S_RUN_START_TIMEOUT_MS, MAX_RUN_OUTPUT_CHARS } from '../../main/contract/limits';
import { appPort, processEnv, runCommand } from '../docker/process-spec';
import { podSuffix } from '../docker/labels';
import { OutputTail } from '../output-tail';
import { TargetError, type ReleaseSpec, type RunIo, type RunResult } from '../target';
import { apiReason, apiStatus, type Kube } from './client';
import { kubeGet } from './logs-http';
import {
  HERITAGE,
  LABEL_APP,
  LABEL_HERITAGE,
  LABEL_VERSION,
  PULL_SECRET,
  namespaceFor,
  ownLabels,
  selector,
  versionLabel,
} from './names';

/** Deis waits up to 20 minutes for a run pod; the Docker target kills its run container then too. */
export const RUN_TIMEOUT_MS = 20 * 60 * 1000;
/** How often the pod's state is asked for while it starts and after its output ended. */
const POLL_MS = 250;
/** How long a follow that ended waits for the container's state to say it stopped (kubelet reports it within seconds). */
const SETTLE_MS = 5000;
/** Exit code of a command that was killed (the client left, the time ran out, the pod was removed): SIGKILL's, as on Docker. */
const KILLED = 137;

/** Waiting reasons of a container that will not start by waiting longer. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export interface KubeRunOptions {
  kube: Kube;
  /** DEIS_INSTANCE: the pod carries this installation's labels (and is removed by removeRunPods). */
  instance: string;
  /** The image the cluster pulls, `<registry>/<app>@sha256:…`; the release's own `image` when absent. */
  image?: string;
  /** The imagePullSecret in the app's namespace; PULL_SECRET by default, `null` for none. */
  pullSecret?: string | null;
  /**
   * Where the environment comes from: the target's Secret of the release (`envFrom` or `env` with
   * `secretKeyRef`s, as its Deployments use it). Absent: the release's values as plain variables,
   * exactly as the Docker target sets them (processEnv).
   */
  env?: Pick<V1Container, 'env' | 'envFrom'>;
  /** The command is killed (exit code 137) after running this long; RUN_TIMEOUT_MS by default. */
  timeoutMs?: number;
  /** A pod not running after this long fails; K8S_RUN_START_TIMEOUT_MS by default. */
  startTimeoutMs?: number;
}

/** The run pod's name: `<app>-run-<5 chars>`, as Deis named it. */
export const runPodName = (app: string): string => `${app}-run-${podSuffix()}`;

/** The pod of a one-off command (exported for tests and for what the target may want to show). */
export function runPodSpec(
  options: Pick<KubeRunOptions, 'instance' | 'image' | 'pullSecret' | 'env' | 'timeoutMs' | 'startTimeoutMs'>,
  release: ReleaseSpec,
  command: string,
  name: string,
): V1Pod {
  const { entrypoint, cmd } = runCommand(release, command);
  const env = options.env ?? {
    env: Object.entries(processEnv(release, appPort(release))).map(([k, v]) => ({ name: k, value: v })),
  };
  const pullSecret = options.pullSecret === undefined ? PULL_SECRET : options.pullSecret;
  const timeoutMs = options.timeoutMs ?? RUN_TIMEOUT_MS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: namespaceFor(release.app),
      labels: {
        ...ownLabels(options.instance, 'run'),
        [LABEL_APP]: release.app,
        [LABEL_VERSION]: versionLabel(release.version),
        [LABEL_HERITAGE]: HERITAGE,
      },
    },
    spec: {
      restartPolicy: 'Never',
      // The cluster ends it even when the core that started it is gone.
      activeDeadlineSeconds:
        Math.ceil((timeoutMs + (options.startTimeoutMs ?? K8S_RUN_START_TIMEOUT_MS)) / 1000) + 60,
      // A one-off command of an app reaches nothing the app's processes do not: no API token, no
      // variables naming the namespace's Services (Docker's run has neither).
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      containers: [
        {
          name: `${release.app}-run`.slice(0, 63).replace(/-+$/, ''),
          image: options.image ?? release.image!,
          ...(entrypoint ? { command: entrypoint } : {}),
          ...(cmd ? { args: cmd } : {}),
          ...env,
        },
      ],
    },
  };
}

type Stop = 'aborted' | 'timeout' | undefined;

/**
 * Runs `command` in a pod of `release` and returns its exit code and the end of its output, handing
 * every piece of output to `io.output` in order as it comes (a promise it returns holds the reading
 * back). Throws TargetError when the pod cannot be made or cannot start (a bad image: `image_missing`
 * with the cluster's reason). Aborting `io.signal` or running past the timeout deletes the pod and
 * answers 137, as the Docker target's kill does.
 */
export async function runPod(
  options: KubeRunOptions,
  release: ReleaseSpec,
  command: string,
  io: RunIo = {},
): Promise<RunResult> {
  if (!release.image && !options.image)
    throw new TargetError('invalid', 'No build associated with this release to run this command');
  // The client left before anything ran: nothing to make, nothing to remove.
  if (io.signal?.aborted) return { exitCode: KILLED, output: '' };
  const { kube } = options;
  const ns = namespaceFor(release.app);
  const name = runPodName(release.app);
  const pod = runPodSpec(options, release, command, name);
  const container = pod.spec!.containers[0]!.name;
  try {
    await kube.core.createNamespacedPod({ namespace: ns, body: pod });
  } catch (err) {
    if (apiStatus(err) === 404)
      throw new TargetError(
        'invalid',
        `${release.app} has no namespace on the cluster yet; deploy it before running a command.`,
      );
    throw new TargetError('unavailable', `The cluster refused the pod for the command: ${apiReason(err)}`);
  }

  const stop = new AbortController();
  const end = (why: Stop) => {
    if (!stop.signal.aborted) stop.abort(why);
  };
  const onAbort = () => end('aborted');
  io.signal?.addEventListener('abort', onAbort);
  if (io.signal?.aborted) end('aborted');
  let timer: NodeJS.Timeout | undefined;
  const tail = new OutputTail(MAX_RUN_OUTPUT_CHARS);
  const decoder = new StringDecoder('utf8');
  const pass = async (text: string) => {
    if (text === '') return;
    tail.append(text);
    try {
      await io.output?.(text);
    } catch {
      // The receiver is gone (its connection closed): the command is stopped as when it aborts.
      end('aborted');
    }
  };
  try {
    const started = await waitStarted(
      kube,
      ns,
      name,
      options.startTimeoutMs ?? K8S_RUN_START_TIMEOUT_MS,
      stop.signal,
    );
    if (!started) return { exitCode: KILLED, output: tail.text() };
    // The command's own time starts when it runs (its start has a limit of its own).
    timer = setTimeout(() => end('timeout'), options.timeoutMs ?? RUN_TIMEOUT_MS);
    // Bytes of the log already passed on: a stream opened again skips them.
    let delivered = 0;
    const readLog = async (follow: boolean) => {
      const res = await kubeGet(
        kube,
        `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/log`,
        { container, follow },
        stop.signal,
      );
      let skip = delivered;
      let total = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        const piece = skip > 0 ? chunk.subarray(skip) : chunk;
        skip = 0;
        delivered += piece.length;
        await pass(decoder.write(piece));
      }
      return total;
    };
    let exitCode: number | undefined;
    let gone = false;
    while (!stop.signal.aborted && exitCode === undefined && !gone) {
      let ended = false;
      try {
        await readLog(true);
        ended = true;
      } catch {
        /* the stream broke: opened again below unless the command is over */
      }
      // kubelet ends a follow when the container stops; its state says so a moment later. A
      // stream that broke, or a container still running after that moment, is followed again.
      const settle = Date.now() + (ended ? SETTLE_MS : 0);
      for (;;) {
        const state = await podState(kube, ns, name);
        gone = state.gone;
        exitCode = state.exitCode;
        if (gone || exitCode !== undefined || stop.signal.aborted || Date.now() >= settle) break;
        await pause(POLL_MS, stop.signal);
      }
    }
    if (exitCode === undefined || stop.signal.aborted) {
      await pass(decoder.end());
      return { exitCode: KILLED, output: tail.text() };
    }
    // What the follow may have ended short of: read once more, from the start, past what came.
    let rotated = false;
    try {
      rotated = (await readLog(false)) < delivered;
    } catch {
      /* the pod went away: what came is all there is */
    }
    await pass(decoder.end());
    // kubelet rotated the log past its size limit (10 MiB by default) while the command wrote it:
    // its follow can drop what was written at that moment, and nothing older is there to compare.
    if (rotated)
      await pass(
        `${tail.text().endsWith('\n') || delivered === 0 ? '' : '\n'}[the cluster rotated this command's log while it ran (more than its log size limit); output written at that moment may be missing]\n`,
      );
    return { exitCode, output: tail.text() };
  } finally {
    clearTimeout(timer);
    io.signal?.removeEventListener('abort', onAbort);
    await deletePod(kube, ns, name);
  }
}

interface PodState {
  gone: boolean;
  running: boolean;
  exitCode?: number;
  /** The cluster's reason it will not start. */
  failure?: TargetError;
  /** Why it is not running yet, for the start timeout's message. */
  pending?: string;
}

async function podState(kube: Kube, ns: string, name: string): Promise<PodState> {
  let pod: V1Pod;
  try {
    pod = await kube.core.readNamespacedPod({ namespace: ns, name });
  } catch (err) {
    if (apiStatus(err) === 404) return { gone: true, running: false };
    return { gone: false, running: false, pending: `the API server did not answer (${apiReason(err)})` };
  }
  const status = pod.status?.containerStatuses?.[0];
  const terminated = status?.state?.terminated;
  if (terminated) return { gone: false, running: false, exitCode: terminated.exitCode };
  if (status?.state?.running) return { gone: false, running: true };
  const waiting = status?.state?.waiting;
  const reason = waiting?.reason ?? '';
  const detail = waiting?.message ? `: ${waiting.message}` : '';
  if (IMAGE_FAILURES.has(reason))
    return {
      gone: false,
      running: false,
      failure: new TargetError(
        'image_missing',
        `The command could not start: the cluster cannot pull its image (${reason}${detail}).`,
      ),
    };
  if (CONFIG_FAILURES.has(reason))
    return {
      gone: false,
      running: false,
      failure: new TargetError('invalid', `The command could not start: ${reason}${detail}.`),
    };
  // Evicted, or stopped by its deadline before it ran.
  if (pod.status?.phase === 'Failed')
    return {
      gone: false,
      running: false,
      failure: new TargetError(
        'crashed',
        `The command's pod failed before it ran: ${pod.status.reason ?? 'Failed'}${pod.status.message ? `: ${pod.status.message}` : ''}.`,
      ),
    };
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const pending = unscheduled
    ? `it cannot be scheduled (${unscheduled.message ?? unscheduled.reason ?? 'no reason given'})`
    : reason
      ? `it is ${reason}${detail}`
      : 'it is still being created';
  return { gone: false, running: false, pending };
}

/** Waits until the container runs or has run; false when stopped first; throws when it cannot start. */
async function waitStarted(
  kube: Kube,
  ns: string,
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last: PodState | undefined;
  while (!signal.aborted) {
    last = await podState(kube, ns, name);
    if (last.failure) throw last.failure;
    if (last.gone) return false;
    if (last.running || last.exitCode !== undefined) return true;
    if (Date.now() > deadline)
      throw new TargetError(
        'not_ready',
        `The command's pod did not start within ${Math.round(timeoutMs / 1000)} seconds: ${last.pending ?? 'no reason given'}.`,
      );
    await pause(POLL_MS, signal);
  }
  return false;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function deletePod(kube: Kube, namespace: string, name: string): Promise<void> {
  try {
    await kube.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  } catch {
    /* gone already; or the cluster is away, and the pod's deadline and removeRunPods end it */
  }
}

/**
 * Deletes this installation's run pods (all, or one app's): on start, what a core killed during a
 * `deis run` left behind, as the Docker target removes its run containers.
 */
export async function removeRunPods(kube: Kube, instance: string, app?: string): Promise<number> {
  const labelSelector = selector(instance, 'run', app ? { [LABEL_APP]: app } : {});
  const list = app
    ? await kube.core.listNamespacedPod({ namespace: namespaceFor(app), labelSelector })
    : await kube.core.listPodForAllNamespaces({ labelSelector });
  await Promise.all(list.items.map((p) => deletePod(kube, p.metadata!.namespace!, p.metadata!.name!)));
  return list.items.length;
}
