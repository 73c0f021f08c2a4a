/**
 * Which Docker engine the core talks to, found the way the `docker` CLI finds it, and a sentence that
 * says which one and why:
 *
 * 1. `DOCKER_HOST` (the CLI then ignores contexts);
 * 2. the current Docker context: `DOCKER_CONTEXT`, else `currentContext` in `config.json` of the
 *    Docker config folder (`DOCKER_CONFIG`, default `~/.docker`); its endpoint is in
 *    `contexts/meta/<sha256 of the name>/meta.json`, its TLS files in `contexts/tls/<same>/docker/`;
 * 3. (where the CLI would just try `/var/run/docker.sock`) the sockets the desktop engines make:
 *    Docker Desktop, Colima, Rancher Desktop, OrbStack, Podman, rootless Docker;
 * 4. `/var/run/docker.sock` (Windows: the `docker_engine` named pipe).
 *
 * Everything here reads files the user's own tools wrote; each read is bounded.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import {
  DOCKER_CONFIG_MAX_BYTES,
  DOCKER_CONTEXT_META_MAX_BYTES,
  DOCKER_CONTEXT_TLS_MAX_BYTES,
} from '../../main/contract/limits';
import { parseSshUrl } from '../ssh/address';

export type EngineSource = 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'docker-config' | 'known-socket' | 'default';

export interface DockerEndpoint {
  /** The engine's address as the docker CLI writes it: `unix:///…`, `tcp://…`, `ssh://…`, `npipe://…`. */
  host: string;
  source: EngineSource;
  /** The Docker context it came from, when it came from one. */
  context?: string;
  /** Whose socket it is, when it is a known one ("Colima", "Docker Desktop", …). */
  product?: string;
  /** TLS material of a context's tcp endpoint (from the context store's tls folder). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; skipVerify: boolean };
  /** One sentence: which engine, and why this one. */
  reason: string;
}

/** A context that is named but cannot be used: the docker CLI fails too, and so does the core. */
export class DockerEngineDiscoveryError extends Error {}

export interface DiscoveryInput {
  env?: NodeJS.ProcessEnv;
  /** The user's home (default os.homedir()). */
  home?: string;
  platform?: NodeJS.Platform;
}

/** The sockets desktop engines make, in the order they are tried (unix-like systems only). */
export function knownSockets(home: string, env: NodeJS.ProcessEnv): { product: string; socket: string }[] {
  const runtime = env.XDG_RUNTIME_DIR;
  return [
    { product: 'Docker Desktop', socket: path.join(home, '.docker', 'run', 'docker.sock') },
    { product: 'Docker Desktop', socket: path.join(home, '.docker', 'desktop', 'docker.sock') },
    { product: 'Colima', socket: path.join(home, '.colima', 'default', 'docker.sock') },
    { product: 'Colima', socket: path.join(home, '.colima', 'docker.sock') },
    { product: 'Rancher Desktop', socket: path.join(home, '.rd', 'docker.sock') },
    { product: 'OrbStack', socket: path.join(home, '.orbstack', 'run', 'docker.sock') },
    ...(runtime
      ? [{ product: 'Podman (rootless)', socket: path.join(runtime, 'podman', 'podman.sock') }]
      : []),
    { product: 'Podman', socket: '/run/podman/podman.sock' },
    ...(runtime ? [{ product: 'Docker (rootless)', socket: path.join(runtime, 'docker.sock') }] : []),
  ];
}

const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_NPIPE = 'npipe:////./pipe/docker_engine';

/** The docker CLI's context store names a context's folder by the sha256 of its name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex');
}

/** `~/…` for paths in the home: what a user recognises, without the account name in the API. */
export function shortPath(p: string, home: string): string {
  return home && (p === home || p.startsWith(home + path.sep)) ? '~' + p.slice(home.length) : p;
}

