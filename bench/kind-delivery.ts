/**
 * `npx tsx bench/kind-delivery.ts [runs]`: how long one new build of an app takes to reach a
 * cluster's node, by each image path a Kubernetes target has (cluster/kubernetes/delivery.ts), on
 * the test cluster (its registry and its containerd, as a kind node has one):
 *   registry — `docker push` to the cluster's registry, then the node pulls it (`ctr images pull`,
 *              as the kubelet does on the first pod), which is what kind's local-registry recipe does;
 *   load     — `docker save | ctr images import`, what `kind load docker-image` runs in each node.
 * Each run builds a new image of the test app (a one-file change on the cached Debian base, as a
 * `git push` makes), delivers it both ways in alternating order, and removes it from the node.
 * Prints each time and the medians. Not a test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { deliverImage } from '../cluster/kubernetes/delivery';
import { ensureBaseImage } from '../test/support/images';
import { appFolder } from '../test/support/k8s/app';
import { runningInfo } from '../test/support/k8s/cluster';
import { removeNodeImage, saveAndImport } from '../test/support/k8s/load';
import { docker } from '../test/support/run-stage';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const info = runningInfo();
  if (!info) throw new Error('the test cluster is not running (npm run test-cluster -- start)');
  await ensureBaseImage();
  const socket = info.containerdSocket;
  const hosts = path.join(path.dirname(socket), 'containerd', 'certs.d');
  const registry = {
    address: info.registry,
    username: info.registryUsername,
    password: info.registryPassword,
  };
  const folder = appFolder();
  const times = { registry: [] as number[], load: [] as number[] };
  const sizeOf = async (ref: string) => ((await docker.getImage(ref).inspect()).Size / 1e6).toFixed(0);
  try {
    for (let i = 0; i < runs; i++) {
      fs.writeFileSync(path.join(folder, 'build-id'), `${process.pid}-${i}-${Date.now()}\n`);
      fs.appendFileSync(path.join(folder, 'Dockerfile'), i === 0 ? 'COPY build-id /build-id\n' : '');
      const tag = `deis-bench/kind-delivery:${process.pid}-${i}`;
      execFileSync('docker', ['build', '-q', '-t', tag, folder], { stdio: 'pipe' });
      const id = (await docker.getImage(tag).inspect()).Id;
      const order = i % 2 === 0 ? (['registry', 'load'] as const) : (['load', 'registry'] as const);
      for (const how of order) {
        const started = performance.now();
        let onNode: string;
        if (how === 'registry') {
          onNode = await deliverImage(
            docker,
            { kind: 'registry', registry },
            id,
            'deis-bench-delivery',
            `r${i}`,
          );
          execFileSync(
            'ctr',
            [
              '--address',
              socket,
              '-n',
              'k8s.io',
              'images',
              'pull',
              '--hosts-dir',
              hosts,
              '--user',
              `${registry.username}:${registry.password}`,
              onNode,
            ],
            { stdio: 'pipe' },
          );
        } else {
          onNode = await deliverImage(
            docker,
            { kind: 'load', where: 'the test node', load: (ref) => saveAndImport(socket, ref) },
            id,
            'deis-bench-delivery',
            `r${i}`,
          );
        }
        const ms = performance.now() - started;
        times[how].push(ms);
        console.log(
          `run ${i + 1}: ${how.padEnd(8)} ${(ms / 1000).toFixed(1)} s  (${await sizeOf(tag)} MB image)`,
        );
        await removeNodeImage(socket, onNode);
      }
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  const r = median(times.registry);
  const l = median(times.load);
  console.log(
    `median of ${runs}: registry push + node pull ${(r / 1000).toFixed(1)} s, load (save | import) ${(l / 1000).toFixed(1)} s; ${r < l ? 'registry' : 'load'} is faster (ratio load/registry ${(l / r).toFixed(2)})`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
