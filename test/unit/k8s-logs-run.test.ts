/**
 * The pure rules of the Kubernetes logs and runs: the API server's timestamps as comparable text
 * (kubelet trims trailing zeros, so the raw text does not sort), and the run pod the Docker target's
 * rules give (command, environment, labels, nothing an app process would not get).
 */
import { describe, expect, it } from 'vitest';
import { normalStamp } from '../../cluster/kubernetes/logs';
import { PULL_SECRET } from '../../cluster/kubernetes/names';
import { runPodSpec } from '../../cluster/kubernetes/run';
import type { ReleaseSpec } from '../../cluster/target';

describe('log timestamps', () => {
  it('become fixed-width UTC text that sorts as time', () => {
    expect(normalStamp('2026-11-30T03:04:10.5Z')).toBe('2026-11-30T03:04:10.500000000Z');
    expect(normalStamp('2026-11-30T03:04:10Z')).toBe('2026-11-30T03:04:10.000000000Z');
    expect(normalStamp('2026-11-30T03:04:10.123456789Z')).toBe('2026-11-30T03:04:10.123456789Z');
    expect(normalStamp('2026-11-30T04:04:10.25+01:00')).toBe('2026-11-30T03:04:10.250000000Z');
    // As kubelet writes them, .5 sorts after .123456789 as text; normalised, it sorts as time.
    const raw = ['2026-11-30T03:04:10.5Z', '2026-11-30T03:04:10.123456789Z'];
    expect(raw.map((s) => normalStamp(s)!).sort()).toEqual([
      '2026-11-30T03:04:10.123456789Z',
      '2026-11-30T03:04:10.500000000Z',
    ]);
    for (const bad of ['', 'tick 5', '2026-11-30 03:04:10Z', '2026-11-30T03:04:10.1234567890Z'])
      expect(normalStamp(bad)).toBeUndefined();
  });
});

describe('the run pod', () => {
  const release: ReleaseSpec = {
    app: 'shop',
    version: 7,
    image: 'registry.local/shop@sha256:abc',
    procfile: { web: 'node server.js' },
    dockerfile: false,
    sha: 'deadbeef',
    summary: 'alice deployed deadbeef',
    created: '2026-11-30T03:00:00Z',
    values: { FOO: 'bar', PORT: '8080' },
    memory: {},
    cpu: {},
    healthcheck: {},
  };

  it('runs a buildpack image’s command through /runner/init and a Dockerfile image’s with bash, as on Docker', () => {
    const buildpack = runPodSpec({ instance: 'i' }, release, 'rake db:migrate', 'shop-run-abcde');
    expect(buildpack.spec!.containers[0]).toMatchObject({
      command: ['/runner/init'],
      args: ['bash', '-c', 'rake db:migrate'],
      image: 'registry.local/shop@sha256:abc',
    });
    const dockerfile = runPodSpec(
      { instance: 'i' },
      { ...release, dockerfile: true },
      'ls',
      'shop-run-abcde',
    );
    expect(dockerfile.spec!.containers[0]).toMatchObject({ command: ['/bin/bash', '-c'], args: ['ls'] });
  });

  it('never restarts, pulls with the registry secret, and gets no API token', () => {
    const pod = runPodSpec({ instance: 'i', image: 'r/shop@sha256:1' }, release, 'ls', 'shop-run-abcde');
    expect(pod.metadata).toMatchObject({ name: 'shop-run-abcde', namespace: 'shop' });
    expect(pod.metadata!.labels).toMatchObject({ app: 'shop', version: 'v7', 'deis-desktop/role': 'run' });
    expect(pod.metadata!.labels!.type).toBeUndefined();
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      imagePullSecrets: [{ name: PULL_SECRET }],
    });
    expect(pod.spec!.activeDeadlineSeconds).toBeGreaterThan(20 * 60);
    expect(pod.spec!.containers[0]!.image).toBe('r/shop@sha256:1');
  });

  it('gets the release’s environment as the Docker target sets it, or the target’s Secret', () => {
    const env = runPodSpec({ instance: 'i' }, release, 'env', 'shop-run-abcde').spec!.containers[0]!.env!;
    expect(Object.fromEntries(env.map((e) => [e.name, e.value]))).toEqual({
      DEIS_APP: 'shop',
      WORKFLOW_RELEASE: 'v7',
      WORKFLOW_RELEASE_SUMMARY: 'alice deployed deadbeef',
      WORKFLOW_RELEASE_CREATED_AT: '2026-11-30T03:00:00Z',
      PORT: '8080',
      SOURCE_VERSION: 'deadbeef',
      FOO: 'bar',
    });
    const fromSecret = runPodSpec(
      { instance: 'i', env: { envFrom: [{ secretRef: { name: 'shop-v7-env' } }] } },
      release,
      'env',
      'shop-run-abcde',
    ).spec!.containers[0]!;
    expect(fromSecret.env).toBeUndefined();
    expect(fromSecret.envFrom).toEqual([{ secretRef: { name: 'shop-v7-env' } }]);
  });
});
