/**
 * kind clusters (cluster/kind/). This machine has no `kind` binary and cannot pull kind's node image,
 * so: the command lines are checked as built; kind's output is parsed from real samples taken from
 * kind's source (each cited below); a small fake `kind` script on PATH, which prints those same
 * lines, stands in for the binary that cannot be installed here to run the streaming and progress
 * path end to end; stop and start (docker stop/start of kind's labelled node containers) run on the
 * real Docker engine with containers that carry kind's labels.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import {
  KIND_CLUSTER_LABEL,
  createArgs,
  deleteArgs,
  getKubeconfigArgs,
  kindKubeconfigPath,
  loadImageArgs,
} from '../../cluster/kind/commands';
import { Kind, KindError, describeStep, howToInstallKind } from '../../cluster/kind/kind';
import { KindProgress, parseKindLine, type KindStep } from '../../cluster/kind/progress';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';

const roots: string[] = [];
function temp(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${label}-`));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/**
 * `kind create cluster` with one control plane and two workers, as kind prints it when stderr is not
 * a terminal. Each line is kind's, from its source (kubernetes-sigs/kind):
 * - pkg/internal/cli/status.go: Start logs ` • %s  ...`, End logs ` ✓ %s` (success) or ` ✗ %s`;
 *   Start first ends the step before it;
 * - pkg/cluster/internal/create/create.go: `Creating cluster %q ...`;
 * - pkg/cluster/internal/providers/docker/provision.go: `Ensuring node image (%s) 🖼`,
 *   `Preparing nodes %s` with one `📦 ` per node;
 * - pkg/cluster/internal/create/actions/config/config.go: `Writing configuration 📜`;
 * - .../actions/kubeadminit/init.go: `Starting control-plane 🕹️`;
 * - .../actions/installcni/cni.go: `Installing CNI 🔌`;
 * - .../actions/installstorage/storage.go: `Installing StorageClass 💾`;
 * - .../actions/kubeadmjoin/join.go: `Joining worker nodes 🚜`;
 * - .../actions/waitforready/waitforready.go: `Waiting ≤ %s for control-plane = Ready ⏳`, then
 *   ` • Ready after %s 💚`.
 */
const CREATE_OUTPUT = [
  'Creating cluster "dev" ...',
  ' • Ensuring node image (kindest/node:v1.27.3) 🖼  ...',
  ' ✓ Ensuring node image (kindest/node:v1.27.3) 🖼',
  ' • Preparing nodes 📦 📦 📦   ...',
  ' ✓ Preparing nodes 📦 📦 📦 ',
  ' • Writing configuration 📜  ...',
  ' ✓ Writing configuration 📜',
  ' • Starting control-plane 🕹️  ...',
  ' ✓ Starting control-plane 🕹️',
  ' • Installing CNI 🔌  ...',
  ' ✓ Installing CNI 🔌',
  ' • Installing StorageClass 💾  ...',
  ' ✓ Installing StorageClass 💾',
  ' • Joining worker nodes 🚜  ...',
  ' ✓ Joining worker nodes 🚜',
  ' • Waiting ≤ 5m0s for control-plane = Ready ⏳  ...',
  ' ✓ Waiting ≤ 5m0s for control-plane = Ready ⏳',
  ' • Ready after 19s 💚',
];

/** A failed start as kind prints it (same sources; kubeadm's error from kubeadminit/init.go). */
const FAILED_OUTPUT = [
  'Creating cluster "dev" ...',
  ' • Ensuring node image (kindest/node:v1.27.3) 🖼  ...',
  ' ✓ Ensuring node image (kindest/node:v1.27.3) 🖼',
  ' • Preparing nodes 📦   ...',
  ' ✓ Preparing nodes 📦 ',
  ' • Writing configuration 📜  ...',
  ' ✓ Writing configuration 📜',
  ' • Starting control-plane 🕹️  ...',
  ' ✗ Starting control-plane 🕹️',
  'ERROR: failed to create cluster: failed to init node with kubeadm: command "docker exec --privileged dev-control-plane kubeadm init --skip-phases=preflight --config=/kind/kubeadm.conf --skip-token-print --v=6" failed with error: exit status 1',
];

const STEP_KEYS = [
  'ensuring-node-image',
  'preparing-nodes',
  'writing-configuration',
  'starting-control-plane',
  'installing-cni',
  'installing-storageclass',
  'joining-worker-nodes',
  'waiting-for-ready',
];

