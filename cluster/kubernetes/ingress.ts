/**
 * The Ingress alternative to the router (DEIS_KUBE_INGRESS_CLASS): on a cluster that has an ingress
 * controller, each routable app also gets a Service (`<app>`, ClusterIP, port 80 to the app's PORT,
 * selecting its routed type's live pods) and an Ingress of that class with one rule per host name
 * (bare domains under the platform domain, as the router serves them). The router keeps running and
 * stays the default: it is what gives zero downtime and maintenance, whitelists and HTTPS redirects
 * on any cluster, which an Ingress cannot say in a way every controller understands; an app with a
 * whitelist or in maintenance gets no Ingress, so no request goes around those rules.
 *
 * Only `networking.k8s.io/v1` (Kubernetes 1.19 and later) and core/v1.
 */
import type * as k8s from '@kubernetes/client-node';
import { hostNames } from '../docker/router/config';
import type { Routing } from '../target';
import { apiStatus, orMissing, type Kube } from './client';
import { podSelector } from './manifests';
import { namespaceFor, ownLabels } from './names';

export interface IngressSettings {
  /** The IngressClass the Ingresses name (`spec.ingressClassName`). */
  className: string;
  /** Bare domains (an app's id) are served as `<name>.<platformDomain>`. */
  platformDomain: string;
}

/** The app's Service and Ingress are both named after it, in its namespace. */
export const ingressName = (app: string): string => app;

export function appServiceManifest(
  instance: string,
  app: string,
  routed: string,
  port: number,
): k8s.V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: ingressName(app),
      namespace: namespaceFor(app),
      labels: ownLabels(instance, 'process'),
    },
    spec: {
      type: 'ClusterIP',
      selector: podSelector(app, routed),
      ports: [{ name: 'http', port: 80, targetPort: port, protocol: 'TCP' }],
    },
  };
}

/**
 * The Ingress for the app's host names; undefined when it has none to serve (not routable), and
 * while it has a whitelist or is in maintenance: only the router enforces those, so such an app is
 * reached through the router alone rather than around its rules.
 */
export function ingressManifest(
  instance: string,
  app: string,
  routing: Routing,
  settings: IngressSettings,
): k8s.V1Ingress | undefined {
  if (!routing.routable || routing.domains.length === 0) return undefined;
  if (routing.whitelist.length > 0 || routing.maintenance) return undefined;
  const hosts = [
    ...new Set(hostNames(routing.domains, settings.platformDomain).map((h) => h.toLowerCase())),
  ].sort();
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: ingressName(app),
      namespace: namespaceFor(app),
      labels: ownLabels(instance, 'process'),
    },
    spec: {
      ingressClassName: settings.className,
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: ingressName(app), port: { number: 80 } } },
            },
          ],
        },
      })),
    },
  };
}

/** Creates or replaces what the app's routing asks for, and removes the Ingress it no longer wants. */
export async function applyIngress(
  kube: Kube,
  instance: string,
  app: string,
  routing: Routing,
  serving: { routed: string | undefined; port: number | undefined },
  settings: IngressSettings,
): Promise<void> {
  const namespace = namespaceFor(app);
  const name = ingressName(app);
  const ingress =
    serving.routed && serving.port ? ingressManifest(instance, app, routing, settings) : undefined;
  if (!ingress || !serving.routed || !serving.port) {
    await orMissing(kube.networking.deleteNamespacedIngress({ name, namespace }));
    await orMissing(kube.core.deleteNamespacedService({ name, namespace }));
    return;
  }
  const service = appServiceManifest(instance, app, serving.routed, serving.port);
  const existing = await orMissing(kube.core.readNamespacedService({ name, namespace }));
  if (!existing) await kube.core.createNamespacedService({ namespace, body: service });
  else {
    // A Service keeps its ClusterIP: only the selector and ports change.
    existing.spec = { ...existing.spec, selector: service.spec!.selector, ports: service.spec!.ports };
    await kube.core.replaceNamespacedService({ name, namespace, body: existing });
  }
  try {
    await kube.networking.createNamespacedIngress({ namespace, body: ingress });
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
    const current = await kube.networking.readNamespacedIngress({ name, namespace });
    ingress.metadata!.resourceVersion = current.metadata?.resourceVersion;
    await kube.networking.replaceNamespacedIngress({ name, namespace, body: ingress });
  }
}
