/**
 * DEIS_TARGET=kubernetes is read at start: each missing or malformed setting stops the core with a
 * sentence naming it, and the manifests of a release carry Deis's rules (command per image kind,
 * limits, probes, preStop wait, no API token in app pods).
 */
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../main/settings';
import { deploymentManifest, preStopHandler } from '../../cluster/kubernetes/manifests';
import type { ReleaseSpec } from '../../cluster/target';

const base = { DEIS_HOME: '/tmp/deis-k8s-settings-test' };

describe('DEIS_TARGET=kubernetes settings', () => {
  it('takes an SSH bastion (DEIS_KUBE_BASTION, DEIS_KUBE_BASTION_IDENTITY) and refuses a malformed one', () => {
    const k8s = { ...base, DEIS_TARGET: 'kubernetes', DEIS_KUBECONFIG: '/k', DEIS_REGISTRY: 'r:5000' };
    expect(
      readSettings({
        ...k8s,
        DEIS_KUBE_BASTION: 'ssh://ops@bastion.example:2222',
        DEIS_KUBE_BASTION_IDENTITY: '/keys/id',
      }).kubernetes?.kube.bastion,
    ).toEqual({ url: 'ssh://ops@bastion.example:2222', identity: '/keys/id' });
    expect(readSettings(k8s).kubernetes?.kube.bastion).toBeUndefined();
    expect(() => readSettings({ ...k8s, DEIS_KUBE_BASTION: 'bastion.example' })).toThrow(
      'DEIS_KUBE_BASTION "bastion.example" is not an ssh:// address; write it as ssh://user@host[:port].',
    );
    expect(() => readSettings({ ...k8s, DEIS_KUBE_BASTION_IDENTITY: '/keys/id' })).toThrow(
      'DEIS_KUBE_BASTION_IDENTITY is set but DEIS_KUBE_BASTION is not.',
    );
  });

  it('names what is missing', () => {
    expect(() => readSettings({ ...base, DEIS_TARGET: 'kubernetes' })).toThrow(
      'DEIS_TARGET=kubernetes needs DEIS_KUBECONFIG and DEIS_REGISTRY',
    );
    expect(() => readSettings({ ...base, DEIS_TARGET: 'kubernetes', DEIS_KUBECONFIG: '/k' })).toThrow(
      'DEIS_TARGET=kubernetes needs DEIS_REGISTRY:',
    );
    expect(() =>
      readSettings({
        ...base,
        DEIS_TARGET: 'kubernetes',
        DEIS_KUBECONFIG: '/k',
        DEIS_REGISTRY: 'https://r:5000',
      }),
    ).toThrow('DEIS_REGISTRY must be host:port[/prefix] with no scheme, not "https://r:5000".');
    expect(() =>
      readSettings({
        ...base,
        DEIS_TARGET: 'kubernetes',
        DEIS_KUBECONFIG: '/k',
        DEIS_REGISTRY: 'r:5000',
        DEIS_REGISTRY_USERNAME: 'u',
      }),
    ).toThrow('Set both DEIS_REGISTRY_USERNAME and DEIS_REGISTRY_PASSWORD, or neither');
    expect(() => readSettings({ ...base, DEIS_TARGET: 'kubernets' })).toThrow(
      'DEIS_TARGET must be docker or kubernetes, not "kubernets".',
    );
  });

  it('reads the cluster, its context and the registry', () => {
    const s = readSettings({
      ...base,
      DEIS_TARGET: 'kubernetes',
      DEIS_KUBECONFIG: '/etc/kube/config',
      DEIS_KUBE_CONTEXT: 'kind-deis',
      DEIS_REGISTRY: 'registry.example.com:5000/team',
      DEIS_REGISTRY_USERNAME: 'u',
      DEIS_REGISTRY_PASSWORD: 'p',
    });
    expect(s.target).toBe('kubernetes');
    expect(s.kubernetes).toEqual({
      kube: { kubeconfig: '/etc/kube/config', context: 'kind-deis' },
      registry: { address: 'registry.example.com:5000/team', username: 'u', password: 'p' },
    });
    expect(readSettings(base).kubernetes).toBeUndefined();
  });

  it('reads the IngressClass apps also get an Ingress of, and refuses a malformed one', () => {
    const env = { ...base, DEIS_TARGET: 'kubernetes', DEIS_KUBECONFIG: '/k', DEIS_REGISTRY: 'r:5000' };
    expect(readSettings({ ...env, DEIS_KUBE_INGRESS_CLASS: 'nginx' }).kubernetes?.ingressClass).toBe('nginx');
    expect(readSettings(env).kubernetes?.ingressClass).toBeUndefined();
    expect(() => readSettings({ ...env, DEIS_KUBE_INGRESS_CLASS: 'Nginx Public' })).toThrow(
      "DEIS_KUBE_INGRESS_CLASS must name an IngressClass (lowercase letters, digits, '-' and '.'), not \"Nginx Public\".",
    );
  });
});

