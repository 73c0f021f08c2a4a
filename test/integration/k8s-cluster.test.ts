/**
 * The test cluster is a real Kubernetes: an image built with Docker and pushed to the registry with
 * basic auth is pulled by the cluster with an imagePullSecret (and refused without it), kubelet runs
 * its HTTP readiness probe, the host reaches it through a ClusterIP Service and a NodePort on
 * 127.0.0.1, and logs and exec go through the API server.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';

const cluster = await clusterForTests('k8s-cluster', { registry: true, kubectl: true });

interface Pod {
  metadata: { name: string };
  status: {
    podIP?: string;
    containerStatuses?: Array<{ ready: boolean; state: { waiting?: { reason?: string; message?: string } } }>;
  };
}

/** One GET on a connection of its own, so every request is balanced anew. */
function getFresh(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 4096 - body.length)));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer in 10 s`)));
    req.on('error', reject);
  });
}

describe.skipIf(!cluster)('the test cluster', () => {
  const ns = `deis-smoke-${crypto.randomBytes(3).toString('hex')}`;
  const greeting = `hi-${crypto.randomBytes(3).toString('hex')}`;
  let kubectl: Kubectl;
  let image: string;
  let dockerConfig: string;

  beforeAll(async () => {
    kubectl = kubectlFor(cluster!.kubeconfig);
    const registry = cluster!.registry!;
    await ensureBaseImage();
    // A login of our own: the user's ~/.docker/config.json is never written.
    dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-k8s-docker-'));
    const tag = `${registry.address}/deis-test/hello:${greeting}`;
    const docker = (args: string[], input?: string) =>
      execFileSync('docker', ['--config', dockerConfig, ...args], {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    docker([
      'build',
      '-q',
      '--build-arg',
      `BASE=${BASE_IMAGE}`,
      '-t',
      tag,
      path.resolve('test/fixtures/apps/k8s-hello'),
    ]);
    docker(
      ['login', '--username', registry.username, '--password-stdin', registry.address],
      registry.password,
    );
    docker(['push', '-q', tag]);
    // The cluster pulls by digest, as releases will.
    image = docker(['inspect', '--format', '{{index .RepoDigests 0}}', tag]).trim();
    docker(['rmi', tag]);

    await kubectl(['create', 'namespace', ns]);
    await kubectl([
      'create',
      'secret',
      'docker-registry',
      'registry',
      `--namespace=${ns}`,
      `--docker-server=${registry.address}`,
      `--docker-username=${registry.username}`,
      `--docker-password=${registry.password}`,
    ]);
    await kubectl(['apply', '-f', '-'], JSON.stringify(manifests(ns, image, greeting)));
    await kubectl(['rollout', 'status', `--namespace=${ns}`, 'deployment/hello', '--timeout=150s']);
  }, 600_000);

  afterAll(async () => {
    if (dockerConfig) fs.rmSync(dockerConfig, { recursive: true, force: true });
    await kubectl?.(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    await cluster?.release();
  }, 180_000);

  const pods = async () =>
    (await kubectl.json<{ items: Pod[] }>(['get', 'pods', `--namespace=${ns}`, '-l', 'app=hello'])).items;

  it('runs the pushed image, ready by the HTTP probe kubelet executes', async () => {
    const running = await pods();
    expect(running).toHaveLength(2);
    for (const pod of running) expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
    // Only kubelet asks for /healthz: the pod's own log shows the probe arriving.
    const logs = await kubectl(['logs', `--namespace=${ns}`, running[0]!.metadata.name]);
    expect(logs).toMatch(/request: GET \/healthz HTTP\/1\.1/);
  });

  it('answers the host through its ClusterIP, a NodePort on 127.0.0.1 and its pod IPs', async (ctx) => {
    if (!cluster!.hostRouted) ctx.skip(); // a cluster of your own is not routed from this host
    const service = await kubectl.json<{ spec: { clusterIP: string; ports: Array<{ nodePort: number }> } }>([
      'get',
      'service',
      `--namespace=${ns}`,
      'hello',
    ]);
    // kube-proxy balances across both pods. It programs a new endpoint a moment after the pod turns
    // ready (until the first one, it refuses connections to the Service), so ask on fresh connections
    // until both have answered (or the time runs out).
    const answers = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (answers.size < 2 && Date.now() < deadline) {
      const text = await getFresh(`http://${service.spec.clusterIP}/`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNREFUSED' || answers.size > 0 || Date.now() > deadline) throw err;
        return undefined;
      });
      if (text === undefined) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      expect(text).toMatch(new RegExp(`^hello from hello-\\S+ ${greeting}\\n$`));
      answers.add(text);
    }
    expect([...answers].sort()).toEqual(
      (await pods()).map((p) => `hello from ${p.metadata.name} ${greeting}\n`).sort(),
    );
    const viaNodePort = await (await fetch(`http://127.0.0.1:${service.spec.ports[0]!.nodePort}/`)).text();
    expect(viaNodePort).toContain(greeting);
    for (const pod of await pods()) {
      expect(await (await fetch(`http://${pod.status.podIP}:8080/`)).text()).toBe(
        `hello from ${pod.metadata.name} ${greeting}\n`,
      );
    }
  }, 120_000);

  it('streams logs and runs exec through the API server', async () => {
    const [pod] = await pods();
    const out = await kubectl([
      'exec',
      `--namespace=${ns}`,
      pod!.metadata.name,
      '--',
      'sh',
      '-c',
      'echo "$HOSTNAME:$GREETING"; exit 0',
    ]);
    expect(out).toBe(`${pod!.metadata.name}:${greeting}\n`);
    const logs = await kubectl(['logs', `--namespace=${ns}`, pod!.metadata.name]);
    expect(logs.split('\n')[0]).toBe('listening on 8080');
  });

  it('refuses the image to a pod without the pull secret', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(podWithoutSecret(ns, image)));
    const reason = await eventually('the pull to fail', async () => {
      const pod = await kubectl.json<Pod>(['get', 'pod', `--namespace=${ns}`, 'no-secret']);
      const waiting = pod.status.containerStatuses?.[0]?.state.waiting;
      return waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff'
        ? waiting
        : undefined;
    });
    expect(reason.message ?? '').toMatch(/401|unauthorized|authorization/i);
  });
});

function manifests(ns: string, image: string, greeting: string) {
  const labels = { app: 'hello' };
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'hello', namespace: ns },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              imagePullSecrets: [{ name: 'registry' }],
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'web',
                  image,
                  env: [{ name: 'GREETING', value: greeting }],
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2 },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'hello', namespace: ns },
        spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ],
  };
}

function podWithoutSecret(ns: string, image: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'no-secret', namespace: ns },
    // Always: the node has the image already, and only a pull is checked against the registry.
    spec: {
      containers: [{ name: 'web', image, imagePullPolicy: 'Always' }],
      terminationGracePeriodSeconds: 1,
    },
  };
}
