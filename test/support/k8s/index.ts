/**
 * The cluster the Kubernetes tests run on: the one DEIS_TEST_KUBECONFIG names, one already started
 * by hand (`npm run test-cluster -- start`), or the cached test cluster started for this run. Test
 * files hold a lease on it. Under vitest, the run's global teardown stops a cluster the tests started
 * once no file holds it (`stopUnheldTestCluster`); elsewhere (the benchmarks) the last holder to let
 * go stops it. Stopping drains the pods and stops nine daemons, up to a minute and more on a busy
 * machine: in a test file's afterAll it counted against that hook's timeout, and in CI the last file
 * to let go (targets-ui) ran out of it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dockerAvailable } from '../images';
import { buildCluster, isBuilt, missingBuildPackages } from './build';
import { cannotStart, runningInfo, startCluster, stopCluster } from './cluster';
import { Journal } from './journal';
import { kubectlAvailable } from './kubectl';
import { sleep } from './processes';
import { stateDir } from './paths';

export interface TestCluster {
  kubeconfig: string;
  /** Set when the registry is known (ours, or DEIS_TEST_REGISTRY* for a cluster of your own). */
  registry?: { address: string; username: string; password: string };
  /** True for the cluster built here: pods and Services are routed from the host, NodePorts on 127.0.0.1. */
  hostRouted: boolean;
  /**
   * Gives the lease back. Outside vitest it also stops the cluster when the tests started it and no
   * other holder is left; under vitest the run's teardown does that.
   */
  release(): Promise<void>;
}

export type EnsureResult =
  { cluster: TestCluster; reason?: undefined } | { cluster?: undefined; reason: string };

/**
 * A build takes ~10 minutes on an idle 2-core machine (75 under load): only when asked
 * (DEIS_TEST_CLUSTER_BUILD=1, or `npm run test-cluster -- build` beforehand, which .ci/run does).
 */
function buildAllowed(): boolean {
  return process.env.DEIS_TEST_CLUSTER_BUILD === '1';
}

export async function ensureTestCluster(log: (line: string) => void = () => {}): Promise<EnsureResult> {
  const external = process.env.DEIS_TEST_KUBECONFIG;
  if (external) {
    const registry =
      process.env.DEIS_TEST_REGISTRY &&
      process.env.DEIS_TEST_REGISTRY_USERNAME &&
      process.env.DEIS_TEST_REGISTRY_PASSWORD
        ? {
            address: process.env.DEIS_TEST_REGISTRY,
            username: process.env.DEIS_TEST_REGISTRY_USERNAME,
            password: process.env.DEIS_TEST_REGISTRY_PASSWORD,
          }
        : undefined;
    return {
      cluster: { kubeconfig: path.resolve(external), registry, hostRouted: false, release: async () => {} },
    };
  }
  const canBuild = buildAllowed() && missingBuildPackages().length === 0 && process.getuid?.() === 0;
  // Not built yet is a reason to skip only where a build is not allowed.
  const reason = cannotStart({ ignoreBuild: canBuild });
  if (reason) return { reason: `${reason} (or set DEIS_TEST_KUBECONFIG)` };

  const lease = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const info = await withLock(async () => {
    // Under the lock: test files run in parallel, and only one may build or start.
    if (!isBuilt()) {
      log('building the test cluster (once, about 10 minutes on 2 cores)');
      await buildCluster(log);
    }
    const running = runningInfo();
    const ready = running ?? (await startCluster(log));
    if (!running) new Journal(stateDir()).setInfo({ ...ready, owner: 'tests' });
    fs.mkdirSync(leaseDir(), { recursive: true });
    fs.writeFileSync(path.join(leaseDir(), lease), String(process.pid));
    return ready;
  });
  return {
    cluster: {
      kubeconfig: info.kubeconfig,
      registry: { address: info.registry, username: info.registryUsername, password: info.registryPassword },
      hostRouted: true,
      release: () =>
        withLock(async () => {
          fs.rmSync(path.join(leaseDir(), lease), { force: true });
          // vitest sets VITEST in its workers; its global teardown (test/support/global-setup.ts) stops.
          if (process.env.VITEST !== 'true') await stopIfUnheld(log);
        }),
    },
  };
}

/**
 * Stops the test cluster when the tests started it and no live process holds a lease; under the lock.
 * At the end of a run (`runEnded`) the run's own workers hold nothing any more, even alive: a lease
 * one of them left (an afterAll that timed out before its release) does not keep the cluster up.
 */
async function stopIfUnheld(log: (line: string) => void, runEnded = false): Promise<void> {
  const holds = (lease: string) => {
    const pid = Number(lease.split('-')[0]);
    return pidAlive(pid) && !(runEnded && parentOf(pid) === process.pid);
  };
  const held = fs.existsSync(leaseDir()) ? fs.readdirSync(leaseDir()).filter(holds) : [];
  const current = Journal.exists(stateDir()) ? new Journal(stateDir()).data.info : undefined;
  if (held.length === 0 && current?.owner === 'tests') {
    await stopCluster(log);
    fs.rmSync(leaseDir(), { recursive: true, force: true });
  }
}

/**
 * For the end of a test run: stops the cluster the run's files started, unless some live process
 * (another run, a benchmark) still holds it. A cluster started by hand is left running.
 */
export function stopUnheldTestCluster(log: (line: string) => void = () => {}): Promise<void> {
  if (process.env.DEIS_TEST_KUBECONFIG || !Journal.exists(stateDir())) return Promise.resolve();
  return withLock(() => stopIfUnheld(log, true));
}

/** The parent pid of a live process (from /proc), or undefined. */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function leaseDir(): string {
  return `${stateDir()}.leases`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One starter or stopper at a time across test files (vitest runs them in parallel processes). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = `${stateDir()}.lock`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // just made, pid not written yet: wait
      }
      if (holder && !pidAlive(holder)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`the test cluster lock ${lock} is held by pid ${holder}`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** What a test file needs of the cluster besides a kubeconfig. */
export interface ClusterNeeds {
  /** A registry the cluster pulls from (ours, or DEIS_TEST_REGISTRY* for a cluster of your own). */
  registry?: boolean;
  /** Pods and Services reachable from this host (the cluster built here). */
  hostRouted?: boolean;
  /** The kubectl command, for tests that look with it. */
  kubectl?: boolean;
}

/**
 * The test cluster for one test file, or undefined with the reason said once on the console (the
 * file's tests then skip): the Docker engine, kubectl, the cluster and what the file needs of it are
 * checked in that order. A cluster that cannot serve the file is given back at once; otherwise the
 * file gives it back with `release()` after its last test.
 */
export async function clusterForTests(
  file: string,
  needs: ClusterNeeds = {},
): Promise<TestCluster | undefined> {
  const log = (line: string) => console.log(`${file}: ${line}`);
  const skip = (reason: string) => {
    console.warn(`${file} tests skipped: ${reason}`);
    return undefined;
  };
  if (!(await dockerAvailable())) return skip('no Docker engine answers (start dockerd)');
  if (needs.kubectl && !kubectlAvailable()) return skip('kubectl is not installed');
  const ensured = await ensureTestCluster(log);
  if (!ensured.cluster) return skip(ensured.reason);
  const missing =
    needs.registry && !ensured.cluster.registry
      ? 'set DEIS_TEST_REGISTRY, _USERNAME and _PASSWORD for your cluster'
      : needs.hostRouted && !ensured.cluster.hostRouted
        ? 'they need pods and Services routed from this host (the test cluster built here)'
        : undefined;
  if (!missing) return ensured.cluster;
  await ensured.cluster.release();
  return skip(missing);
}
