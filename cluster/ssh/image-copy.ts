/**
 * An image moved from one engine to another without a registry, as `docker save <ref> | docker -H
 * ssh://… load` moves it: streamed (never held in memory), its id (the digest of its config) the
 * same on both sides, so what runs there is byte for byte what was built here. `docker save` sends
 * every layer, also those the other engine has: for a deploy, building on the engine that runs the
 * app sends only the source (see README, "Docker hosts and bastions over SSH").
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import { TargetError } from '../target';

export interface CopiedImage {
  id: string;
  bytes: number;
  ms: number;
}

/** Copies `ref` from `from` to `to` unless `to` has it already (by id); `onBytes` hears the progress. */
export async function copyImage(
  from: Docker,
  to: Docker,
  ref: string,
  onBytes: (sent: number) => void = () => {},
): Promise<CopiedImage> {
  const started = Date.now();
  let id: string;
  try {
    id = (await from.getImage(ref).inspect()).Id;
  } catch {
    throw new TargetError('image_missing', `The image ${ref} is not in this machine's Docker engine.`);
  }
  const there = await to
    .getImage(ref)
    .inspect()
    .catch(() => undefined);
  if (there?.Id === id) return { id, bytes: 0, ms: Date.now() - started };
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  const tar = (await from.getImage(ref).get()) as NodeJS.ReadableStream;
  tar.on('error', (err: Error) => counter.destroy(err));
  const loaded = (await to.loadImage(tar.pipe(counter), { quiet: true })) as NodeJS.ReadableStream;
  // The engine answers with JSON lines; an error among them means the image did not load.
  const failure = await new Promise<string | undefined>((resolve, reject) => {
    let text = '';
    loaded.on('data', (c: Buffer) => {
      if (text.length < 8192) text += c.toString('utf8');
    });
    loaded.on('end', () => resolve(/"error"\s*:\s*"([^"]*)"/.exec(text)?.[1]));
    loaded.on('error', reject);
  });
  if (failure) throw new TargetError('setup', `The image ${ref} could not be loaded there: ${failure}.`);
  const after = await to.getImage(ref).inspect();
  if (after.Id !== id)
    throw new TargetError('setup', `The image ${ref} loaded there is ${after.Id}, not ${id}; try again.`);
  return { id, bytes, ms: Date.now() - started };
}

/**
 * The repository a target's copies of an app's images carry on the host: `<instance>/<app>`, the
 * target's own instance (addedTargetInstance), so the copies of two targets or two cores sharing a
 * host never share a tag, and the local builder's `deis-desktop/<app>` tags are never touched. A
 * copy arrives untagged (it is saved by ID); the tag names it in `docker images` there, keeps it
 * from `docker image prune` while a rollback may need it, and marks it as ours to remove.
 */
export function hostImageRepo(instance: string, app: string): string {
  const plain = instance
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // A name changed to fit (or `localhost`, which Docker would take for a registry) gets a hash of it.
  const safe =
    plain && plain === instance && plain !== 'localhost'
      ? plain
      : `${plain || 'deis'}-${createHash('sha256').update(instance).digest('hex').slice(0, 8)}`;
  return `${safe}/${app}`;
}

/** The tag a target gives its copy of image `id` of the app: `<instance>/<app>:<12 hex of the id>`. */
export function hostImageTag(instance: string, app: string, id: string): { repo: string; tag: string } {
  return { repo: hostImageRepo(instance, app), tag: id.replace(/^sha256:/, '').slice(0, 12) };
}

/**
 * Removes the target's tags of the app's images on that engine, but for images in `keep` (IDs or
 * references) and images any container there was made from (running or stopped: the engine would
 * refuse, and an image in use is never ours to take). An image goes with its last tag; one someone else also
 * tagged keeps that tag. Answers how many images lost our tags.
 */
export async function removeHostImages(
  docker: Docker,
  instance: string,
  app: string,
  keep: ReadonlySet<string>,
): Promise<number> {
  const repo = hostImageRepo(instance, app);
  const images = await docker.listImages({ filters: { reference: [repo] } });
  // A build recorded without an image ID is kept by its reference, which its copy carries too.
  const candidates = images.filter((i) => !keep.has(i.Id) && !(i.RepoTags ?? []).some((t) => keep.has(t)));
  if (candidates.length === 0) return 0;
  const used = new Set((await docker.listContainers({ all: true })).map((c) => c.ImageID));
  let removed = 0;
  for (const image of candidates) {
    if (used.has(image.Id)) continue;
    let untagged = false;
    for (const tag of (image.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`)))
      await docker
        .getImage(tag)
        .remove()
        .then(() => (untagged = true))
        // Gone already, or in use by a container made since: tried again after the next release.
        .catch(() => undefined);
    if (untagged) removed++;
  }
  return removed;
}
