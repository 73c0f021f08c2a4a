/**
 * `deis autoscale:set <type> --min --max --cpu-percent` on Kubernetes: a HorizontalPodAutoscaler per
 * process type, scaling the type's Deployment on CPU as Deis's did. The API version is negotiated:
 * `autoscaling/v2` where the cluster serves it (1.23 on), else `autoscaling/v2beta2` (1.12 to 1.25);
 * both take the same spec for a CPU target.
 */
import http from 'node:http';
import https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { K8S_API_ERROR_BODY_MAX_CHARS, K8S_REQUEST_MS } from '../../main/contract/limits';
import { TargetError } from '../target';
import { apiReason, apiStatus, type Kube } from './client';
import { deploymentName, LABEL_APP, LABEL_TYPE, namespaceFor, ownLabels, selector } from './names';

/** One type's autoscaler, as `deis autoscale:set` stores it. */
export interface AutoscaleSpec {
  min: number;
  max: number;
  cpu_percent: number;
}

const versions = new WeakMap<Kube, Promise<string>>();

/** The autoscaling version the cluster serves that this target speaks (asked once per connection). */
export function autoscalingVersion(kube: Kube): Promise<string> {
  let found = versions.get(kube);
  if (!found) {
    found = (async () => {
      const group = await kube.config.makeApiClient(kube.lib.AutoscalingApi).getAPIGroup();
      const served = group.versions.map((v) => v.groupVersion);
      for (const wanted of ['autoscaling/v2', 'autoscaling/v2beta2'])
        if (served.includes(wanted)) return wanted;
      throw new TargetError(
        'setup',
        `The cluster serves ${served.join(', ') || 'no autoscaling API'}; autoscale needs autoscaling/v2 or v2beta2 (Kubernetes 1.12 or later).`,
      );
    })();
    found.catch(() => versions.delete(kube));
    versions.set(kube, found);
  }
  return found;
}

/** The HPA of one type. */
export function autoscalerManifest(
  apiVersion: string,
  instance: string,
  app: string,
  type: string,
  spec: AutoscaleSpec,
): k8s.KubernetesObject & { spec: unknown } {
  return {
    apiVersion,
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: deploymentName(app, type),
      namespace: namespaceFor(app),
      labels: { ...ownLabels(instance, 'autoscaler'), [LABEL_APP]: app, [LABEL_TYPE]: type },
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName(app, type) },
      minReplicas: spec.min,
      maxReplicas: spec.max,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.cpu_percent } },
        },
      ],
    },
  };
}

/**
 * One JSON request to the API server with the kubeconfig's credentials. Sent as is: client-node 1.4
 * has no models for autoscaling/v2beta2 and would drop the fields it does not know.
 */
async function kubeJson<T>(kube: Kube, method: string, path: string, body?: unknown): Promise<T> {
  const cluster = kube.config.getCurrentCluster();
  if (!cluster) throw new TargetError('unavailable', 'The kubeconfig names no cluster.');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  const options: https.RequestOptions = {
    method,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
  };
  await kube.config.applyToHTTPSOptions(options);
  const request = url.protocol === 'http:' ? http.request : https.request;
  return new Promise<T>((resolve, reject) => {
    const req = request(url, { ...options, timeout: K8S_REQUEST_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < K8S_API_ERROR_BODY_MAX_CHARS)
          text += chunk.slice(0, K8S_API_ERROR_BODY_MAX_CHARS - text.length);
      });
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(parsed as T);
        const message = (parsed as { message?: unknown } | undefined)?.message;
        reject(
          Object.assign(
            new Error(typeof message === 'string' ? message : `the API server answered ${status}`),
            { code: status },
          ),
        );
      });
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path} took longer than ${K8S_REQUEST_MS / 1000} s`)),
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Makes the app's autoscalers what `wanted` says, for the types that run (`types`): each is created
 * or replaced, and this instance's autoscalers of other types are deleted.
 */
export async function applyAutoscale(
  kube: Kube,
  instance: string,
  app: string,
  wanted: Record<string, AutoscaleSpec>,
  types: string[],
): Promise<void> {
  const namespace = namespaceFor(app);
  const apiVersion = await autoscalingVersion(kube);
  const base = `/apis/${apiVersion}/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers`;
  try {
    const existing = await kubeJson<{ items: k8s.KubernetesObject[] }>(
      kube,
      'GET',
      `${base}?labelSelector=${encodeURIComponent(selector(instance, 'autoscaler', { [LABEL_APP]: app }))}`,
    );
    const keep = new Set(types.filter((t) => wanted[t]));
    for (const hpa of existing.items) {
      const type = hpa.metadata?.labels?.[LABEL_TYPE];
      if (!type || !keep.has(type))
        await kubeJson(kube, 'DELETE', `${base}/${encodeURIComponent(hpa.metadata!.name!)}`).catch(
          (err: unknown) => {
            if (apiStatus(err) !== 404) throw err;
          },
        );
    }
    for (const type of keep) {
      const manifest = autoscalerManifest(apiVersion, instance, app, type, wanted[type]!);
      const name = manifest.metadata!.name!;
      const current = existing.items.find((h) => h.metadata?.name === name);
      if (current)
        await kubeJson(kube, 'PUT', `${base}/${encodeURIComponent(name)}`, {
          ...manifest,
          metadata: { ...manifest.metadata, resourceVersion: current.metadata?.resourceVersion },
        });
      else await kubeJson(kube, 'POST', base, manifest);
    }
  } catch (err) {
    if (err instanceof TargetError) throw err;
    throw new TargetError('setup', `The autoscalers of ${app} could not be set: ${apiReason(err)}`);
  }
}
