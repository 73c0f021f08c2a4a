/**
 * Where the test cluster keeps things: the built binaries in a cache outside the repo, keyed by the
 * Debian source version, and one state folder per running cluster.
 */
import os from 'node:os';
import path from 'node:path';

/** The Debian 12 source package the servers are built from; bump to rebuild into a new folder. */
export const DEBIAN_SOURCE_VERSION = '1.20.5+really1.20.2-1.1+deb12u1';
/** The upstream release inside it (Debian's "+really" names what the tree truly is). */
export const KUBERNETES_VERSION = 'v1.20.2';

/** The five server binaries built from the tree. */
export const SERVER_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
] as const;

/** Root of the cache: DEIS_K8S_CACHE, else /var/cache (root) or $XDG_CACHE_HOME. */
export function cacheRoot(): string {
  if (process.env.DEIS_K8S_CACHE) return path.resolve(process.env.DEIS_K8S_CACHE);
  if (process.getuid?.() === 0) return '/var/cache/deis-desktop/k8s';
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'deis-desktop', 'k8s');
}

/** The cached binaries of this version: bin/<name> plus pause.tar. */
export function versionDir(): string {
  return path.join(cacheRoot(), DEBIAN_SOURCE_VERSION);
}

/** The state of the running cluster (certs, data, logs, pids): one fixed place so `stop` finds it. */
export function stateDir(): string {
  if (process.env.DEIS_K8S_STATE) return path.resolve(process.env.DEIS_K8S_STATE);
  return path.join(os.tmpdir(), 'deis-desktop-test-cluster');
}
