/**
 * DockerfileBuild: `docker build` of the pushed commit with the local engine, streaming its output.
 *
 * The engine runs on the host: an `ADD <url>` it fetched itself could reach the host's loopback (the
 * core's API, the users' local services), and a FROM or COPY --from could read any image of the
 * engine. So the Dockerfile is read and checked first (dockerfile/plan.ts), URLs are fetched by the
 * core with every connection's peer checked (dockerfile/fetch.ts) into a small image of their own,
 * and the engine builds a rewritten Dockerfile in which images are pinned by ID and downloads are
 * copied from that image — the engine itself fetches nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import crypto from 'node:crypto';
import { BuildTrace } from '../../cluster/docker/build-trace';
import { lineSplitter } from '../../cluster/docker/engine';
import { LABEL_APP_UUID, labelsFor } from '../../cluster/docker/labels';
import { DOCKERFILE_REMOTE_MAX_BYTES, DOCKERIGNORE_MAX_BYTES } from '../contract/limits';
import { fetchRemote, FetchRefused, shownUrl } from './dockerfile/fetch';
import { planBuild, UNNAMED, type Downloads } from './dockerfile/plan';
import { readDockerfile } from './dockerfile/source';
import { replaceFile, tarOf, type Entry } from './dockerfile/tar';
import { DockerIgnore } from './dockerfile/dockerignore';
import { archive, readFileAt } from './git';
import { BuildFailed, imageTag, type BuildSpec } from './types';

/** What Dockerfile builds read of the builder's settings. */
export interface DockerfileSettings {
  /** The core's instance name, put on the images as LABEL_INSTANCE; 'deis-desktop' when not given. */
  instance?: string;
  /**
   * Build with BuildKit when the engine has it (default): steps that only set metadata (WORKDIR, ENV,
   * EXPOSE, CMD, LABEL) cost no container and commit each, as they do with the legacy builder — on a
   * small app that is most of a warm build. `DEIS_BUILDKIT=0` keeps the legacy builder.
   */
  buildkit?: boolean;
}

/** Where images a BuildKit build uses are tagged for it (BuildKit cannot name an image by its ID). */
export const PIN_REPO = 'deis-desktop/build-pin';

/**
 * Engines that refused a BuildKit build, and when: they get the legacy builder for the next
 * BUILDKIT_RETRY_MS, then BuildKit is tried again (an engine that was restarting, or was upgraded,
 * gets it back without the core restarting; one that has none costs one refused request per period).
 */
const noBuildKit = new WeakMap<Docker, number>();
const BUILDKIT_RETRY_MS = 10 * 60 * 1000;
const buildKitRefused = (docker: Docker) =>
  Date.now() - (noBuildKit.get(docker) ?? -Infinity) < BUILDKIT_RETRY_MS;

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  id?: string;
  aux?: { ID?: string } | string;
}

/** BuildKit reads these build args itself (BUILDKIT_SYNTAX runs a frontend image it names): never the app's. */
const BUILDKIT_ARG = /^BUILDKIT_/;

