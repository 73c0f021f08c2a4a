/**
 * What the Kubernetes target needs of a router: the Docker Router's shape. The target keeps each
 * app's routing and upstreams (`podIP:port` of its ready routed pods) and hands the whole table to
 * `apply` whenever it changes; the router inside the cluster (kube-router.ts) implements this.
 * Until one is plugged in, `NoRouter` keeps the table and routes nothing.
 */
import type { RouteEntry } from '../docker/router/config';
import type { Progress, TrafficCounters } from '../target';
import type { Kube } from './client';

export interface KubeRouterLike {
  /** Where apps answer (`http://<host>:<port>`), empty until the router runs or when there is none. */
  readonly url: string;
  /** Where apps answer HTTPS (`https://<host>:<port>`), empty as `url` is; absent: no HTTPS. */
  readonly tlsUrl?: string;
  /** Deploys (or adopts) the router in the cluster; resolves when it answers. */
  ensure(progress: Progress): Promise<void>;
  /** Replaces the routing table; resolves when the router uses it. */
  apply(routes: RouteEntry[]): Promise<void>;
  /** Resolves when requests given to these `ip:port`s (now out of rotation) have finished, or after `ms` (true: drained, if the router can tell). */
  drained(peers: string[], ms: number): Promise<boolean | void>;
  /** What the router sends each app's requests to now (app → `ip:port`s), as it was found. */
  backends(): Map<string, string[]>;
  /** Every routed app's request counters; undefined while the router cannot tell. */
  trafficCounters?(): Promise<TrafficCounters[] | undefined>;
  close(): void;
}

/** Makes the router for a connected cluster (the target calls it in `ensureReady`). */
export type KubeRouterFactory = (kube: Kube, instance: string) => KubeRouterLike;

/** No router: the table is kept (tests and `routes()` read it) and nothing else happens. */
export class NoRouter implements KubeRouterLike {
  readonly url = '';
  routes: RouteEntry[] = [];

  async ensure(): Promise<void> {}

  async apply(routes: RouteEntry[]): Promise<void> {
    this.routes = routes;
  }

  async drained(): Promise<void> {}

  backends(): Map<string, string[]> {
    return new Map(this.routes.map((r) => [r.app, r.upstreams]));
  }

  close(): void {}
}
