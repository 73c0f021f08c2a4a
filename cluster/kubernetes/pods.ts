/**
 * Pods in Deis's words: their process type, release version and state (`up`, `starting`, `crashed`,
 * `down`, `terminating`), and which of them the router may send requests to. Pure.
 */
import type * as k8s from '@kubernetes/client-node';
import type { ProcessInfo, ProcessState } from '../target';
import { LABEL_APP, LABEL_TYPE, LABEL_VERSION } from './names';
import { ANNOTATION_PORT, LABEL_LIVE } from './manifests';

/** Waiting reasons that mean the image cannot be had. */
export const PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
/** Waiting reasons that mean the container cannot start or keeps exiting. */
export const START_FAILURES = new Set([
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

const iso = (d: Date | string | undefined): string => {
  const t = d ? new Date(d) : new Date(0);
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

export const podApp = (pod: k8s.V1Pod): string | undefined => pod.metadata?.labels?.[LABEL_APP];
export const podType = (pod: k8s.V1Pod): string => pod.metadata?.labels?.[LABEL_TYPE] ?? '';
export const podVersion = (pod: k8s.V1Pod): number =>
  Number((pod.metadata?.labels?.[LABEL_VERSION] ?? 'v0').replace(/^v/, '')) || 0;
/** Let go of by its ReplicaSet (a restart): it serves until its replacement is ready, then goes. */
export const podRetiring = (pod: k8s.V1Pod): boolean => pod.metadata?.labels?.[LABEL_LIVE] === 'false';
export const podTerminating = (pod: k8s.V1Pod): boolean => Boolean(pod.metadata?.deletionTimestamp);

export function podReady(pod: k8s.V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The container's state, as the kubelet last reported it. */
export function podContainer(pod: k8s.V1Pod): k8s.V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.[0];
}

export function podState(pod: k8s.V1Pod): ProcessState {
  if (podTerminating(pod)) return 'terminating';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Unknown') return 'down';
  if (phase === 'Failed') return 'crashed';
  const c = podContainer(pod);
  const waiting = c?.state?.waiting?.reason;
  if (waiting && (START_FAILURES.has(waiting) || PULL_FAILURES.has(waiting))) return 'crashed';
  if (c?.state?.terminated) return 'crashed';
  if (phase === 'Running' && podReady(pod)) return 'up';
  return 'starting';
}

export function podInfo(pod: k8s.V1Pod): ProcessInfo {
  const c = podContainer(pod);
  return {
    name: pod.metadata?.name ?? '',
    type: podType(pod),
    version: podVersion(pod),
    state: podState(pod),
    started: iso(c?.state?.running?.startedAt ?? pod.status?.startTime ?? pod.metadata?.creationTimestamp),
  };
}

/** `podIP:port` of a pod, or undefined when it has no address yet. */
export function podUpstream(pod: k8s.V1Pod): string | undefined {
  const ip = pod.status?.podIP;
  const port = pod.metadata?.annotations?.[ANNOTATION_PORT];
  return ip && port ? `${ip}:${port}` : undefined;
}

/**
 * Where the router sends an app's requests: ready pods of the routed type that are not going away,
 * of the release that serves. When none of those is there (its last pods just began to go as the
 * new ones became ready), any ready pod of the type that is not going away, so there is never a
 * moment with no backend while one could answer.
 */
export function upstreamsOf(
  pods: Iterable<k8s.V1Pod>,
  routed: string | undefined,
  serving: number | undefined,
  leaving: ReadonlySet<string> = new Set(),
): string[] {
  if (!routed) return [];
  const candidates = [...pods].filter(
    (p) =>
      podType(p) === routed &&
      podReady(p) &&
      !podTerminating(p) &&
      !leaving.has(p.metadata?.uid ?? '') &&
      podUpstream(p) !== undefined,
  );
  const current = serving === undefined ? [] : candidates.filter((p) => podVersion(p) === serving);
  const chosen = current.length ? current : candidates;
  return [...new Set(chosen.map((p) => podUpstream(p)!))].sort();
}
