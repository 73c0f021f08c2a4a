/**
 * Picks the target releases run on: the local Docker engine (the default), a Kubernetes cluster
 * (DEIS_TARGET=kubernetes), or an in-memory fake for tests of the API that need no engine
 * (DEIS_TARGET=fake).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { DockerTarget } from './docker/docker-target';
import { FakeTarget } from './fake/fake-target';
import type { KubeSettings } from './kubernetes/client';
import { KubernetesTarget } from './kubernetes/kubernetes-target';
import type { TargetRegistry } from './kubernetes/push';
import type { ImageDelivery } from './kubernetes/delivery';
import type { KubeRouterFactory } from './kubernetes/router-hook';
import { KubeRouter } from './kubernetes/router';
import { dockerEngine } from './docker/engine';
import { removeInstanceObjects } from './docker/instance';
import { dockerOverSsh } from './ssh/docker-engine';
import type { SshOptions } from './ssh/connect';
import { LocalAuthority } from '../main/tls/authority';
import { TargetError, type Target } from './target';

export type TargetKind = 'docker' | 'fake' | 'kubernetes';

export interface TargetSettings {
  kind: TargetKind;
  /** Names the network, the router and the labels of this installation on a shared engine. */
  instance: string;
  home: string;
  routerPort: number;
  /** DEIS_ROUTER_TLS_PORT (0: any free port), and whether it is only the default. */
  routerTlsPort?: number;
  routerTlsPortDefault?: boolean;
  /** DEIS_ROUTER_BASE: the Debian image the router's nginx is installed on. */
  routerBase: string;
  platformDomain: string;
  /** The local certificate authority for HTTPS on names under the platform domain. */
  authority?: LocalAuthority;
  /** Leave containers of the instance that belong to no known app (the store is new). */
  keepOrphans?: boolean;
  /** DEIS_TARGET=kubernetes: the cluster (DEIS_KUBECONFIG, DEIS_KUBE_CONTEXT) and the registry it pulls from. */
  kubernetes?: { kube: KubeSettings; registry: TargetRegistry; ingressClass?: string; storageClass?: string };
  /** The router inside the cluster (none: nothing is routed). */
  kubeRouter?: KubeRouterFactory;
}

/** A target, and the port its router answers on once it is ready (0 until then, or when it has none). */
export type RunningTarget = Target & {
  readonly routerPort: number;
  readonly routerTlsPort?: number;
  /** Where apps answer when it is not this machine's loopback (the router on a cluster); empty otherwise. */
  readonly routerUrl?: string;
  /** …and where they answer HTTPS there; empty otherwise. */
  readonly routerTlsUrl?: string;
};

export function createTarget(settings: TargetSettings): RunningTarget {
  switch (settings.kind) {
    case 'docker':
      return new DockerTarget({
        ...settings,
        tlsPort: settings.routerTlsPort,
        tlsPortFlexible: settings.routerTlsPortDefault,
      });
    case 'fake':
      return new FakeTarget();
    case 'kubernetes':
      if (!settings.kubernetes)
        throw new Error('DEIS_TARGET=kubernetes needs DEIS_KUBECONFIG and DEIS_REGISTRY (see the README).');
      return new KubernetesTarget({
        instance: settings.instance,
        kube: settings.kubernetes.kube,
        registry: settings.kubernetes.registry,
        keepOrphans: settings.keepOrphans,
        router:
          settings.kubeRouter ??
          clusterRouter(settings, { kind: 'registry', registry: settings.kubernetes.registry }),
        home: settings.home,
        ingress: settings.kubernetes.ingressClass
          ? { className: settings.kubernetes.ingressClass, platformDomain: settings.platformDomain }
          : undefined,
        storageClass: settings.kubernetes.storageClass,
      });
  }
}

/** A Kubernetes cluster the user added as a target (`deis targets:add`), beside the core's own target. */
export interface AddedKubeTarget {
  /** The target's name: its objects are labelled apart from every other target's on a shared cluster. */
  name: string;
  kube: KubeSettings;
  registry: TargetRegistry;
  /** How images reach it; pushed to `registry` when absent (a kind cluster loads them into its nodes). */
  delivery?: ImageDelivery;
}

