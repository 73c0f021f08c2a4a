/** Whether the Docker engine answers, and what to do when it does not, for the dashboard. */
import os from 'node:os';
import { dockerEndpoint, dockerEngine } from '../cluster/docker/engine';
import { displayHost } from '../cluster/docker/engine-discovery';

export interface EngineState {
  state: 'running' | 'unreachable';
  version?: string;
  message?: string;
}

const TIMEOUT_MS = 2_000;

const HOW_TO_START =
  process.platform === 'linux'
    ? 'Start it (sudo systemctl start docker) or set DOCKER_HOST, then builds and apps work again.'
    : 'Start Docker Desktop (or set DOCKER_HOST), then builds and apps work again.';

export async function dockerState(): Promise<EngineState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer in 2 s')), TIMEOUT_MS);
  });
  try {
    const version = (await Promise.race([dockerEngine().version(), timeout])) as { Version?: string };
    return { state: 'running', version: version.Version };
  } catch (err) {
    return {
      state: 'unreachable',
      message: `The Docker engine at ${displayHost(dockerEndpoint().host, os.homedir())} does not answer (${err instanceof Error ? err.message : String(err)}). ${HOW_TO_START}`,
    };
  } finally {
    clearTimeout(timer);
  }
}
