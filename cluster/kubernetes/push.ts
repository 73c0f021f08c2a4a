/**
 * Images reach a cluster through a registry: a local image is tagged for the target's registry,
 * pushed with its credentials, and named afterwards by the digest the registry answered, so what
 * the cluster runs is exactly what was built (a tag can move; a digest cannot).
 */
import type Docker from 'dockerode';
import { TargetError } from '../target';

/** DEIS_REGISTRY (`host:port[/prefix]`), DEIS_REGISTRY_USERNAME and DEIS_REGISTRY_PASSWORD. */
export interface TargetRegistry {
  /** `host[:port][/prefix]`, no scheme. */
  address: string;
  username?: string;
  password?: string;
}

/** The registry's host (`host:port`), where credentials are sent. */
export function registryServer(registry: TargetRegistry): string {
  return registry.address.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

/** The repository an app's images go to: `<address>/<app>`. */
export function repositoryFor(registry: TargetRegistry, app: string): string {
  return `${registry.address.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')}/${app}`;
}

interface PushMessage {
  status?: string;
  error?: string;
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/**
 * Pushes the engine's image `local` to `<repository>:<tag>` and returns `<repository>@sha256:…`.
 * `log` gets a line when the push starts and when it ends. Throws TargetError `setup` with the
 * registry's reason when it cannot.
 */
export async function pushImage(
  docker: Docker,
  local: string,
  registry: TargetRegistry,
  repository: string,
  tag: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  const target = `${repository}:${tag}`;
  try {
    await docker.getImage(local).tag({ repo: repository, tag });
  } catch (err) {
    throw new TargetError(
      'image_missing',
      `The image ${local} is not in the engine: ${(err as Error).message}`,
    );
  }
  const auth =
    registry.username && registry.password
      ? { username: registry.username, password: registry.password, serveraddress: registryServer(registry) }
      : {};
  log(`Pushing ${local} to ${target}`);
  let digest: string | undefined;
  let failure: string | undefined;
  try {
    const stream = (await docker.getImage(target).push({ tag, authconfig: auth })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (m: PushMessage) => {
          if (m.error) failure = m.error;
          if (m.aux?.Digest) digest = m.aux.Digest;
        },
      );
    });
  } catch (err) {
    failure ??= (err as Error).message;
  } finally {
    // The registry's tag is only a handle for the push: the engine keeps the image by its own name.
    await docker
      .getImage(target)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
  if (failure || !digest)
    throw new TargetError(
      'setup',
      `The image could not be pushed to ${registryServer(registry)}: ${failure ?? 'the registry answered no digest'}`,
    );
  log(`Pushed ${target} (${digest})`);
  return `${repository}@${digest}`;
}
