/**
 * Pulls an image the core needs (the router's base, the stack or its base) into the engine, with
 * progress a person can follow (layers and bytes) and, when it fails, the registry's reason.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import {
  PULL_FAILURE_MEMORY_MAX_MS,
  PULL_FAILURE_MEMORY_MS,
  PULL_MAX_TRACKED_LAYERS,
  PULL_PROGRESS_EVERY_MS,
} from '../../main/contract/limits';
import { imageExists } from './engine';

/** Credentials for one registry host: DEIS_REGISTRY with DEIS_REGISTRY_USERNAME and DEIS_REGISTRY_PASSWORD. */
export interface RegistryCredentials {
  /** `host[:port]`, as image references name it. */
  host: string;
  username: string;
  password: string;
}

/** The credentials in the environment, if a registry and both halves are set. */
export function registryCredentials(env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  const registry = env.DEIS_REGISTRY?.trim();
  const username = env.DEIS_REGISTRY_USERNAME;
  const password = env.DEIS_REGISTRY_PASSWORD;
  if (!registry || !username || !password) return undefined;
  return { host: registry.replace(/^[a-z]+:\/\//i, '').split('/')[0]!, username, password };
}

/** The registry host an image reference names (`docker.io` for Docker Hub's short names). */
export function registryHost(ref: string): string {
  const first = ref.split('/')[0]!;
  const named = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return named ? first : 'docker.io';
}

/** A reference with no tag or digest means `:latest` (the engine would otherwise pull every tag). */
export function withTag(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? ref : `${ref}:latest`;
}

export class PullFailed extends Error {
  override readonly name = 'PullFailed';
}

interface PullMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Counts layers and bytes from the engine's messages, and says where the pull is in one line. */
export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();

  constructor(private readonly ref: string) {}

  note(m: PullMessage): void {
    if (!m.id || !m.status) return;
    let layer = this.layers.get(m.id);
    if (!layer) {
      if (!/^(Pulling fs layer|Waiting|Downloading|Already exists)/.test(m.status)) return;
      if (this.layers.size >= PULL_MAX_TRACKED_LAYERS) return;
      layer = { current: 0, total: 0, done: false };
      this.layers.set(m.id, layer);
    }
    if (m.status === 'Downloading' && m.progressDetail) {
      layer.current = m.progressDetail.current ?? layer.current;
      layer.total = m.progressDetail.total ?? layer.total;
    }
    if (/^(Download complete|Pull complete|Already exists)/.test(m.status)) {
      layer.done = true;
      if (layer.total) layer.current = layer.total;
    }
  }

  summary(): string {
    const all = [...this.layers.values()];
    const done = all.filter((l) => l.done).length;
    const current = all.reduce((n, l) => n + l.current, 0);
    const total = all.reduce((n, l) => n + l.total, 0);
    const bytes = total ? `, ${mb(current)} of ${mb(total)}` : '';
    return `pulling ${this.ref}: ${done} of ${all.length} layers${bytes}`;
  }

  /** The line when the pull has ended well. */
  done(): string {
    const all = [...this.layers.values()];
    const total = all.reduce((n, l) => n + l.total, 0);
    if (all.length === 0) return `pulled ${this.ref}: its layers were in the engine already`;
    return `pulled ${this.ref}: ${all.length} layers, ${mb(total)} downloaded`;
  }
}

/** Failed pulls are remembered a while, so a target that retries every few seconds does not hammer a registry. */
const failures = new Map<string, { at: number; reason: string; count: number }>();

/** How long a failed pull is not tried again: a minute, doubling with each failure in a row. */
const backoff = (count: number) =>
  Math.min(PULL_FAILURE_MEMORY_MS * 2 ** (count - 1), PULL_FAILURE_MEMORY_MAX_MS);

/** What a pull is keyed by: the tagged reference and the credentials it would send (other credentials are worth a new try at once). */
function pullIdentity(ref: string, credentials: RegistryCredentials | undefined) {
  const tagged = withTag(ref);
  // Credentials go only to the registry they were given for, never to Docker Hub or another host.
  const auth =
    credentials && registryHost(tagged) === credentials.host
      ? { username: credentials.username, password: credentials.password, serveraddress: credentials.host }
      : undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([tagged, auth?.username, auth?.password]))
    .digest('hex');
  return { tagged, auth, key };
}

/** The reason a pull of `ref` failed lately, while it is not tried again; undefined when it would be. */
export function recentPullFailure(
  ref: string,
  credentials: RegistryCredentials | undefined = registryCredentials(),
): string | undefined {
  const failed = failures.get(pullIdentity(ref, credentials).key);
  return failed && Date.now() - failed.at < backoff(failed.count) ? failed.reason : undefined;
}

/**
 * Pulls `ref` when the engine does not have it; `log` receives a progress line at most every
 * PULL_PROGRESS_EVERY_MS and one when it ends. Throws PullFailed with the registry's reason.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  log: (line: string) => void,
  credentials: RegistryCredentials | undefined = registryCredentials(),
  /** Remember a failure (the core's own retries); a user's pull is tried whenever they ask. */
  remember = true,
): Promise<void> {
  const { tagged, auth, key } = pullIdentity(ref, credentials);
  const failed = remember ? failures.get(key) : undefined;
  if (failed && Date.now() - failed.at < backoff(failed.count)) throw new PullFailed(failed.reason);
  const progress = new PullProgress(tagged);
  try {
    const stream = (await docker.pull(tagged, auth ? { authconfig: auth } : {})) as NodeJS.ReadableStream;
    let last = Date.now();
    const error = await new Promise<string | undefined>((resolve, reject) => {
      let failure: string | undefined;
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve(failure)),
        (m: PullMessage) => {
          if (m.error) failure = m.error;
          progress.note(m);
          if (Date.now() - last >= PULL_PROGRESS_EVERY_MS) {
            last = Date.now();
            log(progress.summary());
          }
        },
      );
    });
    if (error) throw new Error(error);
    log(progress.done());
  } catch (err) {
    const e = err as { json?: { message?: string }; message: string };
    // dockerode prefixes the engine's message with its HTTP status: the message is what says why.
    const reason = (e.json?.message ?? e.message).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim();
    if (remember) {
      if (failures.size >= 100) failures.clear(); // refs come from settings: a handful at most
      failures.set(key, { at: Date.now(), reason, count: (failed?.count ?? 0) + 1 });
    }
    throw new PullFailed(reason);
  }
  failures.delete(key);
  // An image pulled as `name` (no tag) is there as `name:latest`, which is what `name` means.
  if (!(await imageExists(docker, ref)))
    throw new PullFailed(`the engine does not show ${ref} after pulling it`);
}
