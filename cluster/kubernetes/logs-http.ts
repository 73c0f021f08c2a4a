/**
 * Long-lived reads from the API server — a container's log and a watch on pods — as plain HTTP
 * responses with the kubeconfig's credentials. client-node's `Log` pipes the response into a
 * stream without passing on its errors, so a dropped connection would leave a follower waiting for
 * ever; here the caller sees every end, reads only as fast as it takes the data, and a watch's
 * events are cut into lines that are each bounded.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { K8S_API_ERROR_BODY_MAX_CHARS, K8S_WATCH_EVENT_MAX_CHARS } from '../../main/contract/limits';
import { lineSplitter } from '../docker/lines';
import type { Kube } from './client';

/** A refused request, with the API server's status and its reason. */
export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a GET of `path` with `query` and resolves with the response once its status is 200 (the
 * body still to be read). Rejects with KubeHttpError and the server's message otherwise. `signal`
 * ends the request (the response then ends or fails).
 */
export async function kubeGet(
  kube: Kube,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const cluster = kube.config.getCurrentCluster();
  if (!cluster) throw new KubeHttpError(0, 'The kubeconfig names no cluster.');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await kube.config.applyToHTTPSOptions(options);
  const request = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, signal }, (res) => {
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      // The reason is in a Status object; read a bounded part of it.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < K8S_API_ERROR_BODY_MAX_CHARS)
          body += chunk.slice(0, K8S_API_ERROR_BODY_MAX_CHARS - body.length);
      });
      const fail = () => reject(new KubeHttpError(res.statusCode ?? 0, statusMessage(body, res.statusCode)));
      res.on('end', fail);
      res.on('error', fail);
    });
    // A follow may be silent for hours: keepalives notice a peer that went away without a word.
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', (err) => reject(new KubeHttpError(0, err.message)));
    req.end();
  });
}

function statusMessage(body: string, status: number | undefined): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message;
  } catch {
    /* not a Status */
  }
  return `the API server answered ${status ?? 'nothing'}`;
}

/** One event of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object. */
export interface WatchEvent<T> {
  type: string;
  object: T;
}

/**
 * Watches a list path (`/api/v1/namespaces/x/pods`) from `resourceVersion` and hands each event
 * on; resolves when the watch ends (the server's timeout, a dropped connection, `signal`). An
 * event longer than K8S_WATCH_EVENT_MAX_CHARS is dropped (the caller lists again on every end).
 */
export async function watchList<T>(
  kube: Kube,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (event: WatchEvent<T>) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await kubeGet(kube, path, { ...query, watch: true, allowWatchBookmarks: true }, signal);
  const lines = lineSplitter((line) => {
    try {
      const event = JSON.parse(line) as WatchEvent<T>;
      if (event && typeof event.type === 'string' && event.object) onEvent(event);
    } catch {
      /* cut or not JSON: skipped */
    }
  }, K8S_WATCH_EVENT_MAX_CHARS);
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) lines.write(chunk);
  } catch {
    /* the connection ended: the caller lists and watches again */
  }
}
