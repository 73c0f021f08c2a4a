/**
 * The objects one release of an app is on Kubernetes, as Deis Workflow made them: the app's
 * namespace, the registry's imagePullSecret, a Secret holding the release's environment and a
 * Deployment per process type. Pure: the rules are the Docker target's (process-spec.ts), written
 * in Kubernetes' words.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Probe } from '../../main/contract/objects';
import { deployTimeoutMs, graceSeconds } from '../docker/converge';
import { cpuCores, memoryBytes, processCommand, processEnv, routedType } from '../docker/process-spec';
import type { Formation, ReleaseSpec } from '../target';
import {
  CHANGE_CAUSE,
  HERITAGE,
  LABEL_APP,
  LABEL_HERITAGE,
  LABEL_TYPE,
  LABEL_VERSION,
  PULL_SECRET,
  deploymentName,
  namespaceFor,
  ownLabels,
  releaseSecretName,
  versionLabel,
} from './names';
import { registryServer, type TargetRegistry } from './push';

/**
 * In the Deployment's selector and its pods: `true` while the ReplicaSet owns the pod. A restart
 * sets it to `false` on the pods it replaces: the ReplicaSet lets go of them and starts their
 * replacements at once, while they keep serving until the replacements are ready.
 */
export const LABEL_LIVE = 'deis-desktop/live';
/** On pods: the port the app listens on (PORT), where the router sends requests. */
export const ANNOTATION_PORT = 'deis-desktop/port';
/** On Deployments: the release version they run (also the pods' `version` label). */
export const ANNOTATION_RELEASE = 'deis-desktop/release';

/** On Deployments: the local engine's id of the image they run, whose digest they name. */
export const ANNOTATION_IMAGE_ID = 'deis-desktop/image-id';

/** How a process waits before it gets SIGTERM, so requests the router already gave it finish. */
export type PreStopWait =
  /** The image has `sleep` (coreutils or busybox). */
  | { kind: 'sleep'; path: string }
  /** No `sleep`, but bash: its `read -t` on a pipe nobody writes to waits as long. */
  | { kind: 'bash'; path: string }
  /** Neither (a scratch or distroless image): no wait; the router's drain is all there is. */
  | { kind: 'none' };

/** Seconds a retiring process keeps serving after it left the router's rotation (at most the grace period less one second). */
export const PRESTOP_SECONDS = 5;

export interface DeploymentInput {
  instance: string;
  release: ReleaseSpec;
  type: string;
  replicas: number;
  /** `<registry>/<app>@sha256:…`, or a loaded image's `deis-desktop.invalid/<app>:<id>` */
  image: string;
  port: number;
  /** The routed type of the formation, if any. */
  routed: string | undefined;
  preStop: PreStopWait;
  tags?: Record<string, string>;
  /** Whether pods pull with the registry's secret; false when images are loaded into the nodes. */
  pullSecret?: boolean;
}

export function namespaceManifest(instance: string, app: string): k8s.V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespaceFor(app), labels: { ...ownLabels(instance, 'app'), [LABEL_APP]: app } },
  };
}

/** The registry's credentials as a `kubernetes.io/dockerconfigjson` Secret. */
export function pullSecretManifest(instance: string, app: string, registry: TargetRegistry): k8s.V1Secret {
  return registrySecret(
    namespaceFor(app),
    { ...ownLabels(instance, 'release-env'), [LABEL_APP]: app },
    registry,
  );
}

/** The `PULL_SECRET` of a namespace: the registry's login as a `kubernetes.io/dockerconfigjson` Secret. */
export function registrySecret(
  namespace: string,
  labels: Record<string, string>,
  registry: TargetRegistry,
): k8s.V1Secret {
  const server = registryServer(registry);
  const entry: Record<string, string> = {};
  if (registry.username && registry.password) {
    entry.username = registry.username;
    entry.password = registry.password;
    entry.auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: PULL_SECRET, namespace, labels },
    stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [server]: entry } }) },
  };
}

/** The release's environment (Deis's own variables, then the app's), one key per variable. */
export function envSecretManifest(instance: string, release: ReleaseSpec, port: number): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: releaseSecretName(release.app, release.version),
      namespace: namespaceFor(release.app),
      labels: {
        ...ownLabels(instance, 'release-env'),
        [LABEL_APP]: release.app,
        [LABEL_VERSION]: versionLabel(release.version),
        [LABEL_TYPE]: 'env',
      },
    },
    stringData: processEnv(release, port),
  };
}

