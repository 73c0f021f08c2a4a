/**
 * Waits for Deployments to be rolled out: their newest ReplicaSet has every pod available. It
 * reports what the pods do (scheduled, pulling, ready n/m) and fails early, as the Docker target
 * does, with the pod's last log lines: an image that cannot be pulled (`image_missing`), a container
 * that exits while starting or loops (`crashed`), a pod not ready within the deploy timeout
 * (`not_ready`).
 */
import type * as k8s from '@kubernetes/client-node';
import {
  K8S_LOG_TAIL_LINES,
  K8S_POLL_MS,
  K8S_PULL_FAILURE_MS,
  K8S_SCHEDULE_PULL_ALLOWANCE_MS,
} from '../../main/contract/limits';
import { TargetError, type Progress } from '../target';
import { apiReason, orMissing, type Kube } from './client';
import { LABEL_APP, LABEL_TYPE } from './names';
import { LABEL_LIVE } from './manifests';
import { PULL_FAILURES, START_FAILURES, podContainer, podReady, podTerminating } from './pods';

const REVISION = 'deployment.kubernetes.io/revision';
const TEMPLATE_HASH = 'pod-template-hash';

export interface RolloutTarget {
  name: string;
  type: string;
  replicas: number;
}

export interface RolloutOptions {
  namespace: string;
  app: string;
  deployments: RolloutTarget[];
  /** DEIS_DEPLOY_TIMEOUT: how long a started container may take to be ready. */
  timeoutMs: number;
  progress: Progress;
  /** Pods created before this (ms) are not new: earlier restarts do not count against them. */
  since: number;
  /** Aborted when the wait no longer matters. */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });

/** The last log lines of a pod's container (of its previous run when it restarted). */
export async function podLogLines(kube: Kube, pod: k8s.V1Pod, previous: boolean): Promise<string[]> {
  try {
    const text = await kube.core.readNamespacedPodLog({
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      tailLines: K8S_LOG_TAIL_LINES,
      previous,
      limitBytes: 64 * 1024,
    });
    return String(text)
      .split(/\r?\n/)
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** Whether a pod's container has been running long enough to count as started without a probe. */
function settled(pod: k8s.V1Pod): boolean {
  const running = podContainer(pod)?.state?.running?.startedAt;
  return running !== undefined && Date.now() - new Date(running).getTime() >= 1000;
}

/**
 * Throws when a new pod has failed in a way waiting will not mend. A failed pull counts once it
 * failed for K8S_PULL_FAILURE_MS: the kubelet may try a first pull before it has the namespace's
 * new imagePullSecret, and its next try succeeds.
 */
async function checkPod(
  kube: Kube,
  pod: k8s.V1Pod,
  timeoutMs: number,
  pulls: Map<string, number>,
): Promise<void> {
  const name = pod.metadata?.name ?? '';
  const c = podContainer(pod);
  if (!c) return;
  const waiting = c.state?.waiting;
  const pullFailed = waiting?.reason !== undefined && PULL_FAILURES.has(waiting.reason);
  // The kubelet retries these too ("failed to sync secret cache" on a busy node): they count once
  // they lasted as long as a failed pull must.
  const createFailed =
    waiting?.reason === 'CreateContainerConfigError' || waiting?.reason === 'CreateContainerError';
  if (!pullFailed && !createFailed) pulls.delete(name);
  else if (!pulls.has(name)) pulls.set(name, Date.now());
  if (pullFailed && Date.now() - pulls.get(name)! >= K8S_PULL_FAILURE_MS)
    throw new TargetError(
      'image_missing',
      `${name} cannot pull its image ${c.image}: ${waiting!.message ?? waiting!.reason}`,
    );
  const terminated = c.state?.terminated ?? c.lastState?.terminated;
  if (terminated || (c.restartCount ?? 0) > 0 || waiting?.reason === 'CrashLoopBackOff') {
    const code = terminated?.exitCode;
    throw new TargetError(
      'crashed',
      `${name} exited${code ? ` with code ${code}` : ''} while starting`,
      await podLogLines(kube, pod, !c.state?.terminated && (c.restartCount ?? 0) > 0),
    );
  }
  if (
    waiting?.reason &&
    START_FAILURES.has(waiting.reason) &&
    (!createFailed || Date.now() - pulls.get(name)! >= K8S_PULL_FAILURE_MS)
  )
    throw new TargetError('crashed', `${name} cannot start: ${waiting.message ?? waiting.reason}`);
  const started = c.state?.running?.startedAt;
  if (started && !podReady(pod) && Date.now() - new Date(started).getTime() > timeoutMs)
    throw new TargetError(
      'not_ready',
      `${name} was not ready within ${Math.round(timeoutMs / 1000)} seconds`,
      await podLogLines(kube, pod, false),
    );
}

/** Why a pod is not running yet, in a few words, for the timeout message. */
function pendingReason(pod: k8s.V1Pod): string {
  const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled) return `it could not be scheduled: ${unscheduled.message ?? unscheduled.reason}`;
  const waiting = podContainer(pod)?.state?.waiting;
  if (waiting) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  return `it is ${pod.status?.phase ?? 'pending'}`;
}

/** The newest ReplicaSet of a Deployment (the one its revision names), once the controller made it. */
async function newReplicaSet(kube: Kube, d: k8s.V1Deployment): Promise<k8s.V1ReplicaSet | undefined> {
  const revision = d.metadata?.annotations?.[REVISION];
  if (!revision) return undefined;
  const labels = d.spec?.selector?.matchLabels ?? {};
  const list = await kube.apps.listNamespacedReplicaSet({
    namespace: d.metadata!.namespace!,
    labelSelector: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  });
  return list.items.find(
    (rs) =>
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid),
  );
}

