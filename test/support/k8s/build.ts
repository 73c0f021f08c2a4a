/**
 * Builds the cluster's servers once from Debian's `kubernetes` source package (the whole upstream
 * tree with vendor/, built offline in GOPATH mode with Debian's Go) and caches them by version, so
 * later starts take seconds. The compile runs at nice 19, in an autogroup of nice 19: it yields.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_SOURCE_VERSION, KUBERNETES_VERSION, SERVER_BINARIES, cacheRoot, versionDir } from './paths';
import { haveCommand, run, runAsync } from './run';

/** Niceness of the compile and of its session's autogroup (DEIS_K8S_BUILD_NICE, default 19). */
const NICE = Number(process.env.DEIS_K8S_BUILD_NICE || 19);
/** The Go that builds Kubernetes 1.20 offline (Debian 12's golang-1.19). */
const GO_ROOT = '/usr/lib/go-1.19';
/** The pause image the private containerd uses as sandbox; built from the tree, never pulled. */
export const PAUSE_IMAGE = 'deis-desktop.invalid/pause:3.4';
const PAUSE_TAR = 'pause.tar';

export function binaryPath(name: (typeof SERVER_BINARIES)[number]): string {
  return path.join(versionDir(), 'bin', name);
}

export function pauseTarPath(): string {
  return path.join(versionDir(), PAUSE_TAR);
}

/** True when every binary and the pause image of this version are in the cache. */
export function isBuilt(): boolean {
  return (
    SERVER_BINARIES.every((name) => fs.existsSync(binaryPath(name))) &&
    fs.existsSync(pauseTarPath()) &&
    fs.existsSync(path.join(versionDir(), 'built'))
  );
}

/** What the build needs that is not here, as Debian package names. */
export function missingBuildPackages(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(path.join(GO_ROOT, 'bin', 'go'))) missing.push('golang-1.19');
  if (!haveCommand('rsync')) missing.push('rsync');
  if (!haveCommand('gcc')) missing.push('gcc');
  if (!haveCommand('make')) missing.push('make');
  return missing;
}

export interface BuildStep {
  step: string;
  seconds: number;
}

/** Builds what is missing; returns the steps with their times. Logs go to <cache>/build.log. */
export async function buildCluster(say: (line: string) => void = () => {}): Promise<BuildStep[]> {
  if (isBuilt()) return [];
  const missing = missingBuildPackages();
  if (missing.length > 0)
    throw new Error(`building the test cluster needs: apt-get install ${missing.join(' ')}`);
  const root = cacheRoot();
  const work = path.join(root, 'build');
  fs.mkdirSync(work, { recursive: true });
  const logPath = path.join(root, 'build.log');
  const log = fs.openSync(logPath, 'a');
  const steps: BuildStep[] = [];
  const timed = async (step: string, fn: () => unknown) => {
    say(`build: ${step} …`);
    const started = Date.now();
    await fn();
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    steps.push({ step, seconds });
    say(`build: ${step} done in ${seconds} s`);
    fs.writeSync(log, `== ${step}: ${seconds} s\n`);
  };
  try {
    const src = path.join(root, 'src');
    const tree = path.join(work, 'gopath', 'src', 'k8s.io', 'kubernetes');
    await timed('source', () => fetchSource(src));
    await timed('unpack', () => unpack(src, tree));
    const env = goEnv(work);
    // Without rsync a half-made _output would stay broken; it is checked above, so a rerun is clean.
    await timed('generated files', () =>
      runAsync('make', ['generated_files'], { cwd: tree, env, logFd: log, nice: NICE }),
    );
    const out = path.join(versionDir(), 'bin');
    fs.mkdirSync(out, { recursive: true });
    for (const name of SERVER_BINARIES) {
      await timed(name, () =>
        runAsync(
          'go',
          [
            'build',
            '-tags',
            'selinux,notest',
            '-ldflags',
            versionLdflags(),
            '-o',
            path.join(out, name),
            `./cmd/${name}`,
          ],
          { cwd: tree, env, logFd: log, nice: NICE },
        ),
      );
    }
    await timed('pause image', () => buildPause(tree, work, log));
    fs.writeFileSync(
      path.join(versionDir(), 'built'),
      JSON.stringify({ steps, at: new Date().toISOString() }, null, 2),
    );
    return steps;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n(full log: ${logPath})`);
  } finally {
    fs.closeSync(log);
  }
}

/** `apt-get source --download-only` through a private deb-src list, leaving the host's apt alone. */
function fetchSource(src: string): void {
  const orig = path.join(src, `kubernetes_${DEBIAN_SOURCE_VERSION.replace(/-[^-]+$/, '')}.orig.tar.gz`);
  if (fs.existsSync(orig)) return;
  const apt = path.join(src, 'apt');
  fs.mkdirSync(path.join(apt, 'parts'), { recursive: true });
  fs.mkdirSync(path.join(apt, 'lists', 'partial'), { recursive: true });
  const host = fs.readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
  fs.writeFileSync(
    path.join(apt, 'parts', 'debian-src.sources'),
    host.replace(/^Types: deb$/gm, 'Types: deb-src'),
  );
  const options = [
    '-o',
    'Dir::Etc::SourceList=/dev/null',
    '-o',
    `Dir::Etc::SourceParts=${path.join(apt, 'parts')}`,
    '-o',
    `Dir::State::Lists=${path.join(apt, 'lists')}`,
  ];
  run('apt-get', [...options, '-qq', 'update']);
  run('apt-get', [...options, '-qq', 'source', '--download-only', `kubernetes=${DEBIAN_SOURCE_VERSION}`], {
    cwd: src,
  });
}

function unpack(src: string, tree: string): void {
  if (fs.existsSync(path.join(tree, 'Makefile'))) return;
  fs.mkdirSync(tree, { recursive: true });
  const orig = fs.readdirSync(src).find((f) => f.endsWith('.orig.tar.gz'))!;
  run('tar', ['-xzf', path.join(src, orig), '-C', tree, '--strip-components=1']);
}

/** GOPATH mode, offline: Kubernetes 1.20's vendor/ is complete, and module mode refuses it. */
function goEnv(work: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${GO_ROOT}/bin:${process.env.PATH}`,
    GOPATH: path.join(work, 'gopath'),
    GOCACHE: path.join(work, 'gocache'),
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOFLAGS: '',
    CGO_ENABLED: '0',
  };
}

function versionLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const values: Record<string, string> = {
    gitVersion: KUBERNETES_VERSION,
    gitMajor: major!,
    gitMinor: minor!,
    gitCommit: `debian-${DEBIAN_SOURCE_VERSION}`,
    gitTreeState: 'clean',
    buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const packages = [
    'k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version',
    'k8s.io/kubernetes/vendor/k8s.io/component-base/version',
  ];
  const flags = packages.flatMap((pkg) => Object.entries(values).map(([k, v]) => `-X ${pkg}.${k}=${v}`));
  return ['-s', '-w', ...flags].join(' ');
}

/** pause.c → a static binary → a one-layer image tar in `docker save` form for `ctr images import`. */
function buildPause(tree: string, work: string, log: number): void {
  const dir = fs.mkdtempSync(path.join(work, 'pause-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    fs.mkdirSync(rootfs);
    run(
      'gcc',
      [
        '-Os',
        '-Wall',
        '-static',
        '-DVERSION=v3.4-deis',
        '-o',
        path.join(rootfs, 'pause'),
        path.join(tree, 'build/pause/linux/pause.c'),
      ],
      {
        logFd: log,
      },
    );
    const image = path.join(dir, 'image');
    fs.mkdirSync(image);
    run('tar', [
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '-C',
      rootfs,
      '-cf',
      path.join(image, 'layer.tar'),
      'pause',
    ]);
    const layer = fs.readFileSync(path.join(image, 'layer.tar'));
    const diffId = `sha256:${crypto.createHash('sha256').update(layer).digest('hex')}`;
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: 'deis-desktop test cluster: gcc -static build/pause/linux/pause.c' }],
    });
    const configName = `${crypto.createHash('sha256').update(config).digest('hex')}.json`;
    fs.writeFileSync(path.join(image, configName), config);
    fs.writeFileSync(
      path.join(image, 'manifest.json'),
      JSON.stringify([{ Config: configName, RepoTags: [PAUSE_IMAGE], Layers: ['layer.tar'] }]),
    );
    run('tar', ['-C', image, '-cf', pauseTarPath(), 'manifest.json', configName, 'layer.tar']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