/**
 * The instance label of an added target's objects: `<instance>-<name>`, so two targets on one
 * cluster (or the core's own DEIS_TARGET=kubernetes) never take each other's apps for orphans.
 * A label value has at most 63 characters; a longer one ends in a hash of the name instead.
 */
export function addedTargetInstance(instance: string, name: string): string {
  const plain = `${instance}-${name}`;
  if (plain.length <= 63) return plain;
  const hash = crypto.createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${instance.slice(0, 52).replace(/[-_.]+$/, '')}-${hash}`;
}

/** The Kubernetes target of an added cluster, with its own router, registry and log folder. */
export function createAddedKubeTarget(settings: TargetSettings, added: AddedKubeTarget): RunningTarget {
  const delivery: ImageDelivery = added.delivery ?? { kind: 'registry', registry: added.registry };
  return new KubernetesTarget({
    instance: addedTargetInstance(settings.instance, added.name),
    kube: added.kube,
    delivery,
    router: clusterRouter(settings, delivery),
    // Its apps' logs apart from the local target's, which removes the logs of apps it does not know.
    home: path.join(settings.home, 'targets', added.name),
  });
}

/** A Docker engine on another host the user added as a target (`deis targets:add --docker=ssh://…`). */
export interface AddedDockerTarget {
  name: string;
  /** `ssh://user@host[:port]` */
  url: string;
  /** The key file, our known_hosts (DEIS_HOME/ssh/known_hosts). */
  ssh: SshOptions;
}

/**
 * The Docker target of an added SSH host: its own instance label (so a host shared with `local` or
 * another core keeps them apart), its own router there, published on that host's 127.0.0.1 and
 * forwarded to a port of its own on this machine's (any free one: DEIS_ROUTER_PORT is `local`'s).
 * Releases are built by the local engine and their exact image (same id) is copied there before a
 * deploy that needs it (`imagesFrom`); nothing is connected until the target is first used.
 */
export function createAddedDockerTarget(settings: TargetSettings, added: AddedDockerTarget): RunningTarget {
  const engine = dockerOverSsh(added.url, added.ssh, (err) => new TargetError('unavailable', err.message));
  const target = new DockerTarget({
    instance: addedTargetInstance(settings.instance, added.name),
    home: path.join(settings.home, 'targets', added.name),
    routerPort: 0,
    tlsPort: 0,
    tlsPortFlexible: true,
    routerBase: settings.routerBase,
    platformDomain: settings.platformDomain,
    authority: settings.authority,
    docker: engine.docker,
    remote: { address: engine.address, sessions: engine.sessions },
    imagesFrom: dockerEngine(),
    closeEngine: () => engine.close(),
  });
  return target;
}

/** Removes what a removed Docker host target left there (its router, its networks), by its instance label. */
export async function removeDockerHostInstance(added: AddedDockerTarget, instance: string): Promise<void> {
  const engine = dockerOverSsh(added.url, added.ssh);
  try {
    await removeInstanceObjects(engine.docker, instance);
  } finally {
    engine.close();
  }
}

/**
 * The router inside the cluster: the Docker target's router image, config and tables. The cluster
 * picks its NodePorts (the 127.0.0.1 ports of DEIS_ROUTER_PORT are not NodePorts) and keeps them
 * across restarts; HTTPS names under the platform domain get the local authority's leaves, as on Docker.
 */
function clusterRouter(settings: TargetSettings, delivery: ImageDelivery): KubeRouterFactory {
  return (kube, instance) => {
    const { platformDomain } = settings;
    const authority = (settings.authority ??= LocalAuthority.open(
      path.join(settings.home, 'tls'),
      platformDomain,
    ));
    return new KubeRouter(kube, dockerEngine(), {
      instance,
      base: settings.routerBase,
      delivery,
      platformDomain,
      localCertificates: (host) => (authority.covers(host) ? authority.leaf(host) : undefined),
      fallbackCertificate: authority.leaf(platformDomain),
    });
  };
}
