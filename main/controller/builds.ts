/**
 * Builds: an image and its Procfile, from `deis pull` or a git push. Each build cuts a release with
 * the current config; `create` is the one entry point for the API and the builder alike.
 */
import { TargetError, type ImageOrigin } from '../../cluster/target';
import { procfileProblem } from '../contract/builds';
import { badRequest, DeisError, forbidden, invalid, notFound } from '../contract/errors';
import type { Build, Procfile } from '../contract/objects';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import type { ReleaseRow, Releases } from './releases';
import type { Tasks } from './tasks';
import { deployedSummary } from './summary';
import type { UserRow } from './users';

export interface BuildRow {
  uuid: string;
  app_uuid: string;
  owner_id: number;
  /** The owner's username. */
  owner: string;
  image: string;
  /** The image's ID when it was built or admitted (empty when unknown): what releases run. */
  image_id: string;
  sha: string;
  /** JSON text. */
  procfile: string;
  dockerfile: string;
  created: string;
  updated: string;
}

export interface NewBuild {
  /** Image reference (`deis pull`), or what the builder produced. */
  image: string;
  /** The image's ID (see `admitImage` and the builder); releases run it rather than the tag. */
  imageId?: string;
  procfile?: Procfile;
  /** The git commit of a push (Deis keeps 8 characters; summaries show 7). Empty for images. */
  sha?: string;
  /** Dockerfile contents or Deis's "true" marker for Dockerfile builds; empty otherwise. */
  dockerfile?: string;
  /** The build's output, kept with it so it can be read later. */
  log?: string;
  /** Told how the deploy of the release goes, line by line (the push's output). */
  say?: (line: string) => void;
  /** Told the release's version once it is cut, before its deploy starts. */
  cut?: (version: number) => void;
}

const SELECT_BUILD =
  'SELECT builds.*, users.username AS owner FROM builds JOIN users ON users.id = builds.owner_id';

export function buildJson(row: BuildRow, appId: string): Build {
  return {
    owner: row.owner,
    app: appId,
    image: row.image,
    sha: row.sha,
    procfile: JSON.parse(row.procfile) as Procfile,
    dockerfile: row.dockerfile,
    created: row.created,
    updated: row.updated,
    uuid: row.uuid,
  };
}

/** Asks the target where an image would come from (see Target.inspectImage). */
export type ImageOrigins = (ref: string) => Promise<ImageOrigin>;
/** Pulls an image into the target's engine (see Target.pullImage); throws TargetError when it cannot. */
export type ImagePuller = (
  ref: string,
  options: { credentials?: { username: string; password: string }; log: (line: string) => void },
) => Promise<ImageOrigin>;

/** Deis's words for an image that cannot be had, then why. */
export const imageNotFound = (image: string, why?: string) =>
  badRequest(`image ${image} not found${why ? ` (${why})` : ''}`);

export class Builds {
  private origins: ImageOrigins | undefined;
  private puller:
    { pull: ImagePuller; tasks: Tasks; registry: (app: AppRow) => Record<string, string> } | undefined;

  constructor(
    private readonly store: Store,
    private readonly releases: Releases,
  ) {}

  /** Wires the target that answers `admitImage`'s question; without one only admins may pull images. */
  useImageOrigins(origins: ImageOrigins): void {
    this.origins = origins;
  }

  /** Wires the pulls of `deis pull`: the target's engine, the tasks they show as, the app's registry login. */
  useImagePuller(pull: ImagePuller, tasks: Tasks, registry: (app: AppRow) => Record<string, string>): void {
    this.puller = { pull, tasks, registry };
  }

  /**
   * May `user` release `image` (`deis pull`) in `app`? A local image holds the code of whatever it
   * was built from, so a non-admin may only release images the builder made for this very app (its
   * uuid, not its name, which a destroyed app hands on); administrators (the desktop's own user) may
   * release any. A missing image is pulled from its registry (Deis's `deis pull`), for anyone; so
   * a non-admin can tell a local name that is not theirs (403) from one the engine lacks (a pull).
   * Returns the image's ID, which the build records, so the release runs exactly that image.
   */
  async admitImage(app: AppRow, user: UserRow, image: string): Promise<string> {
    let origin: ImageOrigin | undefined;
    try {
      origin = this.origins ? await this.origins(image) : undefined;
    } catch (err) {
      if (user.is_superuser) return '';
      throw new DeisError(
        'unavailable',
        `Deis Desktop cannot check the image ${image} now (${(err as Error).message}); try again when Docker answers.`,
      );
    }
    if (origin?.kind === 'registry') return '';
    if (origin?.kind === 'local' && (user.is_superuser || origin.appUuid === app.uuid)) return origin.id;
    // A missing image comes from its registry, for anyone: what a registry serves is anyone's to release.
    if (origin?.kind === 'missing' && this.puller) return this.pull(app, image, user);
    if (user.is_superuser) return '';
    throw forbidden(
      `Only an administrator may release an image of the local Docker engine that was not built for ${app.id}; push the app's code with git instead.`,
    );
  }

