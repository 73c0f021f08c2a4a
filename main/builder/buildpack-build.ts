/**
 * BuildpackBuild: compiles the pushed commit with the Heroku buildpack API inside a container of the
 * stack image, with a per-app cache volume, then commits that container as the app's runnable image.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { imageExists, lineSplitter } from '../../cluster/docker/engine';
import { LABEL_APP, LABEL_APP_UUID, LABEL_INSTANCE, LABEL_ROLE } from '../../cluster/docker/labels';
import { parseBuildpackUrl, type BuildpackSource } from '../contract/buildpack-url';
import { archive, readFileAt } from './git';
import { parseProcfile, releaseProcessTypes, type Procfile } from './procfile';
import { BUILD_SCRIPT, FETCH_FAILED_EXIT, NO_BUILDPACK_EXIT, RUNNER_INIT } from './scripts';
import { firstFileOfTar } from './tar';
import { BuildFailed, imageTag, shortSha, type BuildSpec, type BuiltImage } from './types';

export interface BuildpackSettings {
  /** Image the build runs in; the result is this image plus the compiled app. */
  stackImage: string;
  /** Folders whose subfolders are buildpacks, tried in order (bundled first, then configured). */
  buildpackDirs: string[];
  /** DEIS_INSTANCE: caches and images are marked with it, so cores sharing an engine never share them. */
  instance: string;
  /** Dockerfile apps are built with BuildKit when the engine has it (dockerfile-build.ts); default true. */
  buildkit?: boolean;
}

/**
 * The app's build cache: per instance and app *uuid*, never per name, so neither another core on the
 * engine nor the next owner of a name gets it (it would run their code with the cache's contents).
 */
export const cacheVolume = (instance: string, appUuid: string): string => `deis-cache-${instance}-${appUuid}`;

/** Labels of what a build of the app makes (cache volume, build container, image). */
export function buildLabels(
  settings: BuildpackSettings,
  spec: BuildSpec,
  role: string,
): Record<string, string> {
  return {
    [LABEL_INSTANCE]: settings.instance,
    [LABEL_ROLE]: role,
    [LABEL_APP]: spec.app,
    [LABEL_APP_UUID]: spec.appUuid,
  };
}

/** BUILDPACK_URL of the build's config, checked again (it may have been stored before the rules). */
export function buildpackSource(spec: BuildSpec): BuildpackSource | undefined {
  const url = spec.config.BUILDPACK_URL;
  if (!url) return undefined;
  const parsed = parseBuildpackUrl(url);
  if (typeof parsed === 'string')
    throw new BuildFailed(`${parsed} Change it with: deis config:set BUILDPACK_URL=<url>`);
  return parsed;
}

/** Deis's SSH_KEY (base64 of a private key, as its CLI sends it, or the key itself), or undefined. */
function sshKey(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const text = value.includes('PRIVATE KEY') ? value : Buffer.from(value, 'base64').toString('utf8');
  return text.includes('PRIVATE KEY-----') ? `${text.trim()}\n` : undefined;
}

