/**
 * How the Kubernetes target names and labels what it creates, as Deis Workflow did: a namespace per
 * app (named as the app), a Deployment per process type `<app>-<type>` whose pods carry the `app`,
 * `type`, `version` and `heritage` labels, and a Secret per release holding its environment. Every
 * object also carries this installation's labels, so a cluster shared by several cores (or with
 * other software) has nothing adopted or removed that is not ours.
 */

/** Marks every object the target creates. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'deis-desktop';
/** The core installation (DEIS_INSTANCE) an object belongs to. */
export const LABEL_INSTANCE = 'deis-desktop/instance';
/** What an object is to the target: `app` (a namespace), `process`, `run`, `release-env`, `router`, `autoscaler`, `service`. */
export const LABEL_ROLE = 'deis-desktop/role';

/** Deis's own labels on pods and Deployments. */
export const LABEL_APP = 'app';
export const LABEL_TYPE = 'type';
export const LABEL_VERSION = 'version';
export const LABEL_HERITAGE = 'heritage';
export const HERITAGE = 'deis';
/** Deis's annotation on a Deployment: the summary of the release it runs. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

export type Role = 'app' | 'process' | 'run' | 'release-env' | 'router' | 'autoscaler' | 'service';

/** The labels of everything this installation creates. */
export function ownLabels(instance: string, role: Role): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_INSTANCE]: instance, [LABEL_ROLE]: role };
}

/** A label selector (`k=v,k=v`) for objects of this installation with `role`, and optionally more labels. */
export function selector(instance: string, role: Role, more: Record<string, string> = {}): string {
  return Object.entries({ ...ownLabels(instance, role), ...more })
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The namespace of an app: the app's name, as Deis did. */
export const namespaceFor = (app: string): string => app;

/** The Deployment of one process type. */
export const deploymentName = (app: string, type: string): string => `${app}-${type}`;

/** The Secret holding a release's environment (Deis: `<app>-v<N>-env`). */
export const releaseSecretName = (app: string, version: number): string => `${app}-v${version}-env`;

/** The `version` label's value. */
export const versionLabel = (version: number): string => `v${version}`;

/** The imagePullSecret in each app's namespace, for the target's registry. */
export const PULL_SECRET = 'deis-registry';

/** The namespace of this installation's router. */
export const routerNamespace = (instance: string): string =>
  `${instance}-router`.slice(0, 63).replace(/-+$/, '');
