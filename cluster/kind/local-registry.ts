/**
 * kind's documented local registry (https://kind.sigs.k8s.io/docs/user/local-registry/): a registry
 * container on kind's network, the nodes' containerd told to pull `localhost:5001/…` from it, and
 * the ConfigMap `kube-public/local-registry-hosting` that says so (KEP-1755). A kind target whose
 * cluster has one pushes to it — measured faster than `kind load` for a new build of an app
 * (bench/kind-delivery.ts: only the changed layers travel) — and loads images otherwise.
 */
import { REGISTRY_RE } from '../../main/contract/targets';
import { orMissing, type Kube } from '../kubernetes/client';

export const LOCAL_REGISTRY_CONFIGMAP = { namespace: 'kube-public', name: 'local-registry-hosting' };

/** The `host` of a `localRegistryHosting.v1` document (`host: "localhost:5001"`), when it is a registry address. */
export function parseLocalRegistryHosting(text: string | undefined): string | undefined {
  const host = /^\s*host:\s*["']?([^"'\s]+)["']?\s*$/m.exec(text ?? '')?.[1];
  return host && host.length <= 255 && REGISTRY_RE.test(host) ? host : undefined;
}

/** The local registry the cluster advertises, if any. */
export async function advertisedRegistry(kube: Kube): Promise<string | undefined> {
  const map = await orMissing(
    kube.core.readNamespacedConfigMap({
      name: LOCAL_REGISTRY_CONFIGMAP.name,
      namespace: LOCAL_REGISTRY_CONFIGMAP.namespace,
    }),
  ).catch(() => undefined);
  return parseLocalRegistryHosting(map?.data?.['localRegistryHosting.v1']);
}
