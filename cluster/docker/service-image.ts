/**
 * The image a backing service runs: the configured one (the official image by default) when the
 * engine has it or can pull it, else one built once from Debian's packages and cached by its tag.
 * Two services of one kind provisioned at once share one build.
 */
import type Docker from 'dockerode';
import type { Progress, ServiceSpec } from '../target';
import { TargetError } from '../target';
import { buildFolderImage, imageExists } from './engine';
import { pullImage } from './pull';

const building = new Map<string, Promise<void>>();

export async function ensureServiceImage(
  docker: Docker,
  spec: Pick<ServiceSpec, 'image' | 'fallback'>,
  progress: Progress,
): Promise<string> {
  if (await imageExists(docker, spec.image)) return spec.image;
  const log = (line: string) => progress({ kind: 'log', line });
  progress({ kind: 'step', message: `Pulling ${spec.image}`, preparing: true });
  let why: string;
  try {
    await pullImage(docker, spec.image, log);
    return spec.image;
  } catch (err) {
    why = (err as Error).message;
    log(`${spec.image} cannot be pulled: ${why}`);
  }
  const fallback = spec.fallback;
  if (!fallback)
    throw new TargetError(
      'image_missing',
      `The image ${spec.image} is not in the Docker engine and cannot be pulled (${why}); pull it, or configure another image.`,
    );
  if (await imageExists(docker, fallback.image)) return fallback.image;
  let build = building.get(fallback.image);
  if (!build) {
    build = buildFromDebian(docker, fallback, progress).finally(() => building.delete(fallback.image));
    building.set(fallback.image, build);
  } else progress({ kind: 'step', message: `Waiting for ${fallback.image}, being built`, preparing: true });
  await build;
  return fallback.image;
}

async function buildFromDebian(
  docker: Docker,
  fallback: NonNullable<ServiceSpec['fallback']>,
  progress: Progress,
): Promise<void> {
  const log = (line: string) => progress({ kind: 'log', line });
  if (!(await imageExists(docker, fallback.base))) {
    progress({ kind: 'step', message: `Pulling the Debian base ${fallback.base}`, preparing: true });
    try {
      await pullImage(docker, fallback.base, log);
    } catch (err) {
      throw new TargetError(
        'image_missing',
        `Neither the service's image nor the Debian base ${fallback.base} can be had (${(err as Error).message}); set DEIS_SERVICE_BASE to a Debian 12 image you have.`,
      );
    }
  }
  progress({
    kind: 'step',
    message: `Building ${fallback.image} from Debian's packages (first time only)`,
    preparing: true,
  });
  const error = await buildFolderImage(
    docker,
    fallback.dockerfileDir,
    fallback.image,
    { BASE: fallback.base },
    log,
  );
  if (error) throw new TargetError('image_missing', `Could not build ${fallback.image}: ${error.trim()}`);
}
