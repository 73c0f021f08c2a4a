/**
 * How a local image reaches a cluster's nodes. `registry`: pushed to the target's registry and named
 * by the digest it answered (push.ts; the cluster pulls it with the registry's login). `load`: put
 * into every node's image store by a loader (`kind load docker-image`, or `docker save | ctr images
 * import` for a cluster of our own) and named by a local reference that carries the image's ID, so a
 * name never points at another image; pods use it with `imagePullPolicy: IfNotPresent`, and a
 * reference no node has fails to pull (its registry is `.invalid`) instead of fetching anything.
 */
import type Docker from 'dockerode';
import { TargetError } from '../target';
import { pushImage, registryServer, repositoryFor, type TargetRegistry } from './push';

/** Puts the engine's image `ref` (a name:tag) into the cluster's nodes; `log` hears what the loader says. */
export type ImageLoader = (ref: string, log: (line: string) => void) => Promise<void>;

export type ImageDelivery =
  | { kind: 'registry'; registry: TargetRegistry }
  | {
      kind: 'load';
      load: ImageLoader;
      /** Where the images go, for messages: `the kind cluster "dev"`. */
      where: string;
    };

/** The registry part of loaded images' names: `.invalid` never resolves, so nothing is ever pulled by it. */
export const LOADED_REGISTRY = 'deis-desktop.invalid';

/** Whether pods need the registry's pull secret. */
export function needsPullSecret(delivery: ImageDelivery): boolean {
  return delivery.kind === 'registry';
}

/** Where images go, for messages: the registry's host, or the loader's place. */
export function deliveryPlace(delivery: ImageDelivery): string {
  return delivery.kind === 'registry' ? registryServer(delivery.registry) : delivery.where;
}

/**
 * The name a loaded image has on the nodes: `deis-desktop.invalid/<repository>:<image id hex>`.
 * The tag is the image's ID (sha256 of its config, which a load keeps), so what a Deployment names
 * is exactly one image, as a digest is in a registry.
 */
export function loadedRef(repository: string, imageId: string): string {
  const hex = /^(?:sha256:)?([0-9a-f]{64})$/.exec(imageId)?.[1];
  if (!hex) throw new TargetError('image_missing', `${imageId.slice(0, 80)} is not an image ID.`);
  return `${LOADED_REGISTRY}/${repository}:${hex}`;
}

/**
 * Delivers the engine's image `local` (an ID or a name) as `<repository>` and returns the reference
 * pods name: `<registry>/<repository>@sha256:…` or `deis-desktop.invalid/<repository>:<id>`. `tag`
 * is the registry tag (`v7`); a load is named by the image's ID instead. Throws TargetError
 * `setup` with the registry's or the loader's reason.
 */
export async function deliverImage(
  docker: Docker,
  delivery: ImageDelivery,
  local: string,
  repository: string,
  tag: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  if (delivery.kind === 'registry')
    return pushImage(
      docker,
      local,
      delivery.registry,
      repositoryFor(delivery.registry, repository),
      tag,
      log,
    );
  let id: string;
  let names: string[];
  try {
    const info = await docker.getImage(local).inspect();
    id = info.Id;
    names = info.RepoTags ?? [];
  } catch (err) {
    throw new TargetError(
      'image_missing',
      `The image ${local} is not in the engine: ${(err as Error).message}`,
    );
  }
  const ref = loadedRef(repository, id);
  const [name, hex] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
  await docker.getImage(id).tag({ repo: name, tag: hex });
  log(`Loading ${local} into ${delivery.where} as ${ref}`);
  try {
    await delivery.load(ref, log);
  } catch (err) {
    throw new TargetError(
      'setup',
      `The image could not be loaded into ${delivery.where}: ${(err as Error).message}`,
    );
  } finally {
    // The name was only a handle for the load: the engine keeps the image by its own names (an
    // image it had by no other name keeps this one, or removing the name would remove the image).
    if (names.some((n) => n !== ref))
      await docker
        .getImage(ref)
        .remove({ noprune: true })
        .catch(() => undefined);
  }
  log(`Loaded ${ref}`);
  return ref;
}