/** A Deis probe (a Kubernetes probe already) with the app's PORT where it names none. */
function probeFor(probe: Probe, port: number): k8s.V1Probe {
  const out: k8s.V1Probe = {
    initialDelaySeconds: probe.initialDelaySeconds,
    timeoutSeconds: probe.timeoutSeconds,
    periodSeconds: probe.periodSeconds,
    successThreshold: probe.successThreshold,
    failureThreshold: probe.failureThreshold,
  };
  if (probe.exec) out.exec = { command: probe.exec.command };
  else if (probe.httpGet)
    out.httpGet = {
      path: probe.httpGet.path || '/',
      port: probe.httpGet.port ?? port,
      host: probe.httpGet.host,
      scheme: probe.httpGet.scheme,
      httpHeaders: probe.httpGet.httpHeaders,
    };
  else if (probe.tcpSocket) out.tcpSocket = { port: probe.tcpSocket.port };
  else out.tcpSocket = { port };
  return out;
}

function limits(release: ReleaseSpec, type: string): k8s.V1ResourceRequirements | undefined {
  const memory = memoryBytes(release.memory[type]);
  const cpu = cpuCores(release.cpu[type]);
  const res: { limits: Record<string, string>; requests: Record<string, string> } = {
    limits: {},
    requests: {},
  };
  if (memory.limit) res.limits.memory = String(memory.limit);
  if (memory.request) res.requests.memory = String(memory.request);
  if (cpu.limit) res.limits.cpu = `${Math.max(1, Math.round(cpu.limit * 1000))}m`;
  if (cpu.request) res.requests.cpu = `${Math.max(1, Math.round(cpu.request * 1000))}m`;
  if (!Object.keys(res.limits).length && !Object.keys(res.requests).length) return undefined;
  return res;
}

/** The labels that select a type's pods: Deis's, plus LABEL_LIVE. */
export function podSelector(app: string, type: string): Record<string, string> {
  return { [LABEL_APP]: app, [LABEL_TYPE]: type, [LABEL_HERITAGE]: HERITAGE, [LABEL_LIVE]: 'true' };
}

export function preStopHandler(wait: PreStopWait, grace: number): k8s.V1Lifecycle | undefined {
  const seconds = Math.min(PRESTOP_SECONDS, grace - 1);
  if (seconds < 1 || wait.kind === 'none') return undefined;
  const command =
    wait.kind === 'sleep'
      ? [wait.path, String(seconds)]
      : [wait.path, '-c', `read -t ${seconds} <> <(:) || true`];
  return { preStop: { exec: { command } } };
}

export function deploymentManifest(d: DeploymentInput): k8s.V1Deployment {
  const { release, type, instance } = d;
  const app = release.app;
  const grace = graceSeconds(release.values);
  const routed = type === d.routed;
  const checks = release.healthcheck[type] ?? (routed ? release.healthcheck['web/cmd'] : undefined);
  const env = processEnv(release, d.port);
  const command = processCommand(release, type);
  const podLabels = {
    ...ownLabels(instance, 'process'),
    ...podSelector(app, type),
    [LABEL_VERSION]: versionLabel(release.version),
  };
  // Our own check when the app has none: a routed process gets traffic once it accepts connections.
  const readiness = checks?.readinessProbe
    ? probeFor(checks.readinessProbe, d.port)
    : routed
      ? { tcpSocket: { port: d.port }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 }
      : undefined;
  const container: k8s.V1Container = {
    name: deploymentName(app, type),
    image: d.image,
    imagePullPolicy: 'IfNotPresent',
    command: command.entrypoint,
    args: command.cmd,
    env: Object.keys(env).map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: releaseSecretName(app, release.version), key: name } },
    })),
    ports: routed ? [{ name: 'http', containerPort: d.port, protocol: 'TCP' }] : undefined,
    readinessProbe: readiness,
    livenessProbe: checks?.livenessProbe ? probeFor(checks.livenessProbe, d.port) : undefined,
    resources: limits(release, type),
    lifecycle: preStopHandler(d.preStop, grace),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(app, type),
      namespace: namespaceFor(app),
      labels: {
        ...ownLabels(instance, 'process'),
        [LABEL_APP]: app,
        [LABEL_TYPE]: type,
        [LABEL_HERITAGE]: HERITAGE,
      },
      annotations: { [CHANGE_CAUSE]: release.summary, [ANNOTATION_RELEASE]: String(release.version) },
    },
    spec: {
      replicas: d.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: podSelector(app, type) },
      // All new pods at once, none of the old ones stopped before a new one is available.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } },
      progressDeadlineSeconds: Math.max(60, Math.ceil(deployTimeoutMs(release.values) / 1000) * 2),
      template: {
        metadata: { labels: podLabels, annotations: { [ANNOTATION_PORT]: String(d.port) } },
        spec: {
          containers: [container],
          ...(d.pullSecret === false ? {} : { imagePullSecrets: [{ name: PULL_SECRET }] }),
          nodeSelector: d.tags && Object.keys(d.tags).length ? d.tags : undefined,
          terminationGracePeriodSeconds: grace,
          // Apps never reach the cluster's API, and get no variables of other Services.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}

/** The routed type of a formation (types with at least one process). */
export function routedOf(formation: Formation): string | undefined {
  return routedType(Object.keys(formation).filter((t) => (formation[t] ?? 0) > 0));
}
