/**
 * `deis logs` on Kubernetes: the output of every process of an app, copied into the same log store
 * the Docker target keeps under DEIS_HOME (so logs outlive the pods, and `logs`, `logs -f` and the
 * controller's own lines work as there), in Deis's format `<time> <app>[<type>.v<N>.<id>]: <text>`.
 *
 * Each app's pods (this installation's `process` pods, namespace = app) are listed and watched;
 * every container is followed through the API server's log endpoint with timestamps. Where a
 * container's log has been read up to — its last entry's timestamp, to the nanosecond, and how many
 * entries carried exactly that timestamp — is kept in a cursor file next to the app's log, written
 * after the lines it covers, so a core that restarts asks for the log from that second and skips
 * what it already has: no line lost, none written twice. A container that restarted is read from its
 * previous instance first (a process crashing on boot leaves its reason there).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { K8S_LOG_STREAMS_PER_APP, LINE_CUT_MARKER, MAX_LINE_CHARS } from '../../main/contract/limits';
import { controllerLogLine, logTime, processLogLine } from '../../main/contract/log-lines';
import { lineSplitter } from '../docker/lines';
import { LogStore } from '../docker/log-store';
import type { LogOptions } from '../target';
import type { Kube } from './client';
import { kubeGet, watchList } from './logs-http';
import { LABEL_APP, LABEL_TYPE, LABEL_VERSION, namespaceFor, selector } from './names';

/** Room for the timestamp the API server puts before each entry (`2026-11-30T03:04:10.123456789+00:00 `). */
const STAMP_ROOM = 40;
/** A stream that ended while its container runs is opened again after this pause. */
const REOPEN_MS = 1000;
/** After a failed list or watch, the next try. */
const RETRY_MS = 2000;
/** A watch is ended by the server after this long and started again from a fresh list. */
const WATCH_SECONDS = 300;
/** Container instances remembered as read to their end, per container. */
const FINISHED_KEPT = 4;

/** Where a container's log has been read up to. */
interface Cursor {
  /** The last entry's timestamp, normalised (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, UTC: compares as text). */
  stamp: string;
  /** Entries read with exactly that timestamp. */
  same: number;
}

/** One followed container (of a pod, across its restarts). */
interface Pump {
  key: string;
  uid: string;
  pod: string;
  container: string;
  proc: { type: string; version: string; id: string };
  /** Read up to here (lines possibly not yet stored). */
  cursor?: Cursor;
  /** Stored up to here: what the cursor file says. */
  committed?: Cursor;
  /** Container ids read to their end. */
  finished: string[];
  /** Ends the current read. */
  abort?: AbortController;
  /** Wakes the pump when its pod changed. */
  wake?: () => void;
  batch: string[];
  flushing: boolean;
}

interface AppFollow {
  app: string;
  pods: Map<string, V1Pod>;
  pumps: Map<string, Pump>;
  /** Cursors of the file, for containers not (yet) followed again. */
  saved: Record<string, Cursor>;
  stop: AbortController;
  /** The app was removed: nothing of it is written any more. */
  removed: boolean;
  warnedStreams: boolean;
}

/**
 * A timestamp of the API server (RFC 3339 with up to 9 fraction digits; kubelet trims trailing
 * zeros and may give an offset) as fixed-width UTC text, or undefined for anything else.
 */
export function normalStamp(text: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  let seconds = m[1]!;
  if (m[3] !== 'Z') {
    const ms = Date.parse(`${m[1]}${m[3]}`);
    if (Number.isNaN(ms)) return undefined;
    seconds = new Date(ms).toISOString().slice(0, 19);
  }
  return `${seconds}.${(m[2] ?? '').padEnd(9, '0')}Z`;
}

/** `sinceTime` for a cursor: its second (the API takes whole seconds; what came before in it is skipped). */
function sinceTime(cursor: Cursor | undefined): string | undefined {
  return cursor ? `${cursor.stamp.slice(0, 19)}Z` : undefined;
}

/** Deis's process tag of a pod: its `type` and `version` labels and the random end of its name. */
function procOf(pod: V1Pod): Pump['proc'] {
  const labels = pod.metadata?.labels ?? {};
  const name = pod.metadata?.name ?? '';
  return {
    type: labels[LABEL_TYPE] ?? 'unknown',
    version: (labels[LABEL_VERSION] ?? 'v0').replace(/^v/, ''),
    id: name.slice(name.lastIndexOf('-') + 1) || name,
  };
}

