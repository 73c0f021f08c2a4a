/**
 * What the builder keeps of an app outside the store — its repository, its build cache volume and
 * the images built for it — all keyed by the app's uuid, and their removal when the app is destroyed
 * (a repository a crash left is removed when the core starts), so nothing passes to the next app of
 * the name. A cache whose removal failed is never used again (caches are per uuid); it only takes room.
 */
import type Docker from 'dockerode';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import { cacheVolume } from './buildpack-build';
import { removeOwnImage } from './release-images';
import type { PushLocks } from './locks';
import { removeRepo, repoKeys } from './repo';

export interface AppStorageOptions {
  reposDir: string;
  instance: string;
  log: (line: string) => void;
}

export interface AppRef {
  id: string;
  uuid: string;
}

const statusOf = (err: unknown) => (err as { statusCode?: number }).statusCode;

export class AppStorage {
  constructor(
    private readonly engine: () => Docker,
    private readonly locks: PushLocks,
    private readonly options: AppStorageOptions,
  ) {}

  /**
   * Removes everything the builder kept of a destroyed app. A push of it still running keeps using its
   * repository and cache until it fails (its app is gone), so removal then waits for it, in the background.
   */
  async forget(app: AppRef): Promise<void> {
    if (this.locks.isHeld(app.id)) {
      void this.locks.released(app.id).then(() => this.remove(app));
      return;
    }
    await this.remove(app);
  }

  private async remove(app: AppRef): Promise<void> {
    const { log } = this.options;
    try {
      removeRepo(this.options.reposDir, app.uuid);
    } catch (err) {
      log(`builder: could not remove the repository of ${app.id}: ${(err as Error).message}`);
    }
    const docker = this.engine();
    // (Caches from before issue 8, `deis-cache-<app name>`, are never used again; they are left alone,
    // as another core on the engine may still be an older version using them.)
    const cache = cacheVolume(this.options.instance, app.uuid);
    await docker
      .getVolume(cache)
      .remove()
      .catch((err: unknown) => {
        if (statusOf(err) !== 404)
          log(`builder: could not remove the build cache ${cache}: ${(err as Error).message}`);
      });
    await this.removeImages(docker, app).catch((err: unknown) =>
      log(`builder: could not remove the images of ${app.id}: ${(err as Error).message}`),
    );
  }

  /**
   * Removes the images built for the app: labelled with its uuid (unique across cores) and tagged with
   * its name, or left without a tag by a rebuild (see `removeOwnImage`). An image built FROM one of
   * them inherits the label but not the tag, and stays (and so does its parent).
   */
  private async removeImages(docker: Docker, app: AppRef): Promise<void> {
    const images = await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${app.uuid}`] } });
    for (const image of images) await removeOwnImage(docker, app.id, image);
  }

  /** At start, before the builder listens: removes repositories of apps that no longer exist. */
  async sweepRepos(exists: (appUuid: string) => boolean): Promise<void> {
    for (const key of repoKeys(this.options.reposDir))
      if (!exists(key)) removeRepo(this.options.reposDir, key);
  }
}
