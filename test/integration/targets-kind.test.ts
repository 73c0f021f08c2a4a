/**
 * kind clusters as targets, through a real core and the real `deis` CLI.
 *
 * This machine has no `kind` binary and cannot pull kind's node image, so a real kind cluster
 * cannot be made here. What is real: the answer when `kind` is missing (there is none on PATH), and
 * everything on our side of the `kind` program. For the rest, the test puts a STAND-IN `kind`
 * script first on PATH: `create cluster` prints kind's own progress lines (the samples cited in
 * test/unit/kind.test.ts), `get kubeconfig` prints the kubeconfig of the Kubernetes test cluster,
 * and `load docker-image` does what kind does inside each node — `docker save | ctr images
 * import` — into the test cluster's containerd. So the app pushed to the kind target really runs on
 * a cluster with its image loaded (no registry), and answers through the router there; start and
 * stop really `docker stop`/`start` containers carrying kind's cluster label.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { KIND_CLUSTER_LABEL } from '../../cluster/kind/commands';
import { CliUser, type CliResult } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { repoFromFolder } from '../support/git';
import { BASE_IMAGE, ensureBaseImage } from '../support/images';
import { clusterForTests } from '../support/k8s';
import { appFolder } from '../support/k8s/app';
import { eventually } from '../support/k8s/eventually';
import { kubectlFor, type Kubectl } from '../support/k8s/kubectl';
import { removeNodeImage, testClusterContainerd } from '../support/k8s/load';
import { standInKind } from '../support/kind';
import { Pusher } from '../support/push';
import { docker, instanceName, removeInstance, viaRouter } from '../support/run-stage';

const log = (line: string) => console.log(`targets-kind: ${line}`);
const cluster = await clusterForTests('targets-kind', { hostRouted: true, kubectl: true });
const socket = cluster ? testClusterContainerd() : undefined;

interface TargetJson {
  name: string;
  kind: string;
  registry: string;
  cluster: string;
  state: string;
  router_url: string;
  apps: number;
}

describe.skipIf(!cluster || !socket)(
  'kind clusters as targets (a stand-in kind: there is no kind binary here)',
  () => {
    const instance = instanceName('tkind');
    const TARGET = 'dev';
    const KIND_CLUSTER = `dd-${process.pid}`;
    const APP = `tkind-${process.pid}`;
    const originalPath = process.env.PATH!;
    let t: TestCore;
    let api: Api;
    let user: CliUser;
    let pusher: Pusher;
    let kubectl: Kubectl;
    let scratch: string;
    let bin: string;
    let node: string | undefined;

    const deis = (...args: string[]): Promise<CliResult> => user.run(args);
    const targets = async () =>
      ((await api.get('/v2/desktop/targets/')).body as { results: TargetJson[] }).results;
    const calls = () => {
      const file = path.join(scratch, 'state', 'calls');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    };
    const loaded = () => {
      const file = path.join(scratch, 'state', 'loaded');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
    };

    beforeAll(async () => {
      await ensureBaseImage();
      kubectl = kubectlFor(cluster!.kubeconfig);
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-targets-kind-'));
      bin = standInKind(scratch, cluster!.kubeconfig, socket!);
      t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, log });
      user = new CliUser();
      const reg = await user.run([
        'register',
        t.url,
        '--username=owner',
        '--password=pw-owner',
        '--email=owner@example.com',
      ]);
      expect(reg.code, reg.stderr).toBe(0);
      const login = await new Api(t.url).post('/v2/auth/login/', { username: 'owner', password: 'pw-owner' });
      api = new Api(t.url, (login.body as { token: string }).token);
      pusher = new Pusher(t.core.builderPort, 'tkind');
      await pusher.addKeyTo(api);
    }, 600_000);

    afterAll(async () => {
      process.env.PATH = originalPath;
      await t?.stop();
      pusher?.remove();
      user?.remove();
      if (node)
        await docker
          .getContainer(node)
          .remove({ force: true })
          .catch(() => undefined);
      if (kubectl) {
        const label = `deis-desktop/instance=${addedTargetInstance(instance, TARGET)}`;
        await kubectl(['delete', 'namespace', '-l', label, '--wait=false']).catch(() => '');
      }
      if (socket && scratch) for (const ref of loaded()) await removeNodeImage(socket, ref);
      await removeInstance(instance);
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
      await cluster?.release();
    }, 120_000);

    it('without kind on PATH: one sentence saying what to install, as a 400, and nothing stored', async () => {
      process.env.PATH = originalPath;
      const r = await api.post('/v2/desktop/targets/', { name: TARGET, kind: 'kind', cluster: KIND_CLUSTER });
      expect(r.status).toBe(400);
      expect((r.body as { detail: string }).detail).toMatch(
        /^kind is not installed: there is no `kind` on PATH\. Install kind with .*kind\.sigs\.k8s\.io.*\.$/,
      );
      const cli = await deis('targets:add', TARGET, `--kind=${KIND_CLUSTER}`);
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain('kind is not installed');
      expect((await targets()).map((x) => x.name)).toEqual(['local']);
      expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
    });

    it('adopting a kind cluster that does not exist is refused, nothing stored', async () => {
      process.env.PATH = `${bin}:${originalPath}`;
      const r = await deis('targets:add', TARGET, `--kind=${KIND_CLUSTER}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`There is no kind cluster named "${KIND_CLUSTER}" (kind has none)`);
      expect((await targets()).map((x) => x.name)).toEqual(['local']);
      expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
    });

    it("creates the cluster with kind's steps and their times; its kubeconfig is kept in DEIS_HOME only", async () => {
      process.env.PATH = `${bin}:${originalPath}`;
      const r = await deis('targets:add', TARGET, `--kind=${KIND_CLUSTER}`, '--create');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `done, added ${TARGET} \\(kind cluster ${KIND_CLUSTER}, Kubernetes v\\d+\\.\\d+\\.\\d+ at https://`,
        ),
      );
      for (const step of [
        'Ensuring node image (kindest/node:v1.27.3)',
        'Preparing nodes (1 node)',
        'Starting control-plane',
        'Installing CNI',
      ])
        expect(r.stdout).toMatch(new RegExp(`✓ ${step.replace(/[()]/g, '\\$&')} \\d+(\\.\\d)? (ms|s)`));
      expect(r.stdout).toContain(
        `ok     Images are loaded into the nodes of the kind cluster "${KIND_CLUSTER}"`,
      );
      const kubeconfig = path.join(t.home, 'targets', TARGET, 'kubeconfig');
      expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);
      expect(calls()).toEqual(
        expect.arrayContaining([
          `create cluster --name ${KIND_CLUSTER} --kubeconfig ${kubeconfig} --wait 300s`,
          `get kubeconfig --name ${KIND_CLUSTER}`,
        ]),
      );
      expect((await targets()).find((x) => x.name === TARGET)).toMatchObject({
        kind: 'kind',
        cluster: KIND_CLUSTER,
        state: 'idle',
      });
      // A second create of the same cluster is kind's "already exists", as a sentence.
      const again = await api.post('/v2/desktop/targets/', {
        name: 'dev2',
        kind: 'kind',
        cluster: KIND_CLUSTER,
        create: true,
      });
      expect(again.status).toBe(409);
      expect((again.body as { detail: string }).detail).toContain(
        `A kind cluster named "${KIND_CLUSTER}" already exists`,
      );
    }, 120_000);

    it("uses the cluster's local registry (kind's recipe) when given or advertised, and removing keeps the cluster", async () => {
      const registry = cluster!.registry!;
      const given = await deis(
        'targets:add',
        'dev-reg',
        `--kind=${KIND_CLUSTER}`,
        `--registry=${registry.address}`,
        `--registry-username=${registry.username}`,
        `--registry-password=${registry.password}`,
      );
      expect(given.code, given.stderr).toBe(0);
      expect(given.stdout).toMatch(/ok {5}An image was pushed to .* \(sha256:[0-9a-f]{64}\)\./);
      expect((await targets()).find((x) => x.name === 'dev-reg')).toMatchObject({
        kind: 'kind',
        registry: registry.address,
      });
      // Advertised by the cluster (kube-public/local-registry-hosting), as kind's recipe does.
      await kubectl([
        '-n',
        'kube-public',
        'create',
        'configmap',
        'local-registry-hosting',
        `--from-literal=localRegistryHosting.v1=host: "${registry.address}"`,
      ]);
      try {
        const found = await api.post('/v2/desktop/targets/', {
          name: 'dev-adv',
          kind: 'kind',
          cluster: KIND_CLUSTER,
          registry_username: registry.username,
          registry_password: registry.password,
        });
        expect(found.status, JSON.stringify(found.body)).toBe(201);
        expect(found.body).toMatchObject({ kind: 'kind', registry: registry.address });
      } finally {
        await kubectl([
          '-n',
          'kube-public',
          'delete',
          'configmap',
          'local-registry-hosting',
          '--ignore-not-found',
        ]);
      }
      for (const name of ['dev-reg', 'dev-adv'])
        expect((await api.delete(`/v2/desktop/targets/${name}/`)).status).toBe(204);
      expect(calls().some((c) => c.startsWith('delete cluster'))).toBe(false);
    }, 300_000);

    it('runs a pushed app there: its image loaded with kind load docker-image, no registry, answering through the router', async () => {
      expect((await deis('apps:create', APP, '--no-remote', `--target=${TARGET}`)).code).toBe(0);
      const grace = await deis('config:set', 'KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS=2', '-a', APP);
      expect(grace.code, grace.stderr).toBe(0);
      const pushed = await pusher.push(repoFromFolder(appFolder()).dir, APP);
      expect(pushed.code, pushed.output).toBe(0);
      const image = await kubectl([
        '-n',
        APP,
        'get',
        'deployment',
        `${APP}-cmd`,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].imagePullPolicy}',
      ]);
      expect(image).toMatch(new RegExp(`^deis-desktop\\.invalid/${APP}:[0-9a-f]{64} IfNotPresent$`));
      expect(calls()).toContain(`load docker-image --name ${KIND_CLUSTER} -- ${image.split(' ')[0]}`);
      const listed = (await targets()).find((x) => x.name === TARGET)!;
      expect(listed).toMatchObject({ state: 'ready', apps: 1 });
      const router = new URL(listed.router_url);
      await eventually('the app answering through the router on the kind target', async () => {
        const reply = await viaRouter(Number(router.port), `${APP}.localhost`);
        return reply.status === 200 && reply.body === 'v3 hello\n' ? reply : undefined;
      });
    }, 600_000);

    it("stops and starts the cluster's node containers, each step with its time", async () => {
      const c = await docker.createContainer({
        Image: BASE_IMAGE,
        name: `${instance}-kind-node`,
        Cmd: ['sleep', 'infinity'],
        Labels: { [KIND_CLUSTER_LABEL]: KIND_CLUSTER, 'io.x-k8s.kind.role': 'control-plane' },
      });
      node = c.id;
      await c.start();
      const stop = await deis('targets:stop', TARGET);
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.stdout).toMatch(/✓ Stopping nodes \(1\/1\) \d+(\.\d)? (ms|s)/);
      expect((await c.inspect()).State.Running).toBe(false);
      const start = await api.post(`/v2/desktop/targets/${TARGET}/start/`, {});
      expect(start.status).toBe(200);
      expect(start.body).toMatchObject({ name: TARGET, action: 'start', ok: true });
      expect((await c.inspect()).State.Running).toBe(true);
      const local = await api.post('/v2/desktop/targets/local/stop/', {});
      expect(local.status).toBe(400);
      expect((local.body as { detail: string }).detail).toContain('local is not a kind target');
    }, 120_000);

    it('deletes the cluster only when asked with the name typed, and only once no app runs there', async () => {
      const wrong = await api.delete(`/v2/desktop/targets/${TARGET}/`, {
        delete_cluster: true,
        confirm: 'nope',
      });
      expect(wrong.status).toBe(400);
      expect(JSON.stringify(wrong.body)).toContain(`type the target's name (${TARGET}) as confirm`);
      const busy = await api.delete(`/v2/desktop/targets/${TARGET}/`, {
        delete_cluster: true,
        confirm: TARGET,
      });
      expect(busy.status).toBe(409);
      expect(calls().some((c) => c.startsWith('delete cluster'))).toBe(false);
      expect((await targets()).map((x) => x.name)).toContain(TARGET);

      expect((await deis('apps:destroy', '-a', APP, `--confirm=${APP}`)).code).toBe(0);
      const removed = await deis('targets:remove', TARGET, '--delete-cluster', `--confirm=${TARGET}`);
      expect(removed.code, removed.stderr).toBe(0);
      expect(calls()).toContain(
        `delete cluster --name ${KIND_CLUSTER} --kubeconfig ${path.join(t.home, 'targets', TARGET, 'kubeconfig')}`,
      );
      expect((await targets()).map((x) => x.name)).toEqual(['local']);
      expect(fs.existsSync(path.join(t.home, 'targets', TARGET))).toBe(false);
    }, 300_000);
  },
);
