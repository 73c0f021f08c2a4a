/**
 * CPU and memory of an instance's processes on a cluster, from the kubelet summary of each node they
 * run on (`/api/v1/nodes/<node>/proxy/stats/summary`, through the API server, as `kubectl top`'s
 * metrics-server reads it; no metrics-server is needed). The summary gives CPU already as a rate
 * (usageNanoCores) and memory as the working set, the same figure `docker stats` shows, so the Docker
 * and Kubernetes charts mean the same. A node whose kubelet cannot be asked (no `nodes/proxy`
 * permission, a node going away) leaves its pods out of that sample.
 */
import type * as k8s from '@kubernetes/client-node';
import {
  K8S_STATS_NODES_MAX,
  K8S_STATS_SUMMARY_MAX_BYTES,
  K8S_STATS_SUMMARY_MS,
} from '../../main/contract/limits';
import type { ProcessUsage } from '../target';
import type { Kube } from './client';
import { kubeGet } from './logs-http';
import { podApp, podTerminating, podType } from './pods';

/** The part of a kubelet summary (k8s.io/kubelet/pkg/apis/stats/v1alpha1 `Summary`) read here. */
export interface Summary {
  pods?: {
    podRef?: { name?: string; namespace?: string };
    containers?: {
      name?: string;
      cpu?: { usageNanoCores?: number };
      memory?: { workingSetBytes?: number };
    }[];
  }[];
}

/** Reads a node's summary whole, within the size limit and the time limit. */
async function readSummary(kube: Kube, node: string): Promise<Summary> {
  const res = await kubeGet(
    kube,
    `/api/v1/nodes/${encodeURIComponent(node)}/proxy/stats/summary`,
    {},
    AbortSignal.timeout(K8S_STATS_SUMMARY_MS),
  );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > K8S_STATS_SUMMARY_MAX_BYTES) {
      res.destroy();
      throw new Error(`the kubelet summary of ${node} is larger than ${K8S_STATS_SUMMARY_MAX_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Summary;
}

/** The usage of `pods` (the instance's process pods, as the target's informer saw them). */
export async function kubeProcessUsage(kube: Kube, pods: Iterable<k8s.V1Pod>): Promise<ProcessUsage[]> {
  /** `namespace/name` → the pod, by the node it runs on. */
  const byNode = new Map<string, Map<string, k8s.V1Pod>>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || podTerminating(pod) || pod.status?.phase !== 'Running') continue;
    if (!byNode.has(node) && byNode.size >= K8S_STATS_NODES_MAX) continue;
    const mine = byNode.get(node) ?? new Map<string, k8s.V1Pod>();
    mine.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, pod);
    byNode.set(node, mine);
  }
  const usage: ProcessUsage[] = [];
  const nodes = [...byNode.entries()];
  // A few nodes at a time: each read holds a summary in memory until it is parsed.
  for (let i = 0; i < nodes.length; i += 4) {
    const summaries = await Promise.all(
      nodes.slice(i, i + 4).map(([node]) => readSummary(kube, node).catch(() => undefined)),
    );
    summaries.forEach((summary, j) => usage.push(...usageFromSummary(summary, nodes[i + j]![1])));
  }
  return usage;
}

/** The processes of `mine` (`namespace/name` → pod) in one node's summary. */
export function usageFromSummary(summary: Summary | undefined, mine: Map<string, k8s.V1Pod>): ProcessUsage[] {
  const usage: ProcessUsage[] = [];
  for (const entry of summary?.pods ?? []) {
    const pod = mine.get(`${entry.podRef?.namespace}/${entry.podRef?.name}`);
    if (!pod) continue;
    const wanted = pod.spec?.containers[0]?.name;
    const c = entry.containers?.find((x) => x.name === wanted);
    if (!c) continue;
    const cores = c.cpu?.usageNanoCores;
    usage.push({
      app: podApp(pod) ?? '',
      name: pod.metadata?.name ?? '',
      type: podType(pod),
      cpuPercent: typeof cores === 'number' ? cores / 1e7 : null,
      memoryBytes: c.memory?.workingSetBytes ?? 0,
    });
  }
  return usage;
}
