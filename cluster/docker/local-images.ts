/**
 * The local engine's images, which every target builds and pulls with (Kubernetes pushes them to
 * its registry afterwards): what an image reference names there, and a user's `deis pull`.
 */
import type Docker from 'dockerode';
import { TargetError, type ImageOrigin, type PullOptions } from '../target';
import { LABEL_APP_UUID } from './labels';
import { PullFailed, pullImage, registryHost, withTag } from './pull';

/** The engine's image by that reference (never pulled) and the app uuid the builder labelled it with. */
export async function inspectLocalImage(docker: Docker, ref: string): Promise<ImageOrigin> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(ref).inspect();
  } catch (err) {
    // 404: no such image; 400: not even a valid reference.
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 400) return { kind: 'missing' };
    throw new TargetError('unavailable', `The Docker engine does not answer: ${(err as Error).message}`);
  }
  return { kind: 'local', id: info.Id, appUuid: info.Config?.Labels?.[LABEL_APP_UUID] };
}

/** `deis pull`: the image into the engine, the app's registry credentials only for its own registry. */
export async function pullLocalImage(
  docker: Docker,
  ref: string,
  options: PullOptions,
): Promise<ImageOrigin> {
  const credentials = options.credentials && { host: registryHost(withTag(ref)), ...options.credentials };
  try {
    await pullImage(docker, ref, options.log, credentials, false);
  } catch (err) {
    if (err instanceof PullFailed) throw new TargetError('image_missing', err.message);
    throw err;
  }
  return inspectLocalImage(docker, ref);
}