function statusOf(pod: V1Pod | undefined, container: string): V1ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((s) => s.name === container);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

export interface KubeLogsOptions {
  kube: Kube;
  /** DEIS_INSTANCE: only this installation's pods are followed. */
  instance: string;
  /** The log store (the Docker target's format and place: DEIS_HOME/logs). */
  store: LogStore;
}

/**
 * The logs of the apps of one core on one cluster. `watch(app)` starts following an app's pods
 * (call it for every app on start and before each deploy: it does nothing for an app already
 * followed); `logs`, `followLogs` and `note` are the Target's operations; `remove(app)` on destroy.
 */
export class KubeLogs {
  private readonly apps = new Map<string, AppFollow>();
  /** Every list-and-watch loop and every pump, so close() can wait for their last writes. */
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: KubeLogsOptions) {}

  /** A store under DEIS_HOME, where the Docker target keeps its logs. */
  static storeIn(home: string): LogStore {
    return new LogStore(path.join(home, 'logs'));
  }

  get store(): LogStore {
    return this.options.store;
  }

  /** Starts following the pods of `app`, if not yet. */
  watch(app: string): void {
    if (this.closed || this.apps.has(app)) return;
    const follow: AppFollow = {
      app,
      pods: new Map(),
      pumps: new Map(),
      saved: this.readCursors(app),
      stop: new AbortController(),
      removed: false,
      warnedStreams: false,
    };
    this.apps.set(app, follow);
    this.track(this.loop(follow));
  }

  /** The apps being followed. */
  watched(): string[] {
    return [...this.apps.keys()];
  }

  async logs(app: string, options: LogOptions): Promise<string[]> {
    return this.options.store.tail(app, options.lines);
  }

  followLogs(app: string, signal: AbortSignal): AsyncIterable<string> {
    return this.options.store.follow(app, signal);
  }

  note(app: string, message: string, level = 'INFO'): void {
    this.options.store.append(app, [controllerLogLine(logTime(), message, level)]);
  }

  /** Stops following the app and removes its logs (`destroy`). */
  remove(app: string): void {
    const follow = this.apps.get(app);
    if (follow) follow.removed = true;
    this.unwatch(app);
    this.options.store.remove(app);
    fs.rmSync(this.cursorFile(app), { force: true });
  }

  /** Stops following the app, keeping its logs. */
  unwatch(app: string): void {
    const follow = this.apps.get(app);
    if (!follow) return;
    this.apps.delete(app);
    this.stopFollow(follow);
  }

  /**
   * Stops every stream; resolves once what was read is stored with its cursors, so a new instance
   * (a restarted core) carries on from there.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const follow of this.apps.values()) this.stopFollow(follow);
    this.apps.clear();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private track(work: Promise<void>): void {
    const done = work.catch(() => undefined).then(() => void this.running.delete(done));
    this.running.add(done);
  }

  private stopFollow(follow: AppFollow): void {
    follow.stop.abort();
    for (const pump of follow.pumps.values()) {
      pump.abort?.abort();
      pump.wake?.();
    }
  }

  /** Lists the app's pods, then watches them; again whenever the watch ends. */
  private async loop(follow: AppFollow): Promise<void> {
    const { kube, instance } = this.options;
    const ns = namespaceFor(follow.app);
    const labelSelector = selector(instance, 'process', { [LABEL_APP]: follow.app });
    while (!follow.stop.signal.aborted) {
      try {
        const list = await kube.core.listNamespacedPod({ namespace: ns, labelSelector });
        if (follow.stop.signal.aborted) return;
        const seen = new Set<string>();
        for (const pod of list.items) {
          const uid = pod.metadata?.uid;
          if (!uid) continue;
          seen.add(uid);
          this.podChanged(follow, pod);
        }
        for (const uid of [...follow.pods.keys()]) if (!seen.has(uid)) this.podGone(follow, uid);
        // Cursors of pods that are gone are of no more use.
        let pruned = false;
        for (const key of Object.keys(follow.saved))
          if (!seen.has(key.split('/')[0]!)) {
            delete follow.saved[key];
            pruned = true;
          }
        if (pruned) this.saveCursors(follow);
        await watchList<V1Pod>(
          kube,
          `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
          {
            labelSelector,
            resourceVersion: list.metadata?.resourceVersion,
            timeoutSeconds: WATCH_SECONDS,
          },
          (event) => {
            const uid = event.object.metadata?.uid;
            if (!uid || event.type === 'BOOKMARK' || event.type === 'ERROR') return;
            if (event.type === 'DELETED') this.podGone(follow, uid);
            else this.podChanged(follow, event.object);
          },
          follow.stop.signal,
        );
      } catch {
        /* the API server is away or refused: try again */
      }
      await sleep(RETRY_MS, follow.stop.signal);
    }
  }

  private podChanged(follow: AppFollow, pod: V1Pod): void {
    const uid = pod.metadata!.uid!;
    follow.pods.set(uid, pod);
    for (const c of pod.spec?.containers ?? []) {
      const key = `${uid}/${c.name}`;
      const pump = follow.pumps.get(key);
      if (pump) {
        pump.wake?.();
        continue;
      }
      if (follow.pumps.size >= K8S_LOG_STREAMS_PER_APP) {
        if (!follow.warnedStreams)
          this.note(
            follow.app,
            `${follow.app} has more than ${K8S_LOG_STREAMS_PER_APP} containers; the logs of the others are not followed`,
            'WARN',
          );
        follow.warnedStreams = true;
        continue;
      }
      const started: Pump = {
        key,
        uid,
        pod: pod.metadata!.name!,
        container: c.name,
        proc: procOf(pod),
        cursor: follow.saved[key],
        committed: follow.saved[key],
        finished: [],
        batch: [],
        flushing: false,
      };
      follow.pumps.set(key, started);
      this.track(this.pump(follow, started));
    }
  }

  private podGone(follow: AppFollow, uid: string): void {
    follow.pods.delete(uid);
    for (const pump of follow.pumps.values()) if (pump.uid === uid) pump.wake?.();
  }

  /** Reads one container, instance after instance, until its pod is gone. */
  private async pump(follow: AppFollow, pump: Pump): Promise<void> {
    const stopped = () => follow.stop.signal.aborted;
    while (!stopped()) {
      const pod = follow.pods.get(pump.uid);
      const status = statusOf(pod, pump.container);
      let read = false;
      // A restarted container: its previous instance may hold lines not read yet.
      const previous = status?.lastState?.terminated?.containerID;
      if (previous && !pump.finished.includes(previous)) {
        await this.read(follow, pump, { previous: true });
        this.finish(pump, previous);
        read = true;
      }
      const current = status?.containerID;
      const running = Boolean(status?.state?.running);
      const ended = Boolean(status?.state?.terminated);
      if (current && (running || ended) && !pump.finished.includes(current)) {
        const complete = await this.read(follow, pump, { previous: false });
        // A container that had stopped before its log was asked for was read to its end.
        if (ended && complete) this.finish(pump, current);
        read = true;
      }
      if (stopped()) break;
      if (!pod) break;
      // Wait for the pod to change (a start, a restart, its end); a stream that ended while its
      // container runs is opened again after a pause, so a flapping connection is no busy loop.
      await new Promise<void>((resolve) => {
        pump.wake = resolve;
        if (read && running) setTimeout(resolve, REOPEN_MS).unref();
      });
      pump.wake = undefined;
    }
    follow.pumps.delete(pump.key);
    // The pod is gone (its lines are stored): its cursor goes too. Stopped: the cursor stays.
    if (!stopped() && !follow.pods.has(pump.uid)) {
      delete follow.saved[pump.key];
      this.saveCursors(follow);
    }
  }

  private finish(pump: Pump, containerId: string): void {
    pump.finished.push(containerId);
    if (pump.finished.length > FINISHED_KEPT) pump.finished.shift();
  }

  /**
   * Reads the container's log from the cursor's second, skipping what the cursor covers, into the
   * store. Resolves true when the stream ended by itself (the container's log was read to its end).
   * While the container runs, a last line without a newline may be one the stream was cut in: it
   * is read again whole next time rather than stored in two pieces.
   */
  private async read(follow: AppFollow, pump: Pump, how: { previous: boolean }): Promise<boolean> {
    const from = pump.cursor;
    let sameSeen = 0;
    const abort = new AbortController();
    pump.abort = abort;
    const onStop = () => abort.abort();
    follow.stop.signal.addEventListener('abort', onStop);
    const lines = lineSplitter((raw) => {
      let line = raw;
      let cut = false;
      if (line.endsWith(LINE_CUT_MARKER)) {
        line = line.slice(0, -LINE_CUT_MARKER.length);
        cut = true;
      }
      const space = line.indexOf(' ');
      const stamp = space > 0 ? normalStamp(line.slice(0, space)) : undefined;
      // With timestamps on, the kubelet puts one before every entry the container wrote. A line
      // without one is the kubelet's own word about the log ("unable to retrieve container logs for
      // …", "rpc error: … not found" once a container is gone), not the app's: it is not stored.
      if (!stamp) return;
      let message = line.slice(space + 1);
      if (from) {
        if (stamp < from.stamp) return;
        if (stamp === from.stamp && ++sameSeen <= from.same) return;
      }
      pump.cursor = stamp === pump.cursor?.stamp ? { stamp, same: pump.cursor.same + 1 } : { stamp, same: 1 };
      if (cut || message.length > MAX_LINE_CHARS)
        message = message.slice(0, MAX_LINE_CHARS) + LINE_CUT_MARKER;
      pump.batch.push(processLogLine(logTime(stamp), follow.app, pump.proc, message));
      this.flushSoon(follow, pump);
    }, MAX_LINE_CHARS + STAMP_ROOM);
    let complete = false;
    try {
      const res = await kubeGet(
        this.options.kube,
        `/api/v1/namespaces/${encodeURIComponent(namespaceFor(follow.app))}/pods/${encodeURIComponent(pump.pod)}/log`,
        {
          container: pump.container,
          follow: !how.previous,
          previous: how.previous || undefined,
          timestamps: true,
          sinceTime: sinceTime(from),
        },
        abort.signal,
      );
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) lines.write(chunk);
        complete = !abort.signal.aborted;
      } catch {
        /* the connection broke: read again from the cursor */
      }
    } catch {
      /* not there (any more), or not started yet: the pod's next change says */
    } finally {
      follow.stop.signal.removeEventListener('abort', onStop);
      if (pump.abort === abort) pump.abort = undefined;
    }
    // Read to its end and the container has stopped: a last line without a newline is whole.
    const latest = statusOf(follow.pods.get(pump.uid), pump.container);
    if (complete && (how.previous || !latest?.state?.running)) lines.end();
    this.flush(follow, pump);
    return complete;
  }

  /** Stores the lines read once the current burst of the stream is in: one write per burst, not per line. */
  private flushSoon(follow: AppFollow, pump: Pump): void {
    if (pump.flushing) return;
    pump.flushing = true;
    setImmediate(() => {
      pump.flushing = false;
      this.flush(follow, pump);
    });
  }

  private flush(follow: AppFollow, pump: Pump): void {
    if (pump.batch.length === 0 || follow.removed) return;
    // Lines first, then the cursor that covers them: a core killed in between reads them again
    // rather than losing them.
    this.options.store.append(follow.app, pump.batch.splice(0));
    pump.committed = pump.cursor;
    if (pump.committed) follow.saved[pump.key] = pump.committed;
    this.saveCursors(follow);
  }

  private cursorFile(app: string): string {
    return path.join(path.dirname(this.options.store.file(app)), `${app}.k8s-cursors.json`);
  }

  private readCursors(app: string): Record<string, Cursor> {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.cursorFile(app), 'utf8')) as unknown;
      const out: Record<string, Cursor> = {};
      if (parsed && typeof parsed === 'object')
        for (const [key, value] of Object.entries(parsed as Record<string, unknown>).slice(
          0,
          2 * K8S_LOG_STREAMS_PER_APP,
        )) {
          const c = value as Partial<Cursor>;
          if (
            typeof c?.stamp === 'string' &&
            normalStamp(c.stamp) === c.stamp &&
            Number.isInteger(c.same) &&
            c.same! > 0
          )
            out[key] = { stamp: c.stamp, same: c.same! };
        }
      return out;
    } catch {
      return {};
    }
  }

  private saveCursors(follow: AppFollow): void {
    if (follow.removed) return;
    const file = this.cursorFile(follow.app);
    const temp = `${file}.tmp`;
    try {
      fs.writeFileSync(temp, JSON.stringify(follow.saved), { mode: 0o600 });
      fs.renameSync(temp, file);
    } catch {
      /* DEIS_HOME is not writable: the log store says so louder */
    }
  }
}