const NAME_NOT_COPYABLE = /[*?[\\]|^\.\.?$/;

export async function dockerfileBuild(
  docker: Docker,
  spec: BuildSpec,
  settings: DockerfileSettings = {},
): Promise<string> {
  const tag = imageTag(spec.app, spec.sha);
  const instance = (spec as { instance?: string }).instance ?? settings.instance ?? 'deis-desktop';
  // Deis passes config as build args only when asked, since values may be secrets.
  const buildArgs = spec.config.DEIS_DOCKER_BUILD_ARGS_ENABLED
    ? Object.fromEntries(Object.entries(spec.config).filter(([k]) => !BUILDKIT_ARG.test(k)))
    : {};

  const text = await readDockerfile(spec, spec.sha);
  const ignore = await readIgnore(spec);
  const plan = await planBuild(text, {
    docker,
    app: spec.app,
    appUuid: spec.appUuid,
    instance,
    trusted: spec.trusted,
    buildArgs,
    say: (l) => spec.output.line(l),
    signal: spec.signal,
  });

  let fetchImage = '';
  const downloads: Downloads = new Map();
  const work = plan.remotes.length > 0 ? fs.mkdtempSync(path.join(os.tmpdir(), 'deis-add-')) : undefined;
  try {
    if (work) {
      const entries: (Entry & { source?: string })[] = [];
      const budget = { left: DOCKERFILE_REMOTE_MAX_BYTES };
      for (const remote of plan.remotes) {
        const shown = shownUrl(remote.url);
        spec.output.line(`-----> Fetching ${shown} (ADD)`);
        let got;
        try {
          got = await fetchRemote(remote.url, work, { budget, signal: spec.signal, index: remote.id });
        } catch (err) {
          if (err instanceof FetchRefused) throw new BuildFailed(`ADD ${shown} was refused: ${err.message}.`);
          throw err;
        }
        const name = got.name || UNNAMED;
        if (NAME_NOT_COPYABLE.test(name))
          throw new BuildFailed(
            `ADD ${shown}: the file name ${JSON.stringify(name)} is not supported; add it under another URL.`,
          );
        downloads.set(remote.id, name);
        entries.push({ name: `f/${remote.id}/`, mode: 0o755, size: 0, mtime: new Date(0), type: 'dir' });
        entries.push({
          name: `f/${remote.id}/${name}`,
          mode: 0o600,
          size: got.size,
          mtime: got.mtime,
          type: 'file',
          source: got.file,
        });
      }
      fetchImage = await buildFetchImage(docker, spec, instance, entries);
    }

    const options: Record<string, unknown> = {
      t: tag,
      pull: false,
      rm: true,
      forcerm: true,
      dockerfile: 'Dockerfile',
    };
    if (spec.config.DEIS_DISABLE_CACHE) options.nocache = true;
    if (spec.config.DEIS_DOCKER_BUILD_ARGS_ENABLED) options.buildargs = buildArgs;
    if (spec.signal) options.abortSignal = spec.signal;
    const say = (l: string) => spec.output.line(l);
    const pins =
      settings.buildkit !== false && !buildKitRefused(docker)
        ? await pinByTag(docker, plan.images, fetchImage, spec.appUuid)
        : undefined;
    try {
      if (pins) {
        const dockerfile = plan.render(downloads, fetchImage, (id) => pins.get(id)!);
        const context = contextOf(spec, dockerfile, ignore);
        const shown = (l: string) => {
          for (const [id, ref] of pins) l = l.replaceAll(`docker.io/${ref}`, id.slice(0, 19));
          say(l);
        };
        const failure: string | undefined | typeof REFUSED = await runBuild(
          docker,
          context,
          { ...options, version: '2' },
          shown,
        ).catch((err: unknown): typeof REFUSED => {
          // An engine without BuildKit refuses the request before building anything.
          if (!(err instanceof EngineRefused) || spec.signal?.aborted) throw err;
          noBuildKit.set(docker, Date.now());
          return REFUSED;
        });
        if (failure !== REFUSED) {
          if (failure !== undefined) throw new BuildFailed(`The Dockerfile build failed: ${failure.trim()}`);
          return tag;
        }
      }
      const dockerfile = plan.render(downloads, fetchImage);
      const context = contextOf(spec, dockerfile, ignore);
      const failure = await runBuild(docker, context, options, say);
      if (failure !== undefined) throw new BuildFailed(`The Dockerfile build failed: ${failure.trim()}`);
      return tag;
    } finally {
      if (pins) await unpin(docker, pins, fetchImage);
    }
  } finally {
    if (fetchImage)
      await docker
        .getImage(fetchImage)
        .remove({ force: true })
        .catch(() => undefined);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Builds the image holding the downloads (`/<id>/<name>`, mode 0600, owned by root); returns its ID. */
async function buildFetchImage(
  docker: Docker,
  spec: BuildSpec,
  instance: string,
  entries: (Entry & { source?: string })[],
): Promise<string> {
  const dockerfile = Buffer.from('FROM scratch\nCOPY f /\n');
  const context = tarOf([
    {
      name: 'Dockerfile',
      mode: 0o644,
      size: dockerfile.length,
      mtime: new Date(0),
      type: 'file',
      content: dockerfile,
    },
    { name: 'f/', mode: 0o755, size: 0, mtime: new Date(0), type: 'dir' },
    ...entries,
  ]);
  const options: Record<string, unknown> = {
    pull: false,
    rm: true,
    forcerm: true,
    labels: labelsFor(instance, 'image', { [LABEL_APP_UUID]: spec.appUuid }),
  };
  if (spec.signal) options.abortSignal = spec.signal;
  let id = '';
  // Its steps are ours, not the app's: they are not shown to the pusher.
  const failure = await runBuild(
    docker,
    context,
    options,
    () => {},
    (m) => {
      if (typeof m.aux === 'object' && m.aux.ID) id = m.aux.ID;
    },
  );
  if (failure !== undefined || !id)
    throw new BuildFailed(
      `The downloaded ADD files could not be prepared for the build: ${failure?.trim() ?? 'no image'}`,
    );
  return id;
}

/** The commit's `.dockerignore`, when it has one with patterns. */
async function readIgnore(spec: BuildSpec): Promise<DockerIgnore | undefined> {
  const text = await readFileAt(spec, spec.sha, '.dockerignore', DOCKERIGNORE_MAX_BYTES);
  if (text === undefined) return undefined;
  try {
    const ignore = DockerIgnore.parse(text);
    return ignore.empty ? undefined : ignore;
  } catch (err) {
    if (err instanceof RangeError) throw new BuildFailed(err.message);
    throw err;
  }
}

/**
 * The build context: the commit's files less what `.dockerignore` leaves out (the docker CLI applies
 * it before sending; the engine does not), with our Dockerfile in place of the app's.
 */
function contextOf(spec: BuildSpec, dockerfile: string, ignore: DockerIgnore | undefined): Readable {
  const drop = ignore ? (entry: string) => ignore.excludes(entry.replace(/\/$/, '')) : undefined;
  return replaceFile(archive(spec, spec.sha), 'Dockerfile', Buffer.from(dockerfile), drop);
}

const REFUSED: unique symbol = Symbol('refused');

/**
 * Tags each image the Dockerfile uses under PIN_REPO, for BuildKit to find it by that name (it reads
 * `sha256:…` as a Docker Hub name). An image with no tag of its own would be deleted with the pin
 * tag, so then the build stays with the legacy builder: undefined.
 */
async function pinByTag(
  docker: Docker,
  images: { id: string; tagged: boolean }[],
  fetchImage: string,
  /** Named in each tag, so that whose build a tag is for can be told (tags carry no labels). */
  appUuid: string,
): Promise<Map<string, string> | undefined> {
  const pins = new Map<string, string>();
  try {
    // The plan inspected each image already: no second look is needed to know which have tags.
    if (images.some((i) => !i.tagged)) return undefined;
    if (!swept.has(docker)) {
      swept.add(docker);
      await sweepStalePins(docker);
    }
    for (const { id } of images) pins.set(id, '');
    if (fetchImage) pins.set(fetchImage, '');
    const made = Math.floor(Date.now() / 1000).toString(36);
    for (const id of pins.keys()) {
      const name = `${appUuid}-${id.replace(/^sha256:/, '').slice(0, 12)}-${made}-${crypto.randomBytes(4).toString('hex')}`;
      await docker.getImage(id).tag({ repo: PIN_REPO, tag: name });
      pins.set(id, `${PIN_REPO}:${name}`);
    }
    return pins;
  } catch {
    // An image that went away meanwhile: the legacy build names it by ID and says so.
    await unpin(docker, pins, '');
    return undefined;
  }
}

/** The engines whose pin tags this core has looked over once (see sweepStalePins). */
const swept = new WeakSet<Docker>();

/** A pin tag older than this belongs to a build that cannot still be resolving its images. */
const STALE_PIN_MS = 6 * 60 * 60 * 1000;

/**
 * Removes the pin tags a core left when it stopped mid-build (a crash, a killed process): each tag says
 * when it was made, and one older than STALE_PIN_MS is no build's any more. Other cores on the same
 * engine may be building right now, so their fresh tags stay. Tags without a time (an older version's)
 * count as stale. Only tags go: the images keep their own names. Best effort: a failure here costs a
 * tag, never the build.
 */
export async function sweepStalePins(docker: Docker, now = Date.now()): Promise<number> {
  let removed = 0;
  try {
    const images = await docker.listImages({ filters: { reference: [PIN_REPO] } });
    for (const ref of images.flatMap((i) => i.RepoTags ?? [])) {
      if (!ref.startsWith(`${PIN_REPO}:`)) continue;
      const made = /-([0-9a-z]{1,9})-[0-9a-f]{8}$/.exec(ref);
      if (made && now - parseInt(made[1]!, 36) * 1000 < STALE_PIN_MS) continue;
      await docker
        .getImage(ref)
        .remove({ noprune: true })
        .then(() => removed++)
        .catch(() => undefined);
    }
  } catch {
    // The engine could not list its images: the next core to start looks again.
  }
  return removed;
}

/** Removes the pin tags (only the tags: the images keep their own names; the fetch image goes anyway). */
async function unpin(docker: Docker, pins: Map<string, string>, fetchImage: string): Promise<void> {
  for (const [id, ref] of pins) {
    if (!ref || id === fetchImage) continue;
    await docker
      .getImage(ref)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
}

/** The engine refused a build request outright (before any output): not a failed build. */
class EngineRefused extends BuildFailed {}

/** Runs one engine build, streaming its output lines to the pusher; resolves with its error, if any. */
async function runBuild(
  docker: Docker,
  context: Readable,
  options: Record<string, unknown>,
  say: (line: string) => void,
  onMessage?: (m: BuildMessage) => void,
): Promise<string | undefined> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, options);
  } catch (err) {
    throw new EngineRefused(`The Docker engine refused the build: ${(err as Error).message}`);
  }
  const lines = lineSplitter(say);
  const trace = new BuildTrace(say);
  return new Promise<string | undefined>((resolve, reject) => {
    let error: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        trace.end();
        lines.end();
        if (err) reject(new BuildFailed(`The Docker build stopped: ${err.message}`));
        else resolve(error);
      },
      (msg: BuildMessage) => {
        onMessage?.(msg);
        if (msg.id === 'moby.buildkit.trace') {
          if (typeof msg.aux === 'string') trace.add(msg.aux);
        } else if (msg.stream) lines.write(msg.stream);
        else if (msg.status) lines.write(`${msg.status}\n`);
        if (msg.error) error = msg.errorDetail?.message ?? msg.error;
      },
    );
  });
}
