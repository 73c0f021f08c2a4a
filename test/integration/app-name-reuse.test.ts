/**
 * A destroyed app's name passes to another user, and nothing else of it does: against a real core on
 * the Docker target, with real git, ssh and builds. The build cache of the old app (a buildpack writes
 * a marker into it) is gone with the app and the new app's build does not see it; the repository is
 * gone, so the new owner fetches nothing of the old code; the old app's images go too. Images built
 * for one app cannot be released in another by a non-admin (`deis pull`), an administrator may, and a
 * release runs the exact image it was given, even after its tag is moved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_APP, LABEL_APP_UUID, LABEL_INSTANCE } from '../../cluster/docker/labels';
import { cacheVolume } from '../../main/builder/buildpack-build';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { startBuildpackServer, type BuildpackServer } from '../support/buildpack-server';
import { Api, type TestCore } from '../support/core';
import { repoFromFixture, repoFromFolder } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import {
  docker,
  eventually,
  instanceName,
  removeAppImages,
  removeInstance,
  startDockerCore,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
const instance = instanceName('reuse');
const APP = 'reused-name';
const KEEP = 'alice-keeps';

/** A buildpack that reports what its cache holds and leaves a marker (from the app's config) in it. */
function markerBuildpack(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-marker-bp-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  const script = (name: string, body: string) =>
    fs.writeFileSync(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  script('detect', 'echo Marker');
  script(
    'compile',
    [
      'if [ -f "$2/marker" ]; then echo "-----> cache marker: $(cat "$2/marker")"; else echo "-----> cache marker: none"; fi',
      'cat "$3/MARK" > "$2/marker"',
    ].join('\n'),
  );
  script('release', 'printf -- "---\\ndefault_process_types:\\n  web: python3 -m http.server \\$PORT\\n"');
  return repoFromFolder(dir, 'marker buildpack').dir;
}

function site(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-site-'));
  fs.writeFileSync(path.join(dir, 'index.html'), `<h1>${text}</h1>\n`);
  return repoFromFolder(dir, text).dir;
}

describe.skipIf(!hasDocker)('the next owner of an app name', () => {
  let t: TestCore;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  let alicePush: Pusher;
  let bobPush: Pusher;
  let server: BuildpackServer;
  let marker: string;
  const uuids: string[] = [];
  let aliceUuid: string;
  let keptImage: string;

  const create = async (api: Api, id: string) => {
    const r = await api.post('/v2/apps/', { id });
    expect(r.status, r.text).toBe(201);
    const uuid = (r.body as { uuid: string }).uuid;
    uuids.push(uuid);
    return uuid;
  };

  beforeAll(async () => {
    await ensureStackImage();
    t = await startDockerCore(instance);
    admin = await new Api(t.url).register('admin');
    alice = await new Api(t.url).register('alice', 'secret-pw', admin);
    bob = await new Api(t.url).register('bob', 'secret-pw', admin);
    alicePush = new Pusher(t.core.builderPort, 'alice');
    bobPush = new Pusher(t.core.builderPort, 'bob');
    await alicePush.addKeyTo(alice);
    await bobPush.addKeyTo(bob);
    marker = markerBuildpack();
    server = await startBuildpackServer('reuse', { marker });
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await server?.stop();
    // The moved tag names the stack image now: untag it (never remove the stack image itself).
    if (keptImage)
      await docker
        .getImage(keptImage)
        .remove({ noprune: true })
        .catch(() => undefined);
    alicePush?.remove();
    bobPush?.remove();
    await removeInstance(instance);
    await removeAppImages([APP, KEEP]);
    for (const uuid of uuids) {
      for (const image of await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } }))
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
      const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } });
      for (const v of Volumes ?? [])
        await docker
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined);
    }
    if (marker) fs.rmSync(marker, { recursive: true, force: true });
  });

  it("gets neither the old app's build cache, nor its repository, nor its images", async () => {
    aliceUuid = await create(alice, APP);
    const config = { BUILDPACK_URL: server.gitUrl('marker'), MARK: 'left-by-alice' };
    expect((await alice.post(`/v2/apps/${APP}/config/`, { values: config })).status).toBe(201);
    const first = await alicePush.push(site('alice'), APP);
    expect(first.code, first.output).toBe(0);
    expect(first.remote).toContain('-----> cache marker: none');
    // The cache is the app's, per uuid and instance, and labelled so.
    const volume = await docker.getVolume(cacheVolume(instance, aliceUuid)).inspect();
    expect(volume.Labels).toMatchObject({ [LABEL_APP_UUID]: aliceUuid, [LABEL_INSTANCE]: instance });
    const aliceImages = await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${aliceUuid}`] } });
    expect(aliceImages.flatMap((i) => i.RepoTags ?? [])).toEqual([
      expect.stringMatching(`^deis-desktop/${APP}:git-`),
    ]);

    const aliceTasks = (await alice.get(`/v2/desktop/tasks/?app=${APP}`)).body as {
      results: { id: string }[];
    };
    expect(aliceTasks.results.length).toBeGreaterThan(0);
    expect((await alice.delete(`/v2/apps/${APP}/`)).status).toBe(204);
    await expect(docker.getVolume(cacheVolume(instance, aliceUuid)).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(fs.existsSync(path.join(t.home, 'repos', `${aliceUuid}.git`))).toBe(false);
    expect(await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${aliceUuid}`] } })).toEqual([]);

    // Bob takes the name: the repository he can fetch is empty, and alice's builds' tasks (their logs) are not his to see.
    await create(bob, APP);
    expect((await bob.get(`/v2/desktop/tasks/?app=${APP}`)).body).toMatchObject({ count: 0 });
    for (const task of aliceTasks.results) {
      expect((await bob.get(`/v2/desktop/tasks/${task.id}/`)).status).toBe(404);
      // The desktop's administrator still has the history, under a name no app can have.
      expect((await admin.get(`/v2/desktop/tasks/${task.id}/`)).body).toMatchObject({
        app: `${APP} (destroyed)`,
      });
    }
    const remote = await bobPush.run(['ls-remote', bobPush.remoteUrl(APP)]);
    expect(remote.code, remote.output).toBe(0);
    expect(remote.output.trim()).toBe('');
    expect(
      (await bob.post(`/v2/apps/${APP}/config/`, { values: { ...config, MARK: 'left-by-bob' } })).status,
    ).toBe(201);
    const second = await bobPush.push(site('bob'), APP);
    expect(second.code, second.output).toBe(0);
    expect(second.remote).toContain('-----> cache marker: none');
    expect(second.output).not.toContain('left-by-alice');
  }, 600_000);

  it("refuses a non-admin's deis pull of a local image not built for the app; a missing one is pulled from its registry", async () => {
    await create(alice, KEEP);
    const pushed = await alicePush.push(repoFromFixture('dockerfile-app').dir, KEEP);
    expect(pushed.code, pushed.output).toBe(0);
    const builds = (await alice.get(`/v2/apps/${KEEP}/builds/`)).body as { results: { image: string }[] };
    keptImage = builds.results[0]!.image;
    const refusal = `Only an administrator may release an image of the local Docker engine that was not built for ${APP}; push the app's code with git instead.`;
    const before = ((await bob.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count;
    for (const image of [keptImage, DEFAULT_STACK_IMAGE]) {
      const r = await bob.post(`/v2/apps/${APP}/builds/`, {
        image,
        procfile: { web: 'node /srv/server.js' },
      });
      expect([r.status, r.body], image).toEqual([403, { detail: refusal }]);
    }
    // Not in the engine: it would come from Docker Hub, which this machine cannot reach.
    for (const image of [`deis-desktop/${KEEP}:git-00000000`, 'no-such/image:1']) {
      const r = await bob.post(`/v2/apps/${APP}/builds/`, { image, procfile: { web: 'x' } });
      expect(r.status, image).toBe(400);
      expect((r.body as { detail: string }).detail, image).toMatch(
        new RegExp(`^image ${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} (not found|could not be pulled)`),
      );
    }
    // What is not an image reference never reaches the engine's API (where it would be part of a path).
    for (const image of ['no such image', '../containers/json', 'x?all=1'])
      expect((await bob.post(`/v2/apps/${APP}/builds/`, { image })).body, image).toEqual({
        image: ['Enter a Docker image reference, such as nginx:1.25 or registry.example.com/team/app:v1.'],
      });
    expect(((await bob.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count).toBe(before);
    // Bob's own image, built for his app, he may release again.
    const own = ((await bob.get(`/v2/apps/${APP}/builds/`)).body as { results: { image: string }[] })
      .results[0]!;
    expect((await bob.post(`/v2/apps/${APP}/builds/`, { image: own.image })).status).toBe(201);
  }, 600_000);

  it('lets an administrator release any local image, and runs exactly that image after its tag moves', async () => {
    const id = (await docker.getImage(keptImage).inspect()).Id;
    const r = await admin.post(`/v2/apps/${APP}/builds/`, {
      image: keptImage,
      procfile: { web: 'node /srv/server.js' },
    });
    expect(r.status, r.text).toBe(201);
    const running = async () =>
      (
        await docker.listContainers({
          filters: { label: [`${LABEL_INSTANCE}=${instance}`, `${LABEL_APP}=${APP}`] },
        })
      ).map((c) => c.ImageID);
    await eventually(async () => {
      const images = await running();
      return images.length > 0 && images.every((i) => i === id);
    }, 60_000);
    // Someone moves the tag (another core, the next owner of a name): what runs does not change.
    await docker
      .getImage(DEFAULT_STACK_IMAGE)
      .tag({ repo: keptImage.split(':')[0]!, tag: keptImage.split(':')[1]! });
    expect((await admin.post(`/v2/apps/${APP}/scale/`, { web: 2 })).status).toBe(204);
    const webs = async () =>
      (
        (await admin.get(`/v2/apps/${APP}/pods/`)).body as { results: { type: string; state: string }[] }
      ).results.filter((p) => p.type === 'web' && p.state === 'up').length;
    await eventually(async () => (await webs()) === 2, 60_000);
    const images = await running();
    expect(images.length).toBeGreaterThanOrEqual(2);
    expect(new Set(images)).toEqual(new Set([id]));
  }, 600_000);
});