describe('the kind command lines', () => {
  const home = '/home/u/.deis';
  it('create: a checked name, the kubeconfig in DEIS_HOME (never ~/.kube/config), a bounded wait, the node image', () => {
    expect(createArgs(home, { name: 'dev', image: 'kindest/node:v1.27.3' })).toEqual([
      'create',
      'cluster',
      '--name',
      'dev',
      '--kubeconfig',
      '/home/u/.deis/kind/dev/kubeconfig',
      '--wait',
      '300s',
      '--image',
      'kindest/node:v1.27.3',
    ]);
    expect(deleteArgs(home, 'dev')).toEqual([
      'delete',
      'cluster',
      '--name',
      'dev',
      '--kubeconfig',
      '/home/u/.deis/kind/dev/kubeconfig',
    ]);
    expect(getKubeconfigArgs('dev')).toEqual(['get', 'kubeconfig', '--name', 'dev']);
    expect(kindKubeconfigPath(home, 'dev')).toBe('/home/u/.deis/kind/dev/kubeconfig');
  });

  it('load: `kind load docker-image`, the image after `--`', () => {
    expect(loadImageArgs('dev', 'registry.local/app@sha256:' + 'a'.repeat(64))).toEqual([
      'load',
      'docker-image',
      '--name',
      'dev',
      '--',
      'registry.local/app@sha256:' + 'a'.repeat(64),
    ]);
  });

  it('refuses names and images that are not what kind accepts, with a sentence', () => {
    for (const bad of ['../etc', '-rf', 'Dev', 'a_b', '', 'x'.repeat(51), 'dev-'])
      expect(() => createArgs(home, { name: bad })).toThrow(
        /is not a kind cluster name: use up to 50 lower-case letters/,
      );
    for (const bad of ['--help', 'img name', 'a;b', ''])
      expect(() => loadImageArgs('dev', bad)).toThrow(/is not an image reference/);
  });
});

describe("parsing kind's output", () => {
  it('classifies each line: steps started and ended with their names, Ready, errors', () => {
    expect(parseKindLine(CREATE_OUTPUT[0]!)).toEqual({ type: 'creating', cluster: 'dev' });
    expect(parseKindLine(CREATE_OUTPUT[1]!)).toMatchObject({
      type: 'start',
      key: 'ensuring-node-image',
      label: 'Ensuring node image',
      detail: 'kindest/node:v1.27.3',
    });
    expect(parseKindLine(CREATE_OUTPUT[3]!)).toMatchObject({
      type: 'start',
      key: 'preparing-nodes',
      detail: '3 nodes',
    });
    expect(parseKindLine(CREATE_OUTPUT[8]!)).toMatchObject({
      type: 'end',
      ok: true,
      key: 'starting-control-plane',
    });
    expect(parseKindLine(CREATE_OUTPUT[15]!)).toMatchObject({
      type: 'start',
      key: 'waiting-for-ready',
      detail: 'up to 5m0s',
    });
    expect(parseKindLine(' • Ready after 19s 💚')).toEqual({ type: 'ready', after: '19s' });
    expect(parseKindLine(FAILED_OUTPUT[8]!)).toMatchObject({
      type: 'end',
      ok: false,
      key: 'starting-control-plane',
    });
    expect(parseKindLine(FAILED_OUTPUT[9]!)).toMatchObject({
      type: 'error',
      text: expect.stringMatching(/^failed to create cluster: failed to init node with kubeadm/),
    });
    // waitforready.go's timeout warning.
    expect(parseKindLine(' • WARNING: Timed out waiting for Ready ⚠️')).toMatchObject({ type: 'warning' });
  });

  it("a terminal's output (spinner, \\r, colours: status.go's coloured formats) gives the same steps", () => {
    const progress = new KindProgress();
    for (const line of [
      ' \x1b[32m✓\x1b[0m Ensuring node image (kindest/node:v1.27.3) 🖼',
      ' \x1b[32m✓\x1b[0m Preparing nodes 📦 ',
      ' \x1b[31m✗\x1b[0m Writing configuration 📜',
    ])
      progress.line(line);
    expect(progress.steps.map((s) => [s.key, s.state])).toEqual([
      ['ensuring-node-image', 'succeeded'],
      ['preparing-nodes', 'succeeded'],
      ['writing-configuration', 'failed'],
    ]);
  });

  it('turns a whole create into named steps with the time each took', () => {
    let clock = 1_000;
    const heard: KindStep[] = [];
    const progress = new KindProgress(
      (s) => heard.push(s),
      () => clock,
    );
    for (const line of CREATE_OUTPUT) {
      progress.line(line);
      clock += 1_500;
    }
    progress.finish(true);
    expect(progress.steps.map((s) => s.key)).toEqual(STEP_KEYS);
    expect(progress.steps.every((s) => s.state === 'succeeded' && s.elapsedMs === 1_500)).toBe(true);
    expect(progress.readyAfter).toBe('19s');
    // Each step is heard when it starts and when it ends.
    expect(heard.map((s) => `${s.key}:${s.state}`).slice(0, 4)).toEqual([
      'ensuring-node-image:running',
      'ensuring-node-image:succeeded',
      'preparing-nodes:running',
      'preparing-nodes:succeeded',
    ]);
    expect(describeStep(progress.steps[1]!)).toBe('✓ Preparing nodes (3 nodes) 1.5 s');
  });

  it("a failed create: the failed step and kind's ERROR line", () => {
    const progress = new KindProgress();
    for (const line of FAILED_OUTPUT) progress.line(line);
    progress.finish(false);
    expect(progress.steps.at(-1)).toMatchObject({ key: 'starting-control-plane', state: 'failed' });
    expect(progress.error).toMatch(/^failed to create cluster: failed to init node with kubeadm/);
  });
});

