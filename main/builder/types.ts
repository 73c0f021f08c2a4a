/** The builder's seams: what the core injects (key lookup, authorization, build) and what a build sees and gives back. */
import type { PushLocks } from './locks';
import type { SshLimits } from './sshd';
import type { Procfile } from './procfile';

/**
 * The users who registered a public key, earliest first (empty: nobody); `fingerprintMd5` is
 * `aa:bb:...` over the key blob, as Deis keys it. A public key is public, so several users may have
 * registered the same one; only the holder of the private key can log in with it.
 */
export type LookupKey = (
  fingerprintMd5: string,
  keyType: string,
  keyData: Buffer,
) => string[] | Promise<string[]>;

export type Verdict =
  /** `user`: the holder the push or fetch is for; `appUuid` names the app's repository. */
  { kind: 'ok'; user: string; appUuid: string } | { kind: 'no-app' } | { kind: 'forbidden' };

/**
 * May one of `holders` (the users who registered the key the client logged in with) push to (or
 * fetch from) `app`, and for which of them? The core answers for owners, collaborators and admins.
 */
export type Authorize = (holders: string[], app: string) => Verdict | Promise<Verdict>;

/** One pushed branch, as git's pre-receive hook reports it. */
export interface RefUpdate {
  oldSha: string;
  newSha: string;
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
}

export interface BuildRequest extends RefUpdate {
  app: string;
  /** The app's uuid when the push was authorized: a push must never build into a new app of the same name. */
  appUuid: string;
  user: string;
  repo: {
    /** The app's bare repository. */
    path: string;
    /**
     * Environment for running git in `path` against `newSha`. During pre-receive git keeps the pushed
     * objects in a quarantine directory; only with these variables can git (e.g. `git archive`) see them.
     */
    env: Record<string, string>;
  };
  /** Aborted when the pusher goes away (Ctrl-C, lost connection) or the builder stops. */
  signal: AbortSignal;
}

export interface BuildOutput {
  /** Shows `text` to the pusher as `remote: <text>` lines, right away. */
  line(text: string): void;
}

export type BuildResult = { ok: true } | { ok: false; reason: string };

/** Builds (and later deploys) one pushed commit; the push is accepted only if this succeeds. */
export type Build = (request: BuildRequest, output: BuildOutput) => Promise<BuildResult>;

export interface BuilderOptions {
  /** DEIS_HOME: the host key lives in `<home>/builder`, the repos in `<home>/repos`. */
  home: string;
  /** 0 picks a free port; the started builder reports the real one. */
  port: number;
  host: '127.0.0.1';
  lookupKey: LookupKey;
  authorize: Authorize;
  build: Build;
  log: (line: string) => void;
  /** The apps' push locks, shared with other ways of pushing (the desktop's folder deploy). */
  locks?: PushLocks;
  /** The SSH server's limits (contract/limits.ts); tests shorten the times. */
  limits?: Partial<SshLimits>;
}

export interface Builder {
  port: number;
  /** SSH connections open right now, and how many of them are not logged in yet. */
  connections(): { open: number; unauthenticated: number };
  /** Closes the SSH server and the hook bridge, drops connections and kills every git child. */
  stop(): Promise<void>;
}

export interface BuildSpec {
  app: string;
  /** The app's uuid: caches and image labels are keyed by it, so a new app of the same name shares nothing. */
  appUuid: string;
  /**
   * The pusher is an administrator (the desktop's own user): their builds may use any image of the
   * local engine. Other users' builds may not use images built for another app.
   */
  trusted: boolean;
  /** Full commit sha being built. */
  sha: string;
  /** The app's bare git repository. */
  repo: string;
  /** Environment for git in `repo` (the push's quarantine, while pre-receive runs). */
  gitEnv?: Record<string, string>;
  /** The app's config values (given to buildpacks as ENV_DIR). */
  config: Record<string, string>;
  output: BuildOutput;
  signal?: AbortSignal;
}

export interface BuiltImage {
  image: string;
  /** The image's ID (`sha256:...`): releases run exactly this, whatever happens to the tag later. */
  imageId: string;
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