  /**
   * Pulls a missing image as a task with progress, with the app's `deis registry:set` login for the
   * registry the reference names; what a registry serves is anyone's to release.
   */
  private async pull(app: AppRow, image: string, user: UserRow): Promise<string> {
    const { pull, tasks, registry } = this.puller!;
    const login = registry(app);
    const credentials =
      login.username && login.password ? { username: login.username, password: login.password } : undefined;
    const task = tasks.start('pull', `Pulling ${image} for ${app.id}`, app.id, user.username);
    task.step(`Pulling ${image}${credentials ? ` as ${login.username}` : ''}`);
    try {
      const pulled = await pull(image, { credentials, log: (line) => task.log(line) });
      task.succeed();
      return pulled.kind === 'local' ? pulled.id : '';
    } catch (err) {
      const why = (err as Error).message;
      task.fail(why);
      if (err instanceof TargetError && err.code === 'image_missing') {
        // The registry's "not found" is Deis's; any other reason (a login refused, no network) is told as is.
        if (/not found|manifest unknown|does not exist|no such image/i.test(why))
          throw imageNotFound(image, why);
        throw badRequest(`image ${image} could not be pulled: ${why}`);
      }
      throw new DeisError(
        'unavailable',
        `Deis Desktop cannot pull ${image} now (${why}); try again when Docker answers.`,
      );
    }
  }

  /** Newest first. */
  list(app: AppRow): BuildRow[] {
    return this.store.db
      .prepare(`${SELECT_BUILD} WHERE builds.app_uuid = ? ORDER BY builds.created DESC, builds.rowid DESC`)
      .all(app.uuid) as BuildRow[];
  }

  get(app: AppRow, id: string): BuildRow {
    const row = this.store.db
      .prepare(`${SELECT_BUILD} WHERE builds.app_uuid = ? AND builds.uuid = ?`)
      .get(app.uuid, id) as BuildRow | undefined;
    if (!row) throw notFound('Build');
    return row;
  }

  /** The output the build printed (empty for `deis pull` builds). */
  log(app: AppRow, id: string): string {
    const row = this.store.db
      .prepare('SELECT log FROM builds WHERE app_uuid = ? AND uuid = ?')
      .get(app.uuid, this.get(app, id).uuid) as { log: string };
    return row.log;
  }

  /**
   * Records a build and cuts a release of it with the current config ("<u> deployed <image>", or
   * the short sha for a git push); listeners on Releases deploy it.
   */
  async create(
    app: AppRow,
    user: UserRow,
    input: NewBuild,
  ): Promise<{ build: BuildRow; release: ReleaseRow }> {
    const procfile = input.procfile ?? {};
    const problem = procfileProblem(procfile);
    if (problem) throw invalid('procfile', problem);
    if (!input.image.trim()) throw invalid('image', 'This field may not be blank.');
    const result = this.store.tx(() => {
      const now = timestamp();
      const id = uuid();
      this.store.db
        .prepare(
          'INSERT INTO builds (uuid, app_uuid, owner_id, image, image_id, sha, procfile, dockerfile, log, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          id,
          app.uuid,
          user.id,
          input.image,
          input.imageId ?? '',
          input.sha ?? '',
          JSON.stringify(procfile),
          input.dockerfile ?? '',
          input.log ?? '',
          now,
          now,
        );
      const build = this.get(app, id);
      const base = this.releases.current(app);
      const release = this.releases.insert(app, user, {
        config: base.config_uuid,
        build: build.uuid,
        summary: deployedSummary(user.username, build),
      });
      return { build, release };
    });
    input.cut?.(result.release.version);
    await this.releases.announce({ app, release: result.release, cause: 'build', say: input.say });
    return result;
  }
}