/**
 * A fake `kind` on PATH: it stands in for the kind binary, which cannot be installed on this
 * machine. It records its arguments and KUBECONFIG, prints the real lines above to stderr (as kind
 * does), and waits for a go-ahead file after the first step so the test sees steps stream in while
 * it still runs.
 */
function fakeKind(dir: string, mode: 'ok' | 'fail'): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const lines = mode === 'ok' ? CREATE_OUTPUT : FAILED_OUTPUT;
  const printf = (l: string) => `printf '%s\\n' '${l.replace(/'/g, `'\\''`)}' >&2`;
  const script = `#!/bin/sh
echo "$KUBECONFIG|$*" >> '${dir}/calls'
case "$1 $2" in
  "create cluster")
    ${printf(lines[0]!)}
    ${printf(lines[1]!)}
    while [ ! -e '${dir}/go' ]; do sleep 0.05; done
${lines
  .slice(2)
  .map((l) => '    ' + printf(l))
  .join('\n')}
    ${mode === 'ok' ? 'exit 0' : 'exit 1'} ;;
  "get kubeconfig")
    printf 'apiVersion: v1\\nclusters:\\n- cluster:\\n    server: https://127.0.0.1:40123\\n  name: kind-dev\\nkind: Config\\n' ;;
  "delete cluster")
    printf 'Deleting cluster "dev" ...\\nDeleted nodes: ["dev-control-plane"]\\n' >&2 ;;
  "load docker-image") exit 0 ;;
  *) echo "ERROR: unknown command $1" >&2; exit 1 ;;
