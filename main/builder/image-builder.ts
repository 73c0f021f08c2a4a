/** Turns a pushed commit into a runnable image: a Dockerfile at the root means a Docker build, else buildpacks. */
import type Docker from 'dockerode';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import { parseBuildpackUrl, redact } from '../contract/buildpack-url';
import { buildpackBuild, type BuildpackSettings } from './buildpack-build';
import { dockerfileBuild, type DockerfileSettings } from './dockerfile-build';
import { COMMIT_FILE_MAX_BYTES, DOCKERFILE_MAX_BYTES, DOCKERIGNORE_MAX_BYTES } from '../contract/limits';
import { commitFiles, hasFileAt, readFileAt } from './git';
import { parseProcfile, ProcfileError, type Procfile } from './procfile';
import type { StackPreparer } from './stack';
import { BuildFailed, type BuildSpec, type BuiltImage } from './types';

export class ImageBuilder {
  constructor(
    /** The engine, connected on first build. */
    private readonly engine: () => Docker,
    private readonly settings: BuildpackSettings,
    /** When given, the stack is prepared (pulled or built) on first need; else it must exist. */
    private readonly stack?: Pick<StackPreparer, 'ensure'>,
  ) {}

  async build(input: BuildSpec): Promise<BuiltImage> {
    // Credentials in BUILDPACK_URL never reach the pusher, the task log or the store, whoever prints them.
    const parsed = input.config.BUILDPACK_URL ? parseBuildpackUrl(input.config.BUILDPACK_URL) : undefined;
    const secrets = parsed && typeof parsed !== 'string' ? parsed.secrets : [];
    const spec: BuildSpec = secrets.length
      ? { ...input, output: { line: (l) => input.output.line(redact(l, secrets)) } }
      : input;
    try {
      return await this.buildImage(spec);
    } catch (err) {
      if (err instanceof Error && secrets.length) err.message = redact(err.message, secrets);
      throw err;
    }
  }

  private async buildImage(spec: BuildSpec): Promise<BuiltImage> {
    // The Procfile and the Dockerfile are read by one git process, after one listing of the commit.
    await commitFiles(spec, spec.sha).prefetchTop({
      Procfile: COMMIT_FILE_MAX_BYTES,
      Dockerfile: DOCKERFILE_MAX_BYTES,
      '.dockerignore': DOCKERIGNORE_MAX_BYTES,
    });
    // Read the Procfile first: an invalid one fails the push before any slow work.
    const own = await this.ownProcfile(spec);
    if (await hasFileAt(spec, spec.sha, 'Dockerfile')) {
      spec.output.line('-----> Dockerfile found: building the image with Docker');
      const settings: DockerfileSettings = {
        instance: this.settings.instance,
        buildkit: this.settings.buildkit,
      };
      const image = await dockerfileBuild(this.engine(), spec, settings);
      return { image, imageId: await this.builtId(image, spec), procfile: own ?? {}, dockerfile: true };
    }
    if (this.stack) await this.stack.ensure(spec.output);
    const built = await buildpackBuild(this.engine(), spec, this.settings);
    return own ? { ...built, procfile: own } : built;
  }

  /**
   * The ID of the image a Dockerfile build just tagged. The tag is a name another core on the engine
   * could move; an image labelled for another app means it did, and the build must not use it.
   */
  private async builtId(tag: string, spec: BuildSpec): Promise<string> {
    let info: Docker.ImageInspectInfo;
    try {
      info = await this.engine().getImage(tag).inspect();
    } catch {
      throw new BuildFailed(`The image ${tag} disappeared right after its build; push again.`);
    }
    const owner = info.Config?.Labels?.[LABEL_APP_UUID];
    if (owner && owner !== spec.appUuid)
      throw new BuildFailed(`The tag ${tag} was moved to another image during the build; push again.`);
    return info.Id;
  }

  private async ownProcfile(spec: BuildSpec): Promise<Procfile | undefined> {
    const text = await readFileAt(spec, spec.sha, 'Procfile');
    if (text === undefined) return undefined;
    try {
      return parseProcfile(text);
    } catch (err) {
      if (err instanceof ProcfileError) throw new BuildFailed(`Invalid Procfile: ${err.message}`);
      throw err;
    }
  }
}