/** An address to show: no user name or password of a URL, the home shortened. */
export function displayHost(host: string, home: string): string {
  if (host.startsWith('unix://')) return 'unix://' + shortPath(host.slice('unix://'.length), home);
  try {
    const url = new URL(host);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return host;
  }
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** Reads a small file whole, refusing one larger than `max`; undefined when it does not exist. */
function readBounded(file: string, max: number, what: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerEngineDiscoveryError(
      `Cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions or remove it.`,
    );
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > max)
      throw new DockerEngineDiscoveryError(
        `${what[0]!.toUpperCase()}${what.slice(1)} ${file} is ${size} bytes, more than the ${max} bytes such a file ever needs; check that it is the right file.`,
      );
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = fs.readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

function readJson(file: string, max: number, what: string): unknown {
  const buf = readBounded(file, max, what);
  if (buf === undefined) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (err) {
    throw new DockerEngineDiscoveryError(
      `${what[0]!.toUpperCase()}${what.slice(1)} ${file} is not valid JSON (${(err as Error).message}); fix it or run \`docker context use default\`.`,
    );
  }
}

function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG ? path.resolve(env.DOCKER_CONFIG) : path.join(home, '.docker');
}

/** A field read case-insensitively, as Go's encoding/json does. */
function field(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (name in record) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

/** The context the docker CLI would use, and where that choice came from (undefined: none chosen). */
function chosenContext(
  env: NodeJS.ProcessEnv,
  configDir: string,
): { name: string; source: 'DOCKER_CONTEXT' | 'docker-config'; configFile?: string } | undefined {
  if (env.DOCKER_CONTEXT) return { name: env.DOCKER_CONTEXT, source: 'DOCKER_CONTEXT' };
  const configFile = path.join(configDir, 'config.json');
  const config = readJson(configFile, DOCKER_CONFIG_MAX_BYTES, 'the Docker config file');
  const current = field(config, 'currentContext');
  if (typeof current === 'string' && current !== '')
    return { name: current, source: 'docker-config', configFile };
  return undefined;
}

function contextEndpoint(
  name: string,
  configDir: string,
  why: string,
): { host: string; tls?: DockerEndpoint['tls'] } {
  const id = contextDirName(name);
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson(metaFile, DOCKER_CONTEXT_META_MAX_BYTES, `the Docker context file`);
  if (meta === undefined)
    throw new DockerEngineDiscoveryError(
      `The Docker context "${name}" (${why}) does not exist: there is no ${metaFile}; run \`docker context ls\` and \`docker context use <name>\`, or unset it.`,
    );
  const docker = field(field(meta, 'Endpoints'), 'docker');
  const host = field(docker, 'Host');
  if (typeof host !== 'string' || host === '')
    throw new DockerEngineDiscoveryError(
      `The Docker context "${name}" (${why}) has no Docker endpoint in ${metaFile}; recreate it with \`docker context create\`.`,
    );
  if (!/^(unix|tcp|ssh|npipe|https?):\/\//.test(host))
    throw new DockerEngineDiscoveryError(
      `The Docker context "${name}" (${why}) points at "${host}", which is not a unix://, tcp://, ssh:// or npipe:// address; fix it with \`docker context update\`.`,
    );
  const skipVerify = field(docker, 'SkipTLSVerify') === true;
  let tls: DockerEndpoint['tls'];
  if (/^(tcp|https):\/\//.test(host)) {
    const dir = path.join(configDir, 'contexts', 'tls', id, 'docker');
    const read = (f: string) =>
      readBounded(path.join(dir, f), DOCKER_CONTEXT_TLS_MAX_BYTES, 'the Docker context TLS file');
    const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
    if (ca || cert || key || skipVerify) tls = { ca, cert, key, skipVerify };
  }
  return { host, tls };
}

/** An ssh:// engine address must be one we can reach (user, host, port; no password, as for the docker CLI). */
function checkSsh(host: string, what: string): void {
  if (!host.startsWith('ssh://')) return;
  try {
    parseSshUrl(host, what);
  } catch (err) {
    throw new DockerEngineDiscoveryError((err as Error).message);
  }
}

function overSsh(host: string): string {
  return host.startsWith('ssh://')
    ? ' over SSH (`docker system dial-stdio` there; its host key checked against known_hosts)'
    : '';
}

/** The engine the core uses, found as the docker CLI finds it; throws a sentence when a named context is unusable. */
export function discoverDockerEngine(input: DiscoveryInput = {}): DockerEndpoint {
  const env = input.env ?? process.env;
  const home = input.home ?? os.homedir();
  const platform = input.platform ?? process.platform;

  if (env.DOCKER_HOST) {
    const shown = displayHost(env.DOCKER_HOST, home);
    checkSsh(env.DOCKER_HOST, 'DOCKER_HOST');
    return {
      host: env.DOCKER_HOST,
      source: 'DOCKER_HOST',
      reason: `Using the Docker engine at ${shown}${overSsh(env.DOCKER_HOST)} because DOCKER_HOST is set (it takes precedence over Docker contexts, as for the docker CLI).`,
    };
  }

  const configDir = dockerConfigDir(env, home);
  const chosen = chosenContext(env, configDir);
  let skippedDefault = '';
  if (chosen && chosen.name !== 'default') {
    const why =
      chosen.source === 'DOCKER_CONTEXT'
        ? 'DOCKER_CONTEXT'
        : `the current context in ${shortPath(chosen.configFile!, home)}`;
    const { host, tls } = contextEndpoint(chosen.name, configDir, why);
    checkSsh(host, `The Docker context "${chosen.name}"`);
    return {
      host,
      source: chosen.source,
      context: chosen.name,
      tls,
      reason: `Using the Docker engine at ${displayHost(host, home)}${overSsh(host)} of the Docker context "${chosen.name}", chosen by ${why}.`,
    };
  }
  if (chosen) skippedDefault = ' (the Docker context is "default")';

  if (platform === 'win32')
    return {
      host: DEFAULT_NPIPE,
      source: 'default',
      reason: `Using the Docker engine at the default named pipe //./pipe/docker_engine: DOCKER_HOST is not set and no Docker context is chosen${skippedDefault}.`,
    };

  for (const { product, socket } of knownSockets(home, env)) {
    if (!isSocket(socket)) continue;
    return {
      host: `unix://${socket}`,
      source: 'known-socket',
      product,
      reason: `Using ${product}'s Docker engine at ${shortPath(socket, home)}: DOCKER_HOST is not set, no Docker context is chosen${skippedDefault}, and this is the first known engine socket that exists.`,
    };
  }
  const exists = isSocket(DEFAULT_UNIX_SOCKET);
  return {
    host: `unix://${DEFAULT_UNIX_SOCKET}`,
    source: 'default',
    reason: exists
      ? `Using the Docker engine at ${DEFAULT_UNIX_SOCKET}, the system default: DOCKER_HOST is not set, no Docker context is chosen${skippedDefault}, and no desktop engine's socket (Docker Desktop, Colima, Rancher Desktop, OrbStack, Podman) exists.`
      : `No Docker engine socket was found (not ${DEFAULT_UNIX_SOCKET}, nor Docker Desktop's, Colima's, Rancher Desktop's, OrbStack's or Podman's); trying ${DEFAULT_UNIX_SOCKET}: start your Docker engine or set DOCKER_HOST.`,
  };
}

/**
 * dockerode's options for the endpoint. With DOCKER_HOST, none: docker-modem reads DOCKER_HOST,
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself, exactly as before this module existed. Never for
 * ssh:// (docker-modem's ssh mode does not check host keys): those go through cluster/ssh.
 */
export function dockerodeOptions(endpoint: DockerEndpoint): Docker.DockerOptions | undefined {
  const host = endpoint.host;
  if (host.startsWith('ssh://'))
    throw new Error(
      'An ssh:// engine is reached through dockerOverSsh (cluster/ssh), which checks its host key.',
    );
  if (endpoint.source === 'DOCKER_HOST') return undefined;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  const url = new URL(host);
  const tls = endpoint.tls;
  const https = url.protocol === 'https:' || Boolean(tls && (tls.ca || tls.cert || tls.skipVerify));
  return {
    protocol: https ? 'https' : 'http',
    host: url.hostname,
    port: url.port || (https ? 2376 : 2375),
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
  };
}