esac
`;
  fs.writeFileSync(path.join(bin, 'kind'), script, { mode: 0o755 });
  return bin;
}

describe('a kind cluster through the kind program (a fake kind stands in for it)', () => {
  it('create streams named steps while kind runs, then keeps the kubeconfig in DEIS_HOME, mode 0600; ~/.kube is never touched', async () => {
    const dir = temp('kind');
    const userHome = path.join(dir, 'user');
    fs.mkdirSync(userHome);
    const deisHome = path.join(dir, 'deis');
    const bin = fakeKind(dir, 'ok');
    const kind = new Kind({
      home: deisHome,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: userHome,
        KUBECONFIG: path.join(userHome, '.kube', 'config'),
      },
    });
    const heard: string[] = [];
    const result = await kind.create({ name: 'dev' }, (s) => {
      heard.push(`${s.key}:${s.state}`);
      // The first step arrived while kind still waits for us: the output streams.
      if (heard.length === 1) fs.writeFileSync(path.join(dir, 'go'), '');
    });
    expect(heard[0]).toBe('ensuring-node-image:running');
    expect(result.steps.map((s) => s.key)).toEqual(STEP_KEYS);
    expect(result.steps.every((s) => s.state === 'succeeded' && s.elapsedMs >= 0)).toBe(true);
    expect(result.readyAfter).toBe('19s');
    expect(result.kubeconfig).toBe(path.join(deisHome, 'kind', 'dev', 'kubeconfig'));
    expect(fs.readFileSync(result.kubeconfig, 'utf8')).toContain('server: https://127.0.0.1:40123');
    expect(fs.statSync(result.kubeconfig).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(userHome, '.kube'))).toBe(false);
    // Every call ran with KUBECONFIG in DEIS_HOME, and create with --kubeconfig there.
    const calls = fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls.every((c) => c.startsWith(path.join(deisHome, 'kind')))).toBe(true);
    expect(calls[0]).toContain(`create cluster --name dev --kubeconfig ${result.kubeconfig} --wait 300s`);
    expect(calls[1]).toContain('get kubeconfig --name dev');

    await kind.loadImage('dev', 'deis-desktop/debian:bookworm');
    await kind.delete('dev');
    expect(fs.existsSync(path.join(deisHome, 'kind', 'dev'))).toBe(false);
    const later = fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(later.at(-2)).toContain('load docker-image --name dev -- deis-desktop/debian:bookworm');
    expect(later.at(-1)).toContain(`delete cluster --name dev --kubeconfig ${result.kubeconfig}`);
  }, 30_000);

  it("a failed create says kind's reason, with the failed step and kind's output", async () => {
    const dir = temp('kind');
    const bin = fakeKind(dir, 'fail');
    fs.writeFileSync(path.join(dir, 'go'), '');
    const kind = new Kind({ home: path.join(dir, 'deis'), env: { PATH: `${bin}:${process.env.PATH}` } });
    const steps: KindStep[] = [];
    const err = await kind.create({ name: 'dev' }, (s) => steps.push(s)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KindError);
    expect((err as KindError).message).toMatch(
      /^Creating the kind cluster "dev" failed: failed to create cluster: failed to init node with kubeadm: /,
    );
    expect((err as KindError).output.at(-2)).toBe(' ✗ Starting control-plane 🕹️');
    expect(steps.at(-1)).toMatchObject({ key: 'starting-control-plane', state: 'failed' });
    expect(fs.existsSync(path.join(dir, 'deis', 'kind', 'dev', 'kubeconfig'))).toBe(false);
  }, 30_000);

  it('without kind: a clear message with what to install', async () => {
    const kind = new Kind({ home: temp('kind'), env: { PATH: '/nonexistent' } });
    const err = (await kind.version().catch((e: unknown) => e)) as KindError;
    expect(err.missing).toBe(true);
    expect(err.message).toBe(`kind is not installed: there is no \`kind\` on PATH. ${howToInstallKind()}`);
    expect(howToInstallKind('darwin')).toContain('brew install kind');
    expect(howToInstallKind('win32')).toContain('winget install Kubernetes.kind');
    expect(howToInstallKind('linux')).toContain('https://kind.sigs.k8s.io/dl/latest/kind-linux-amd64');
  });
});

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)('stop and start: the node containers kind labels, on the real engine', () => {
  const cluster = `dd-kind-${process.pid}`;
  const docker = dockerEngine();

  // The node stand-ins run our Debian base, made here when this file runs on its own on a new machine.
  beforeAll(async () => {
    await ensureBaseImage();
  });

  afterAll(async () => {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${KIND_CLUSTER_LABEL}=${cluster}`] },
    });
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  });

  it('stops every node and starts them again, control plane first; an unknown cluster is a sentence', async () => {
    for (const role of ['worker', 'control-plane']) {
      const c = await docker.createContainer({
        name: `${cluster}-${role}`,
        Image: BASE_IMAGE,
        Cmd: ['sleep', 'infinity'],
        Labels: { [KIND_CLUSTER_LABEL]: cluster, 'io.x-k8s.kind.role': role },
        HostConfig: { Init: true },
      });
      await c.start();
    }
    const kind = new Kind({ home: temp('kind'), docker: () => docker });
    const states = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`${KIND_CLUSTER_LABEL}=${cluster}`] } }))
        .map((c) => c.State)
        .sort();

    const stopSteps: KindStep[] = [];
    await kind.stop(cluster, (s) => stopSteps.push(s));
    expect(await states()).toEqual(['exited', 'exited']);
    expect(stopSteps.at(-1)).toMatchObject({ key: 'stopping-nodes', state: 'succeeded', detail: '2/2' });

    const startSteps: KindStep[] = [];
    await kind.start(cluster, (s) => startSteps.push(s));
    expect(await states()).toEqual(['running', 'running']);
    expect(startSteps.map((s) => s.detail)).toEqual(['0/2', '1/2', '2/2', '2/2']);
    // The control plane was started before the worker (whose kubelet needs the API server).
    const started = async (role: string) =>
      Date.parse((await docker.getContainer(`${cluster}-${role}`).inspect()).State.StartedAt);
    expect(await started('control-plane')).toBeLessThanOrEqual(await started('worker'));

    await expect(kind.stop(`${cluster}-nope`)).rejects.toThrow(
      `There is no kind cluster named "${cluster}-nope" on this Docker engine (\`kind get clusters\` lists them).`,
    );
  }, 60_000);
});