const release: ReleaseSpec = {
  app: 'shop',
  version: 7,
  image: 'x',
  procfile: { web: 'node server.js', worker: 'node worker.js' },
  dockerfile: false,
  sha: 'abc',
  summary: 'owner changed config',
  created: '2026-01-01T00:00:00Z',
  values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '20' },
  memory: { web: '256M/512M' },
  cpu: { web: '500m' },
  healthcheck: { web: { livenessProbe: { httpGet: { path: '/health' }, periodSeconds: 10 } } },
};

describe('a Deployment of a release', () => {
  const web = deploymentManifest({
    instance: 'i',
    release,
    type: 'web',
    replicas: 2,
    image: 'r:5000/shop@sha256:abc',
    port: 5000,
    routed: 'web',
    preStop: { kind: 'sleep', path: '/bin/sleep' },
    tags: { disk: 'ssd' },
  });
  const pod = web.spec!.template.spec!;
  const c = pod.containers[0]!;

  it('runs a buildpack type through /runner/init with its env from the release Secret', () => {
    expect(web.metadata!.name).toBe('shop-web');
    expect(c.command).toEqual(['/runner/init']);
    expect(c.args).toEqual(['web']);
    expect(c.env!.find((e) => e.name === 'PORT')!.valueFrom!.secretKeyRef).toEqual({
      name: 'shop-v7-env',
      key: 'PORT',
    });
  });

  it('has limits, probes, tags, grace and a preStop wait within it; apps get no API token', () => {
    expect(c.resources).toEqual({
      limits: { memory: String(512 * 1024 ** 2), cpu: '500m' },
      requests: { memory: String(256 * 1024 ** 2) },
    });
    expect(c.readinessProbe).toMatchObject({ tcpSocket: { port: 5000 } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 5000 }, periodSeconds: 10 });
    expect(pod.nodeSelector).toEqual({ disk: 'ssd' });
    expect(pod.terminationGracePeriodSeconds).toBe(20);
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['/bin/sleep', '5'] } } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(web.spec!.strategy!.rollingUpdate!.maxUnavailable).toBe(0);
  });

  it('waits in preStop with bash when the image has no sleep, and not at all with neither or no grace', () => {
    expect(preStopHandler({ kind: 'bash', path: '/bin/bash' }, 30)).toEqual({
      preStop: { exec: { command: ['/bin/bash', '-c', 'read -t 5 <> <(:) || true'] } },
    });
    expect(preStopHandler({ kind: 'none' }, 30)).toBeUndefined();
    expect(preStopHandler({ kind: 'sleep', path: '/bin/sleep' }, 1)).toBeUndefined();
  });

  it('gives a worker no port and no readiness check of its own', () => {
    const worker = deploymentManifest({
      instance: 'i',
      release,
      type: 'worker',
      replicas: 1,
      image: 'r:5000/shop@sha256:abc',
      port: 5000,
      routed: 'web',
      preStop: { kind: 'none' },
    }).spec!.template.spec!.containers[0]!;
    expect(worker.ports).toBeUndefined();
    expect(worker.readinessProbe).toBeUndefined();
  });
});