/** Resolves when every Deployment's newest ReplicaSet has all its pods available; throws TargetError otherwise. */
export async function waitRollout(kube: Kube, o: RolloutOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs + K8S_SCHEDULE_PULL_ALLOWANCE_MS;
  const said = new Map<string, string>();
  const say = (key: string, message: string) => {
    if (said.get(key) === message) return;
    said.set(key, message);
    o.progress({ kind: 'step', message });
  };
  const podStates = new Map<string, string>();
  const pulls = new Map<string, number>();
  let pending = o.deployments.filter((d) => d.replicas > 0);
  // Deployments scaled to 0 are done once the controller saw them.
  while (pending.length) {
    if (o.signal?.aborted) throw new TargetError('not_ready', `${o.app}: no longer waited for`);
    const still: RolloutTarget[] = [];
    for (const want of pending) {
      const d = await orMissing(
        kube.apps.readNamespacedDeployment({ name: want.name, namespace: o.namespace }),
      );
      if (!d) throw new TargetError('setup', `The Deployment ${want.name} went away during the rollout.`);
      const rs =
        (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
          ? await newReplicaSet(kube, d)
          : undefined;
      const hash = rs?.metadata?.labels?.[TEMPLATE_HASH];
      const refused = rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
      if (refused)
        throw new TargetError(
          'setup',
          `The cluster refused the pods of ${want.name}: ${refused.message ?? refused.reason}`,
        );
      if (!rs || !hash) {
        if (Date.now() > deadline)
          throw new TargetError('not_ready', `${want.name} got no ReplicaSet from the cluster in time.`);
        still.push(want);
        continue;
      }
      const pods = (
        await kube.core.listNamespacedPod({
          namespace: o.namespace,
          labelSelector: `${LABEL_APP}=${o.app},${LABEL_TYPE}=${want.type},${LABEL_LIVE}=true,${TEMPLATE_HASH}=${hash}`,
        })
      ).items.filter((p) => !podTerminating(p));
      let ready = 0;
      for (const pod of pods) {
        const name = pod.metadata?.name ?? '';
        const fresh = new Date(pod.metadata?.creationTimestamp ?? 0).getTime() >= o.since - 1000;
        if (fresh) await checkPod(kube, pod, o.timeoutMs, pulls);
        const probed = pod.spec?.containers?.[0]?.readinessProbe !== undefined;
        const isReady = podReady(pod) && (probed || !fresh || settled(pod));
        if (isReady) ready++;
        const state = isReady ? 'up' : 'starting';
        if (podStates.get(name) !== state) {
          podStates.set(name, state);
          o.progress({ kind: 'process', name, type: want.type, state });
        }
        const waiting = podContainer(pod)?.state?.waiting?.reason;
        if (waiting === 'ContainerCreating' && !said.has(`pull:${name}`))
          say(`pull:${name}`, `${name}: scheduled, pulling the image and starting`);
      }
      say(`ready:${want.type}`, `${want.type}: ${Math.min(ready, want.replicas)}/${want.replicas} ready`);
      const available = rs.status?.availableReplicas ?? 0;
      if (available >= want.replicas && ready >= want.replicas) continue;
      if (Date.now() > deadline) {
        const late = pods.find((p) => !podReady(p));
        throw new TargetError(
          'not_ready',
          late
            ? `${late.metadata?.name} was not ready within ${Math.round((o.timeoutMs + K8S_SCHEDULE_PULL_ALLOWANCE_MS) / 1000)} seconds: ${pendingReason(late)}`
            : `${want.name} did not get its ${want.replicas} pod(s) within ${Math.round((o.timeoutMs + K8S_SCHEDULE_PULL_ALLOWANCE_MS) / 1000)} seconds`,
          late ? await podLogLines(kube, late, false) : [],
        );
      }
      still.push(want);
    }
    pending = still;
    if (pending.length) await sleep(K8S_POLL_MS, o.signal);
  }
}

/** A one-line reason for a failed API call, for TargetError messages. */
export function callFailed(what: string, err: unknown): TargetError {
  if (err instanceof TargetError) return err;
  return new TargetError('setup', `${what}: ${apiReason(err)}`);
}
