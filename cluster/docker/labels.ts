/** The labels and names that mark what the Docker target created, so it can find and adopt it again. */
import { createHash, randomBytes } from 'node:crypto';

/** Marks an object as ours; the value is the instance, so two cores on one engine never mix. */
export const LABEL_INSTANCE = 'io.deis-desktop.instance';
export const LABEL_ROLE = 'io.deis-desktop.role';
export const LABEL_APP = 'io.deis-desktop.app';
export const LABEL_TYPE = 'io.deis-desktop.type';
export const LABEL_VERSION = 'io.deis-desktop.version';
/**
 * On images the builder made: the uuid of the app they were built for. A name can pass to a new app
 * (and another core on the same engine may use the same names); a uuid never does.
 */
export const LABEL_APP_UUID = 'io.deis-desktop.app-uuid';

/** On a backing service's container and volume: the service's name. */
export const LABEL_SERVICE = 'io.deis-desktop.service';

export type Role = 'process' | 'run' | 'router' | 'network' | 'image' | 'service';

export function labelsFor(
  instance: string,
  role: Role,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [LABEL_INSTANCE]: instance, [LABEL_ROLE]: role, ...extra };
}

/** Docker's label filter for everything of one role of this instance. */
export function roleFilter(instance: string, role: Role, app?: string): { label: string[] } {
  const label = [`${LABEL_INSTANCE}=${instance}`, `${LABEL_ROLE}=${role}`];
  if (app) label.push(`${LABEL_APP}=${app}`);
  return { label };
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters like the random suffix of a Kubernetes pod name. */
export function podSuffix(): string {
  return [...randomBytes(5)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * Ten characters that stand for a release's processes of one type, as the pod-template hash of a
 * ReplicaSet does on Kubernetes: the same for every process of that release and type, another for
 * the next release.
 */
export function templateHash(app: string, version: number, type: string): string {
  const digest = createHash('sha256').update(`${app}\0${version}\0${type}`).digest();
  return [...digest.subarray(0, 10)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * Process names as Deis Workflow's pods are named (its Deployments): `<app>-<type>-<10 chars of the
 * release>-<5 chars>`, so `deis ps` reads the same on Docker as on Kubernetes; one-off runs are
 * `<app>-run-<5 chars>`. Processes started before this were `<app>-v<N>-<type>-<5 chars>`.
 */
export const processName = (app: string, version: number, type: string): string =>
  `${app}-${type}-${templateHash(app, version, type)}-${podSuffix()}`;

export const runName = (app: string): string => `${app}-run-${podSuffix()}`;
