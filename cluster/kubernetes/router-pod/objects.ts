/**
 * What the router is on a cluster (pure): its namespace, the pull secret for the target's registry,
 * a Secret holding nginx.conf and the fallback certificate, a Deployment of one nginx pod and a
 * NodePort Service for 80 and 443.
 *
 * - The pod is the image the Docker target runs, by digest; nginx.conf (rendered by the same
 *   config.ts, without the API route) and the fallback certificate come from the Secret, mounted at
 *   the paths the image reads. The tables live in an emptyDir, so a restarted container (not a new
 *   pod) routes as before with no core.
 * - It is ready only once it holds tables (the core writes backends last: the file is there only
 *   after a whole set), so a new pod gets no traffic before the core has told it everything.
 * - A change of image or nginx.conf is a rolling update: the new pod starts next to the old one
 *   (maxSurge 1, maxUnavailable 0), gets its tables, turns ready, and only then does the old one
 *   leave: it waits (preStop) until kube-proxy has stopped sending it connections, then nginx quits
 *   gracefully, finishing what it was serving.
 * - The Service keeps the client's address (externalTrafficPolicy: Local: no SNAT to a node's
 *   address), so the whitelists see who connects, as on Docker.
 * - The pod gets no service-account token: it never talks to the API server.
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { ownLabels, PULL_SECRET } from '../names';
import { registryServer, type TargetRegistry } from '../push';
import { STATE_DIR } from '../../docker/router/lua';
import { FALLBACK_CERT } from '../../docker/router/config';
import { METRICS_LUA_PATH } from '../../docker/router/metrics-lua';
import { KUBE_ROUTER_DRAIN_SECONDS, KUBE_ROUTER_ENDPOINT_DELAY_SECONDS } from '../../../main/contract/limits';

export const ROUTER_NAME = 'deis-router';
export const CONFIG_SECRET = 'deis-router-config';
export const CONTAINER = 'router';
/** On the Deployment: the local image tag the digest was pushed from (spares a push when unchanged). */
export const ANNOTATION_LOCAL_IMAGE = 'deis-desktop/router-image';
/** On the pod template: the hash of nginx.conf and the fallback certificate (a change rolls the pod). */
export const ANNOTATION_CONFIG = 'deis-desktop/router-config';

/** The labels of the router's objects and pods (also the Deployment's selector and the Service's). */
export const routerLabels = (instance: string): Record<string, string> => ({
  ...ownLabels(instance, 'router'),
  app: ROUTER_NAME,
});

export function namespaceObject(instance: string, name: string): k8s.V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: ownLabels(instance, 'router') } };
}

export function pullSecretObject(
  instance: string,
  namespace: string,
  registry: TargetRegistry,
): k8s.V1Secret {
  const server = registryServer(registry);
  const auths =
    registry.username && registry.password
      ? {
          [server]: {
            username: registry.username,
            password: registry.password,
            auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64'),
          },
        }
      : {};
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: PULL_SECRET, namespace, labels: ownLabels(instance, 'router') },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  };
}

export interface RouterFiles {
  nginxConf: string;
  /** The request counters' Lua module (docker/router/metrics-lua.ts), beside nginx.conf's Lua. */
  metricsLua: string;
  /** Certificate and key, PEM. */
  fallback: string;
}

export const configHash = (files: RouterFiles): string =>
  createHash('sha256')
    .update(files.nginxConf)
    .update('\0')
    .update(files.fallback)
    .update('\0')
    .update(files.metricsLua)
    .digest('hex')
    .slice(0, 16);

export function configSecretObject(instance: string, namespace: string, files: RouterFiles): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CONFIG_SECRET, namespace, labels: ownLabels(instance, 'router') },
    type: 'Opaque',
    data: {
      'nginx.conf': Buffer.from(files.nginxConf).toString('base64'),
      'fallback.pem': Buffer.from(files.fallback).toString('base64'),
      'deis_metrics.lua': Buffer.from(files.metricsLua).toString('base64'),
    },
  };
}

export interface ServicePorts {
  /** A fixed nodePort for HTTP; 0: the cluster's choice. */
  http: number;
  /** A fixed nodePort for HTTPS; 0: the cluster's choice. */
  https: number;
}

export function serviceObject(instance: string, namespace: string, ports: ServicePorts): k8s.V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: ROUTER_NAME, namespace, labels: ownLabels(instance, 'router') },
    spec: {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      selector: routerLabels(instance),
      ports: [
        {
          name: 'http',
          port: 80,
          targetPort: 80,
          protocol: 'TCP',
          ...(ports.http ? { nodePort: ports.http } : {}),
        },
        {
          name: 'https',
          port: 443,
          targetPort: 443,
          protocol: 'TCP',
          ...(ports.https ? { nodePort: ports.https } : {}),
        },
      ],
    },
  };
}

export function deploymentObject(
  instance: string,
  namespace: string,
  image: string,
  localImage: string,
  hash: string,
  /** False when the image was loaded into the nodes: no registry to log in to. */
  pullSecret = true,
): k8s.V1Deployment {
  const labels = routerLabels(instance);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: ROUTER_NAME,
      namespace,
      labels,
      annotations: { [ANNOTATION_LOCAL_IMAGE]: localImage },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: { [ANNOTATION_CONFIG]: hash } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(pullSecret ? { imagePullSecrets: [{ name: PULL_SECRET }] } : {}),
          terminationGracePeriodSeconds: KUBE_ROUTER_ENDPOINT_DELAY_SECONDS + KUBE_ROUTER_DRAIN_SECONDS,
          containers: [
            {
              name: CONTAINER,
              image,
              ...(pullSecret ? {} : { imagePullPolicy: 'IfNotPresent' }),
              ports: [
                { name: 'http', containerPort: 80, protocol: 'TCP' },
                { name: 'https', containerPort: 443, protocol: 'TCP' },
              ],
              readinessProbe: {
                exec: { command: ['test', '-f', `${STATE_DIR}/backends.txt`] },
                periodSeconds: 1,
                // Once there the file stays: a failure is a probe that could not run in time.
                failureThreshold: 3,
                successThreshold: 1,
                timeoutSeconds: 5,
              },
              livenessProbe: {
                tcpSocket: { port: 80 },
                initialDelaySeconds: 5,
                periodSeconds: 10,
                failureThreshold: 3,
                timeoutSeconds: 5,
              },
              lifecycle: {
                preStop: { exec: { command: ['sleep', String(KUBE_ROUTER_ENDPOINT_DELAY_SECONDS)] } },
              },
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
                { name: 'config', mountPath: FALLBACK_CERT, subPath: 'fallback.pem', readOnly: true },
                { name: 'config', mountPath: METRICS_LUA_PATH, subPath: 'deis_metrics.lua', readOnly: true },
                { name: 'tables', mountPath: STATE_DIR },
              ],
            },
          ],
          volumes: [
            {
              name: 'config',
              secret: {
                secretName: CONFIG_SECRET,
                defaultMode: 0o400,
                // nginx's workers (not root) load the Lua module; the key stays root's only.
                items: [
                  { key: 'nginx.conf', path: 'nginx.conf' },
                  { key: 'fallback.pem', path: 'fallback.pem' },
                  { key: 'deis_metrics.lua', path: 'deis_metrics.lua', mode: 0o444 },
                ],
              },
            },
            { name: 'tables', emptyDir: {} },
          ],
        },
      },
    },
  };
}
