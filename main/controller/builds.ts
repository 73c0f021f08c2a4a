/**
 * Builds: an image and its Procfile, from `deis pull` or a git push. Each build cuts a release with
 * the current config; `create` is the one entry point for the API and the builder alike.
 */
import type { ImageOrigin } from '../../cluster/target';
import { procfileProblem } from '../contract/builds';
import { DeisError, forbidden, invalid, notFound } from '../contract/errors';
import type { Build, Procfile } from '../contract/objects';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import type { ReleaseRow, Releases } from './releases';
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

export class Builds {
  private origins: ImageOrigins | undefined;

  constructor(
    private readonly store: Store,
    private readonly releases: Releases,
  ) {}

  /** Wires the target that answers `admitImage`'s question; without one only admins may pull images. */
  useImageOrigins(origins: ImageOrigins): void {
    this.origins = origins;
  }

  /**
   * May `user` release `image` (`deis pull`) in `app`? A local image holds the code of whatever it
   * was built from, so a non-admin may only release images the builder made for this very app (its
   * uuid, not its name, which a destroyed app hands on); administrators (the desktop's own user) may
   * release any. A missing image gets the same answer as a foreign one: no oracle of what exists.
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
    if (user.is_superuser) return origin?.kind === 'local' ? origin.id : '';
    if (origin?.kind === 'registry') return '';
    if (origin?.kind === 'local' && origin.appUuid === app.uuid) return origin.id;
    throw forbidden(
      `Only an administrator may release an image of the local Docker engine that was not built for ${app.id}; push the app's code with git instead.`,
    );
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
    await this.releases.announce({ app, release: result.release, cause: 'build' });
    return result;
  }
}
