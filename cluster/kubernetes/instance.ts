/**
 * `deis instance:stop`, `:start` and `:remove` on a cluster: stopping removes the instance's
 * Deployments (its processes and its router) and leaves namespaces, Secrets and images, so a start
 * converges back from the store as a restarted core does; removing deletes every namespace of the
 * instance. Only objects carrying this instance's labels are touched.
 */
import { LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_ROLE, MANAGED_BY, namespaceFor } from './names';
import { connectKube, orMissing, type KubeSettings } from './client';

const instanceSelector = (instance: string) =>
  `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_INSTANCE}=${instance}`;

/**
 * Deletes every Deployment of the instance (their pods go with them) but its backing services',
 * which keep running while the instance is stopped, as on Docker.
 */
export async function stopKubeInstance(settings: KubeSettings, instance: string): Promise<void> {
  const kube = await connectKube(settings);
  const list = await kube.apps.listDeploymentForAllNamespaces({
    labelSelector: `${instanceSelector(instance)},${LABEL_ROLE}!=service`,
  });
  await Promise.all(
    list.items.map((d) =>
      orMissing(
        kube.apps.deleteNamespacedDeployment({
          name: d.metadata!.name!,
          namespace: d.metadata!.namespace!,
          propagationPolicy: 'Foreground',
        }),
      ),
    ),
  );
}

/** Deletes every namespace of the instance (apps and router); returns how many. */
export async function removeKubeInstance(
  settings: KubeSettings,
  instance: string,
): Promise<Record<string, number>> {
  const kube = await connectKube(settings);
  const list = await kube.core.listNamespace({ labelSelector: instanceSelector(instance) });
  await Promise.all(
    list.items.map((ns) => orMissing(kube.core.deleteNamespace({ name: ns.metadata!.name! }))),
  );
  return { namespaces: list.items.length };
}

/** Deletes a destroyed app's namespace while the instance is stopped (when it is this instance's). */
export async function forgetKubeApp(settings: KubeSettings, instance: string, app: string): Promise<void> {
  const kube = await connectKube(settings);
  const ns = await orMissing(kube.core.readNamespace({ name: namespaceFor(app) }));
  if (ns?.metadata?.labels?.[LABEL_INSTANCE] === instance)
    await orMissing(kube.core.deleteNamespace({ name: namespaceFor(app) }));
}
