/**
 * Processes' CPU and memory on Kubernetes, read from a kubelet summary. The sample has the shape of
 * k8s.io/kubelet/pkg/apis/stats/v1alpha1 `Summary` (types.go: PodStats with podRef and containers,
 * ContainerStats with cpu.usageNanoCores and memory.workingSetBytes); its node part is what this
 * machine's test cluster (kubelet 1.20.2) answered, whose summary lists no pods, so the pods here
 * are written after the same types.
 */
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { usageFromSummary, type Summary } from '../../cluster/kubernetes/usage';

const pod = (namespace: string, name: string, type: string, container: string): k8s.V1Pod => ({
  metadata: { namespace, name, labels: { app: namespace, type } },
  spec: { containers: [{ name: container }] },
});

const summary = {
  node: {
    nodeName: '127.0.0.1',
    cpu: { time: '2026-11-30T14:17:42Z', usageNanoCores: 199981, usageCoreNanoSeconds: 91817183681545 },
  },
  pods: [
    {
      podRef: { name: 'web-web-6c9d-abcde', namespace: 'web', uid: 'u1' },
      startTime: '2026-11-30T14:00:00Z',
      containers: [
        {
          name: 'web-web',
          startTime: '2026-11-30T14:00:01Z',
          cpu: { time: '2026-11-30T14:17:42Z', usageNanoCores: 250_000_000, usageCoreNanoSeconds: 9e9 },
          memory: { time: '2026-11-30T14:17:42Z', usageBytes: 90e6, workingSetBytes: 64e6, rssBytes: 60e6 },
        },
      ],
    },
    {
      // Another instance's pod, and a system pod: not ours.
      podRef: { name: 'other-web-1', namespace: 'other', uid: 'u2' },
      containers: [{ name: 'other-web', cpu: { usageNanoCores: 5 }, memory: { workingSetBytes: 5 } }],
    },
    {
      // Just started: no CPU rate yet.
      podRef: { name: 'web-worker-77aa-fghij', namespace: 'web', uid: 'u3' },
      containers: [{ name: 'web-worker', memory: { workingSetBytes: 1e6 } }],
    },
  ],
} as unknown as Summary;

describe('the kubelet summary read for metrics', () => {
  it('gives the instance’s pods their CPU (percent of one CPU) and working set, and nothing else', () => {
    const mine = new Map([
      ['web/web-web-6c9d-abcde', pod('web', 'web-web-6c9d-abcde', 'web', 'web-web')],
      ['web/web-worker-77aa-fghij', pod('web', 'web-worker-77aa-fghij', 'worker', 'web-worker')],
    ]);
    expect(usageFromSummary(summary, mine)).toEqual([
      { app: 'web', name: 'web-web-6c9d-abcde', type: 'web', cpuPercent: 25, memoryBytes: 64e6 },
      { app: 'web', name: 'web-worker-77aa-fghij', type: 'worker', cpuPercent: null, memoryBytes: 1e6 },
    ]);
  });

  it('gives nothing for a node whose summary could not be read, or lists no pods', () => {
    const mine = new Map([['web/web-web-6c9d-abcde', pod('web', 'web-web-6c9d-abcde', 'web', 'web-web')]]);
    expect(usageFromSummary(undefined, mine)).toEqual([]);
    expect(usageFromSummary({}, mine)).toEqual([]);
  });
});
