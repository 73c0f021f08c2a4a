/** The Docker engine connection: found as the docker CLI finds it (engine-discovery.ts). */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { discoverDockerEngine, dockerodeOptions, type DockerEndpoint } from './engine-discovery';
import { ourKnownHosts } from '../ssh/known-hosts';
import { dockerOverSsh, type SshDockerEngine } from '../ssh/docker-engine';

let shared: Docker | undefined;
let endpoint: DockerEndpoint | undefined;
let overSsh: SshDockerEngine | undefined;
let knownHosts: string | undefined;

/** DEIS_HOME: an ssh:// engine's host key is also looked up in (and trusted into) its ssh/known_hosts. */
export function useDeisHome(home: string): void {
  knownHosts = ourKnownHosts(home);
}

/**
 * Which engine the core uses and why, found once (DOCKER_HOST, the current Docker context, the known
 * desktop sockets, /var/run/docker.sock). Throws a sentence when a chosen Docker context is unusable.
 */
export function dockerEndpoint(): DockerEndpoint {
  return (endpoint ??= discoverDockerEngine());
}

/**
 * The shared engine client. dockerode (and the gRPC code it pulls in) takes ~300 ms to load, so it
 * is required on first use rather than at start: the core must be ready within 2 seconds.
 */
export function dockerEngine(): Docker {
  if (!shared) {
    const found = dockerEndpoint();
    if (found.host.startsWith('ssh://')) {
      overSsh = dockerOverSsh(found.host, { knownHosts });
      shared = overSsh.docker;
    } else {
      const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
      shared = new DockerClient(dockerodeOptions(found));
    }
  }
  return shared;
}

/** The SSH connections behind the engine when it is on another host (ssh://), else undefined. */
export function remoteEngine(): SshDockerEngine | undefined {
  dockerEngine();
  return overSsh;
}

/** True when an image with this reference exists in the engine (never pulls). */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Builds and processes split their output with it. */
import { lineSplitter } from './lines';

export { lineSplitter };

/**
 * Builds `tag` from a folder holding a Dockerfile (the stack, a service's Debian image), each line of
 * the engine's output to `onLine` as it comes; resolves with the engine's error message when the
 * build failed, undefined when it succeeded.
 */
export async function buildFolderImage(
  docker: Docker,
  dir: string,
  tag: string,
  buildargs: Record<string, string>,
  onLine: (line: string) => void,
): Promise<string | undefined> {
  const stream = await docker.buildImage(
    { context: dir, src: readdirSync(dir) },
    { t: tag, buildargs, rm: true, forcerm: true },
  );
  const lines = lineSplitter(onLine);
  const failure = await new Promise<string | undefined>((resolve, reject) => {
    let error: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve(error)),
      (m: { stream?: string; error?: string }) => {
        if (m.stream) lines.write(m.stream);
        if (m.error) error = m.error;
      },
    );
  });
  lines.end();
  return failure;
}
