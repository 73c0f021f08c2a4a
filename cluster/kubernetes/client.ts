/**
 * The connection to a Kubernetes cluster: a kubeconfig file (and optionally one of its contexts),
 * as `kubectl` would use it. The client library is loaded on first use (it is large, and the core
 * must start quickly when it runs on Docker).
 */
import fs from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { TargetError } from '../target';
import { forwardThroughBastion, type BastionSettings } from '../ssh/bastion';
import { SshError } from '../ssh/errors';

export type KubeLibrary = typeof k8s;

let library: Promise<KubeLibrary> | undefined;

/** `@kubernetes/client-node`, imported once. */
export function kubeLibrary(): Promise<KubeLibrary> {
  library ??= import('@kubernetes/client-node');
  return library;
}

export interface KubeSettings {
  /** DEIS_KUBECONFIG: the kubeconfig file. */
  kubeconfig: string;
  /** DEIS_KUBE_CONTEXT: a context of that file; its current context when absent. */
  context?: string;
  /** An SSH bastion through which the API server is reached (DEIS_KUBE_BASTION, a target's --bastion). */
  bastion?: BastionSettings;
}

/** The clients of one cluster the target uses. */
export interface Kube {
  lib: KubeLibrary;
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  networking: k8s.NetworkingV1Api;
  /** The context in use and the API server's address, for messages. */
  context: string;
  server: string;
}

/** Reads the kubeconfig and makes the clients; throws TargetError `unavailable` with a sentence when it cannot. */
export async function connectKube(settings: KubeSettings): Promise<Kube> {
  const lib = await kubeLibrary();
  const config = new lib.KubeConfig();
  try {
    // Read here, so a missing file is named rather than reported as an empty config.
    config.loadFromString(fs.readFileSync(settings.kubeconfig, 'utf8'));
  } catch (err) {
    throw new TargetError(
      'unavailable',
      `The kubeconfig ${settings.kubeconfig} cannot be read: ${(err as Error).message}`,
    );
  }
  if (settings.context) {
    if (!config.getContextObject(settings.context))
      throw new TargetError(
        'unavailable',
        `The kubeconfig ${settings.kubeconfig} has no context named ${settings.context} (it has: ${
          config
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }).`,
      );
    config.setCurrentContext(settings.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new TargetError(
      'unavailable',
      `The kubeconfig ${settings.kubeconfig} names no cluster for its context ${config.getCurrentContext() || '(none)'}.`,
    );
  if (settings.bastion) await throughBastion(config, cluster, settings.bastion);
  return {
    lib,
    config,
    core: config.makeApiClient(lib.CoreV1Api),
    apps: config.makeApiClient(lib.AppsV1Api),
    networking: config.makeApiClient(lib.NetworkingV1Api),
    context: config.getCurrentContext(),
    server: cluster.server,
  };
}

/** The HTTP status of a failed API call (client-node 1.x throws ApiException with `code`). */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's reason for a failed call, in one line. */
export function apiReason(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const message = (JSON.parse(body) as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    } catch {
      /* not JSON */
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string')
    return (body as { message: string }).message;
  return (err as Error).message?.split('\n')[0] ?? String(err);
}

/** Runs an API call; a 404 is `undefined`. */
export async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Points the current cluster at a local port forwarded through the bastion, keeping TLS verified for
 * the server's real name (`tls-server-name`, as kubectl's own option), never skipped.
 */
async function throughBastion(
  config: k8s.KubeConfig,
  cluster: k8s.Cluster,
  bastion: BastionSettings,
): Promise<void> {
  if (cluster.proxyUrl)
    throw new TargetError(
      'unavailable',
      `The cluster ${cluster.name} has a proxy-url and a bastion: use one of them.`,
    );
  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new TargetError('unavailable', `The cluster ${cluster.name} has no valid server address.`);
  }
  const host = server.hostname.replace(/^\[|\]$/g, '');
  const port = Number(server.port) || (server.protocol === 'http:' ? 80 : 443);
  let local: number;
  try {
    local = (await forwardThroughBastion(bastion, host, port)).port;
  } catch (err) {
    if (err instanceof SshError) throw new TargetError('unavailable', err.message);
    throw err;
  }
  const through: k8s.Cluster = {
    ...cluster,
    server: `${server.protocol}//127.0.0.1:${local}${server.pathname.replace(/\/$/, '')}`,
    tlsServerName: cluster.tlsServerName || host,
  };
  config.clusters = config.clusters.map((c) => (c.name === cluster.name ? through : c));
}
