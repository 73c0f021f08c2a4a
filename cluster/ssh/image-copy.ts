/**
 * An image moved from one engine to another without a registry, as `docker save <ref> | docker -H
 * ssh://… load` moves it: streamed (never held in memory), its id (the digest of its config) the
 * same on both sides, so what runs there is byte for byte what was built here. `docker save` sends
 * every layer, also those the other engine has: for a deploy, building on the engine that runs the
 * app sends only the source (see README, "Docker hosts and bastions over SSH").
 */
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
