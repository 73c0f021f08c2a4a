/** What a build needs and gives back, shared by the Dockerfile and buildpack builds. */
import type { Procfile } from './procfile';

export interface BuildOutput {
  /** One line of build output, shown to the pusher as `remote: <text>` as it happens. */
  line(text: string): void;
}

export interface BuildSpec {
  app: string;
  /** Full commit sha being built. */
  sha: string;
  /** The app's bare git repository. */
  repo: string;
  /** The app's config values (given to buildpacks as ENV_DIR). */
  config: Record<string, string>;
  output: BuildOutput;
  signal?: AbortSignal;
}

export interface BuiltImage {
  image: string;
  procfile: Procfile;
  dockerfile: boolean;
}

/** A build that failed for a reason the pusher can act on; the message is one plain sentence. */
export class BuildFailed extends Error {
  override readonly name = 'BuildFailed';
}

export const shortSha = (sha: string): string => sha.slice(0, 8);

/** Images are tagged per app and commit, like Deis's `<app>:git-<sha8>`. */
export const imageTag = (app: string, sha: string): string => `deis-desktop/${app}:git-${shortSha(sha)}`;
