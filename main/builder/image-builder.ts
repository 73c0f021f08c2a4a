/** Turns a pushed commit into a runnable image: a Dockerfile at the root means a Docker build, else buildpacks. */
import type Docker from 'dockerode';
import { buildpackBuild, type BuildpackSettings } from './buildpack-build';
import { dockerfileBuild, type DockerfileSettings } from './dockerfile-build';
import { hasFileAt, readFileAt } from './git';
import { parseProcfile, ProcfileError, type Procfile } from './procfile';
import { ensureStack, type StackSettings } from './stack';
import { BuildFailed, type BuildSpec, type BuiltImage } from './types';

export class ImageBuilder {
  constructor(
    /** The engine, connected on first build. */
    private readonly engine: () => Docker,
    private readonly settings: BuildpackSettings,
    /** When given, the default stack is built on first need; else the stack must exist. */
    private readonly stack?: StackSettings,
  ) {}

  async build(spec: BuildSpec): Promise<BuiltImage> {
    // Read the Procfile first: an invalid one fails the push before any slow work.
    const own = await this.ownProcfile(spec);
    if (await hasFileAt(spec, spec.sha, 'Dockerfile')) {
      spec.output.line('-----> Dockerfile found: building the image with Docker');
      const image = await dockerfileBuild(this.engine(), spec, this.settings as DockerfileSettings);
      return { image, procfile: own ?? {}, dockerfile: true };
    }
    if (this.stack) await ensureStack(this.engine(), this.stack, spec.output);
    const built = await buildpackBuild(this.engine(), spec, this.settings);
    return own ? { ...built, procfile: own } : built;
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