export async function buildpackBuild(
  docker: Docker,
  spec: BuildSpec,
  settings: BuildpackSettings,
): Promise<BuiltImage> {
  if (!(await imageExists(docker, settings.stackImage)))
    throw new BuildFailed(
      `The stack image ${settings.stackImage} is not in the local Docker engine; build or pull it, or set DEIS_STACK_IMAGE.`,
    );
  const source = buildpackSource(spec);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-stage-'));
  let container: Docker.Container | undefined;
  try {
    stage(staging, spec, settings, source);
    const useCache = !spec.config.DEIS_DISABLE_CACHE;
    const cache = cacheVolume(settings.instance, spec.appUuid);
    if (useCache) await docker.createVolume({ Name: cache, Labels: buildLabels(settings, spec, 'cache') });
    const env = [
      `STACK=${settings.stackImage}`,
      `SOURCE_VERSION=${spec.sha}`,
      'HOME=/app',
      `DEIS_APP=${spec.app}`,
    ];
    if (source) {
      spec.output.line(`-----> Fetching custom buildpack ${source.masked}`);
      env.push(
        `DEIS_BUILDPACK_REPO=${source.repo}`,
        `DEIS_BUILDPACK_REF=${source.ref ?? ''}`,
        `DEIS_BUILDPACK_TRANSPORT=${source.transport}`,
      );
    }
    container = await docker.createContainer({
      Image: settings.stackImage,
      Cmd: ['bash', '/tmp/deis/build.sh'],
      User: 'root',
      WorkingDir: '/app',
      Env: env,
      Labels: buildLabels(settings, spec, 'build'),
      HostConfig: useCache ? { Binds: [`${cache}:/tmp/cache`] } : {},
    });
    await container.putArchive(archive(spec, spec.sha, 'app/'), { path: '/' });
    await container.putArchive(tarOf(staging), { path: '/' });

    const exitCode = await runStreaming(docker, container, spec);
    if (exitCode === NO_BUILDPACK_EXIT)
      throw new BuildFailed('No buildpack recognised this app: add a Dockerfile or set BUILDPACK_URL.');
    if (exitCode === FETCH_FAILED_EXIT && source)
      throw new BuildFailed(`Could not fetch the buildpack ${source.masked}; the lines above say why.`);
    if (exitCode !== 0)
      // Deis's words (its e2e suite and users' scripts look for them), then ours.
      throw new BuildFailed(
        `Build exited with code ${exitCode}, stopping build. The buildpack failed to compile the app; the lines above say why.`,
      );

    const procfile = await processTypes(container, spec);
    await writeProcfile(container, procfile, staging);
    const [repo, tag] = splitTag(imageTag(spec.app, spec.sha));
    // Labelled with the app's uuid and instance: only this app's releases may use it without an admin.
    const labels = Object.entries(buildLabels(settings, spec, 'image')).map(
      ([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`,
    );
    const committed = (await container.commit({
      repo,
      tag,
      comment: `Deis Desktop build of ${spec.app} at ${shortSha(spec.sha)}`,
      changes: ['WORKDIR /app', 'ENV HOME=/app', 'ENTRYPOINT ["/runner/init"]', 'CMD ["web"]', ...labels],
    })) as { Id?: string };
    return { image: `${repo}:${tag}`, imageId: committed.Id ?? '', procfile, dockerfile: false };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

/** The staging tree copied to `/` in the build container: driver, env, buildpacks, runner. */
function stage(
  dir: string,
  spec: BuildSpec,
  settings: BuildpackSettings,
  source: BuildpackSource | undefined,
): void {
  const deis = path.join(dir, 'tmp', 'deis');
  fs.mkdirSync(path.join(deis, 'env'), { recursive: true });
  fs.mkdirSync(path.join(deis, 'buildpacks'), { recursive: true });
  fs.writeFileSync(path.join(deis, 'build.sh'), BUILD_SCRIPT, { mode: 0o755 });
  for (const [key, value] of Object.entries(spec.config))
    fs.writeFileSync(path.join(deis, 'env', key), value);
  fs.mkdirSync(path.join(dir, 'runner'));
  fs.writeFileSync(path.join(dir, 'runner', 'init'), RUNNER_INIT, { mode: 0o755 });

  // Shared helpers of the bundled buildpacks (exporting ENV_DIR), available to every buildpack.
  const helpers = settings.buildpackDirs.map((d) => path.join(d, 'env.sh')).find((f) => fs.existsSync(f));
  if (helpers) fs.copyFileSync(helpers, path.join(deis, 'buildpacks', 'env.sh'));

  if (source) {
    // The build driver fetches it inside the container; SSH_KEY, if any, is its key for SSH URLs.
    const key = sshKey(spec.config.SSH_KEY);
    if (key) fs.writeFileSync(path.join(deis, 'ssh_key'), key, { mode: 0o600 });
    return;
  }
  let n = 0;
  for (const source of settings.buildpackDirs) {
    if (!fs.existsSync(source)) continue;
    for (const name of fs.readdirSync(source).sort()) {
      const bp = path.join(source, name);
      if (!fs.existsSync(path.join(bp, 'bin', 'detect'))) continue;
      fs.cpSync(bp, path.join(deis, 'buildpacks', `${String(++n).padStart(2, '0')}-${name}`), {
        recursive: true,
      });
    }
  }
}

function tarOf(dir: string): NodeJS.ReadableStream {
  const child = spawn('tar', ['-c', '-C', dir, '--owner=0', '--group=0', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child.stdout;
}

/** Starts the container, streams its output line by line, and returns its exit code. */
async function runStreaming(docker: Docker, container: Docker.Container, spec: BuildSpec): Promise<number> {
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const out = lineSplitter((l) => spec.output.line(l));
  const err = lineSplitter((l) => spec.output.line(l));
  const stdout = new PassThrough().on('data', (d: Buffer) => out.write(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.write(d));
  docker.modem.demuxStream(stream, stdout, stderr);
  const onAbort = () => void container.kill().catch(() => undefined);
  spec.signal?.addEventListener('abort', onAbort);
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the last output drain
    out.end();
    err.end();
    if (spec.signal?.aborted) throw new BuildFailed('The build was cancelled.');
    return StatusCode;
  } finally {
    spec.signal?.removeEventListener('abort', onAbort);
  }
}

/** The app's Procfile when it has one, else the buildpack's `default_process_types`. */
async function processTypes(container: Docker.Container, spec: BuildSpec): Promise<Procfile> {
  const own = await readFileAt(spec, spec.sha, 'Procfile');
  if (own !== undefined) return parseProcfile(own);
  const release = await firstFileOfTar(await container.getArchive({ path: '/app/.release' })).catch(() => '');
  return releaseProcessTypes(release);
}

/** Puts the process types where `/runner/init` reads them, when the app did not bring a Procfile. */
async function writeProcfile(
  container: Docker.Container,
  procfile: Procfile,
  staging: string,
): Promise<void> {
  const dir = path.join(staging, 'procfile');
  fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
  const text = Object.entries(procfile)
    .map(([type, cmd]) => `${type}: ${cmd}\n`)
    .join('');
  fs.writeFileSync(path.join(dir, 'app', 'Procfile'), text);
  await container.putArchive(tarOf(dir), { path: '/' });
}

function splitTag(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  return [ref.slice(0, i), ref.slice(i + 1)];
}
