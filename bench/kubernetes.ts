/**
 * The Kubernetes target on the test cluster (`npm run bench` with BENCH_ONLY=kubernetes, or as part
 * of a full run when a cluster is there): a warm `git push` of a one-line change until the new
 * release answers through the router in the cluster, against the same work done by hand — `docker
 * build`, `docker push` to the registry, `kubectl apply` of an equivalent Deployment (by digest, with
 * the pull secret) and its first answer on the pod's address; and failed requests through the router
 * under steady load through rounds of config change, scale-down and rollback.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Api, startTestCore } from '../test/support/core';
import { repoFromFixture } from '../test/support/git';
import { BASE_IMAGE, ensureStackImage } from '../test/support/images';
import { ensureTestCluster } from '../test/support/k8s';
import { kubectlAvailable, kubectlFor } from '../test/support/k8s/kubectl';
import { Pusher } from '../test/support/push';
import { Load, sleep, viaRouter } from '../test/support/run-stage';
import { changeOneLine, LATENCY_FIXTURE, median } from './deploy-latency';

const ratio = (a: number, b: number) => (a / b).toFixed(2);

async function until(check: () => Promise<boolean>, what: string, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function benchKubernetes(rounds = 3, loadRounds = 10): Promise<void> {
  if (!kubectlAvailable()) return console.log('kubernetes: skipped, kubectl is not installed');
  const ensured = await ensureTestCluster();
  const cluster = ensured.cluster;
  if (!cluster?.registry || !cluster.hostRouted)
    return console.log(
      `kubernetes: skipped, ${ensured.reason ?? 'the cluster is not routed from this host'}`,
    );
  await ensureStackImage();
  const kubectl = kubectlFor(cluster.kubeconfig);
  const instance = `dd-bench-k8s-${process.pid}`;
  const app = 'bench-k8s';
  const hand = `bench-hand-${process.pid}`;
  const registry = cluster.registry;
  const t = await startTestCore({
    target: 'kubernetes',
    kubernetes: { kube: { kubeconfig: cluster.kubeconfig }, registry: { ...registry } },
    instance,
    routerBase: BASE_IMAGE,
  });
  const pusher = new Pusher(t.core.builderPort, 'bench');
  const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bench-docker-'));
  try {
    const api = await new Api(t.url).register('bench');
    await pusher.addKeyTo(api);
    await api.post('/v2/apps/', { id: app });
    await api.post(`/v2/apps/${app}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' },
    });
    const work = repoFromFixture(LATENCY_FIXTURE).dir;
    const routerPort = async () =>
      Number(new URL(((await api.get('/v2/desktop/info/')).body as { router_url: string }).router_url).port);

    const ours = async (): Promise<number> => {
      changeOneLine(work);
      const started = Date.now();
      const r = await pusher.push(work, app);
      if (r.code !== 0) throw new Error(`push failed: ${r.output}`);
      const list = (await api.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number }[] };
      const version = list.results[0]!.version;
      const port = await routerPort();
      await until(
        async () => (await viaRouter(port, `${app}.localhost`)).body.includes(`from v${version} `),
        `v${version} through the router`,
      );
      return Date.now() - started;
    };

    // By hand: the same image pushed by digest and run by a Deployment with the pull secret.
    await kubectl(['create', 'namespace', hand]);
    await kubectl([
      'create',
      'secret',
      'docker-registry',
      'registry',
      `--namespace=${hand}`,
      `--docker-server=${registry.address}`,
      `--docker-username=${registry.username}`,
      `--docker-password=${registry.password}`,
    ]);
    // A login of its own: the user's ~/.docker/config.json is left alone.
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    execFileSync('docker', ['login', '-u', registry.username, '--password-stdin', registry.address], {
      input: registry.password,
      stdio: ['pipe', 'ignore', 'ignore'],
      env,
    });
    let generation = 0;
    const byHand = async (): Promise<number> => {
      changeOneLine(work);
      const started = Date.now();
      const tag = `${registry.address}/${hand}:${++generation}`;
      execFileSync('docker', ['build', '-q', '-t', tag, work], { stdio: 'ignore', env });
      const pushed = execFileSync('docker', ['push', tag], { encoding: 'utf8', env });
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
      if (!digest) throw new Error(`no digest in: ${pushed}`);
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: hand },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          strategy: { rollingUpdate: { maxUnavailable: 0 } },
          template: {
            metadata: { labels: { app: 'web', generation: String(generation) } },
            spec: {
              imagePullSecrets: [{ name: 'registry' }],
              containers: [
                {
                  name: 'web',
                  image: `${registry.address}/${hand}@${digest}`,
                  env: [{ name: 'PORT', value: '5000' }],
                  readinessProbe: { tcpSocket: { port: 5000 }, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      };
      await kubectl(['apply', '-f', '-'], JSON.stringify(deployment));
      await until(async () => {
        const pods = await kubectl.json<{
          items: { metadata: { labels: Record<string, string> }; status: { podIP?: string } }[];
        }>(['-n', hand, 'get', 'pods', '-l', `generation=${generation}`, '-o', 'json']);
        const ip = pods.items[0]?.status.podIP;
        return !!ip && (await fetch(`http://${ip}:5000/`)).status === 200;
      }, 'the hand-made pod');
      return Date.now() - started;
    };

    await ours(); // first push: builds and pushes everything once
    await byHand();
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      a.push(await ours());
      b.push(await byHand());
    }
    console.log(
      `warm push on Kubernetes: ours ${median(a)} ms (${a.join(', ')}), docker build + push + kubectl apply ${median(b)} ms (${b.join(', ')}), ratio ${ratio(median(a), median(b))}`,
    );

    const port = await routerPort();
    await api.post(`/v2/apps/${app}/scale/`, { cmd: 2 });
    const load = new Load(port, `${app}.localhost`, 4);
    const started = Date.now();
    try {
      for (let round = 1; round <= loadRounds; round++) {
        const before = (
          (await api.get(`/v2/apps/${app}/releases/`)).body as {
            results: { version: number; failed: boolean }[];
          }
        ).results.find((r) => !r.failed)!;
        await api.post(`/v2/apps/${app}/config/`, { values: { ROUND: String(round) } });
        await api.post(`/v2/apps/${app}/scale/`, { cmd: 1 });
        await api.post(`/v2/apps/${app}/scale/`, { cmd: 2 });
        await api.post(`/v2/apps/${app}/releases/rollback/`, { version: before.version });
      }
    } finally {
      await load.stop();
    }
    console.log(
      `steady load through the router on Kubernetes, ${loadRounds} rounds of config change, scale-down and rollback in ${((Date.now() - started) / 1000).toFixed(0)} s: ${load.ok} requests, ${load.failedCount} failed${load.failedCount ? ` (${load.failures.slice(0, 3).join('; ')})` : ''}`,
    );
  } finally {
    pusher.remove();
    fs.rmSync(dockerConfig, { recursive: true, force: true });
    await t.stop();
    await kubectl(['delete', 'namespace', app, hand, '--ignore-not-found', '--wait=false']).catch(() => '');
    await kubectl(['delete', 'namespace', '-l', `deis-desktop/instance=${instance}`, '--wait=false']).catch(
      () => '',
    );
    await cluster.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKubernetes();
