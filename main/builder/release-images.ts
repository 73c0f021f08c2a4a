/**
 * The images an app's releases run, kept within bounds: after each release that deploys, the images
 * this core built for the app (labelled with its uuid, tagged `deis-desktop/<app>:*`) that none of its
 * last N releases runs are removed (N: DEIS_KEEP_RELEASE_IMAGES, default 5). Images pulled with
 * `deis pull` (a public `debian:bookworm`, another app's) are never ours to remove. A rollback to a
 * release whose image is gone is refused before any release is cut, saying why.
 */
import type Docker from 'dockerode';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import type { Target } from '../../cluster/target';
import { badRequest } from '../contract/errors';
import type { Controller } from '../controller';
import type { AppRow } from '../controller/apps';
import type { ReleaseRow } from '../controller/releases';

export interface ReleaseImagesOptions {
  /** How many of an app's newest releases keep their images (DEIS_KEEP_RELEASE_IMAGES). */
  keep: number;
  /** The engine the builder builds on; absent when releases run nowhere real (the fake target). */
  engine?: () => Docker;
  log: (line: string) => void;
}

/** The tags this core gives the images it builds for the app (see `imageTag`). */
export const ownTags = (appId: string, tags: string[] | undefined): string[] =>
  (tags ?? []).filter((t) => t.startsWith(`deis-desktop/${appId}:`));

/**
 * Removes one image this core built for the app: its own tags go (the image goes with the last one);
 * an image left without any tag (its tag moved to a rebuild of the same commit) goes by ID. An image
 * also tagged by someone else keeps that tag; one still in use by a container, or the parent of
 * another image, stays (the engine refuses) and is tried again next time.
 */
export async function removeOwnImage(
  docker: Docker,
  appId: string,
  image: Docker.ImageInfo,
): Promise<boolean> {
  const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  const own = ownTags(appId, tags);
  if (tags.length > 0 && own.length === 0) return false;
  let removed = false;
  for (const ref of own.length ? own : [image.Id])
    await docker
      .getImage(ref)
      .remove()
      .then(() => (removed = true))
      .catch(() => undefined);
  return removed;
}

export class ReleaseImages {
  /** One prune at a time per app; a release that comes in meanwhile prunes again after it. */
  private readonly pruning = new Map<string, Promise<void>>();

  constructor(
    private readonly c: Controller,
    private readonly target: Target,
    private readonly options: ReleaseImagesOptions,
  ) {}

  /** The app's newest `keep` releases that run a build (failed ones never run again). */
  private kept(app: AppRow): ReleaseRow[] {
    return this.c.releases
      .list(app)
      .filter((r) => r.build_uuid && !r.failed)
      .slice(0, this.options.keep);
  }

  /** Prunes in the background (the release already serves); returns when this app's prune ends. */
  schedule(app: AppRow): Promise<void> {
    const before = this.pruning.get(app.uuid) ?? Promise.resolve();
    const next = before
      .then(async () => {
        await this.prune(app);
      })
      .catch((err: unknown) =>
        this.options.log(`builder: could not remove old images of ${app.id}: ${(err as Error).message}`),
      )
      .finally(() => {
        if (this.pruning.get(app.uuid) === next) this.pruning.delete(app.uuid);
      });
    this.pruning.set(app.uuid, next);
    return next;
  }

  /**
   * Removes the app's images that none of its last `keep` releases runs, on the local engine and on
   * the app's target when it keeps copies of its own (a Docker host over SSH); returns how many went.
   */
  async prune(app: AppRow): Promise<number> {
    // A destroyed app's images all go with it (AppStorage, and its target's destroy).
    if (!this.c.apps.find(app.id)) return 0;
    const ref = (b: { image_id: string; image: string }) => b.image_id || b.image;
    const keep = new Set(this.kept(app).map((r) => ref(this.c.builds.get(app, r.build_uuid!))));
    const here = await this.pruneLocal(app, keep, ref);
    const there = (await this.target.pruneImages?.(app.id, [...keep])) ?? 0;
    if (there)
      this.options.log(`builder: removed ${there} old image(s) of ${app.id} from its target ${app.target}`);
    return here + there;
  }

  private async pruneLocal(
    app: AppRow,
    keep: Set<string>,
    ref: (b: { image_id: string; image: string }) => string,
  ): Promise<number> {
    const engine = this.options.engine;
    if (!engine) return 0;
    // Only images of recorded builds: one just built, whose release is not cut yet, is no build yet.
    const recorded = new Set(this.c.builds.list(app).map(ref));
    const matches = (set: Set<string>, image: Docker.ImageInfo) =>
      set.has(image.Id) || (image.RepoTags ?? []).some((t) => set.has(t));
    const docker = engine();
    const images = await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${app.uuid}`] } });
    let removed = 0;
    for (const image of images) {
      if (matches(keep, image) || !matches(recorded, image)) continue;
      if (await removeOwnImage(docker, app.id, image)) removed++;
    }
    if (removed) this.options.log(`builder: removed ${removed} old image(s) of ${app.id}`);
    return removed;
  }

  /**
   * Before a rollback cuts a release: the release's image must still be there. Its absence is
   * explained (pruned, or removed by hand); an engine that does not answer is left to the deploy.
   */
  async checkRollback(app: AppRow, release: ReleaseRow): Promise<void> {
    if (!release.build_uuid) return;
    const build = this.c.builds.get(app, release.build_uuid);
    const origin = await this.target.inspectImage(build.image_id || build.image).catch(() => undefined);
    if (origin?.kind !== 'missing') return;
    const ours = build.image.startsWith(`deis-desktop/${app.id}:`);
    const pruned = ours && !this.kept(app).some((r) => r.uuid === release.uuid);
    if (pruned)
      throw badRequest(
        `The image of v${release.version} was removed to save space (only the last ${this.options.keep} releases keep their images); push again or raise DEIS_KEEP_RELEASE_IMAGES.`,
      );
    throw badRequest(
      `The image of v${release.version} (${build.image}) is no longer on the Docker engine; push the code again or pull the image.`,
    );
  }
}

/** Wires the retention: prunes after every release that deployed, checks every rollback first. */
export function watchReleaseImages(
  c: Controller,
  target: Target,
  options: ReleaseImagesOptions,
): ReleaseImages {
  const images = new ReleaseImages(c, target, options);
  // Listeners run in order and stop at the first failure: registered after the scheduler's, this one
  // runs only once the release serves.
  c.releases.onRelease(({ app, release }) => {
    if (release.build_uuid) void images.schedule(app);
  });
  c.releases.checkRollbacksWith((app, release) => images.checkRollback(app, release));
  return images;
}
