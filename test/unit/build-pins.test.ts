/**
 * Pin tags (the names BuildKit finds our pinned base images by) left behind by a core that stopped
 * mid-build are removed by the next core, on the real engine; another core's fresh tags stay.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { PIN_REPO, sweepStalePins } from '../../main/builder/dockerfile-build';
import { BASE_IMAGE, dockerAvailable, ensureBaseImage } from '../support/images';

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)('stale build pin tags', () => {
  const docker = dockerEngine();
  const app = crypto.randomUUID();
  const at = (ms: number) => Math.floor(ms / 1000).toString(36);
  const now = Date.now();
  const tags = {
    crashed: `${app}-aaaaaaaaaaaa-${at(now - 7 * 3600_000)}-0badf00d`,
    building: `${app}-bbbbbbbbbbbb-${at(now - 60_000)}-1badf00d`,
    olderVersion: `${app}-cccccccccccc-2badf00d`,
  };
  const ours = async () =>
    (await docker.listImages({ filters: { reference: [PIN_REPO] } }))
      .flatMap((i) => i.RepoTags ?? [])
      .filter((t) => t.includes(app))
      .map((t) => t.slice(PIN_REPO.length + 1))
      .sort();

  beforeAll(async () => {
    await ensureBaseImage();
    for (const tag of Object.values(tags)) await docker.getImage(BASE_IMAGE).tag({ repo: PIN_REPO, tag });
  });
  afterAll(async () => {
    for (const tag of Object.values(tags))
      await docker
        .getImage(`${PIN_REPO}:${tag}`)
        .remove({ noprune: true })
        .catch(() => undefined);
  });

  it('removes the tags of builds that ended hours ago, keeps a build in progress, and never the image', async () => {
    expect(await ours()).toEqual(Object.values(tags).sort());
    expect(await sweepStalePins(docker, now)).toBeGreaterThanOrEqual(2);
    expect(await ours()).toEqual([tags.building]);
    expect((await docker.getImage(BASE_IMAGE).inspect()).RepoTags).toContain(BASE_IMAGE);
  });
});
