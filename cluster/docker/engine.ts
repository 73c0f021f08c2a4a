/** The Docker engine connection: DOCKER_HOST or the local socket, as the docker CLI would use. */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

let shared: Docker | undefined;

/**
 * The shared engine client. dockerode (and the gRPC code it pulls in) takes ~300 ms to load, so it
 * is required on first use rather than at start: the core must be ready within 2 seconds.
 */
export function dockerEngine(): Docker {
  if (!shared) {
    const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
    shared = new DockerClient();
  }
  return shared;
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
export { lineSplitter } from './lines';
