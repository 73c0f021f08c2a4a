/**
 * An app's images stay within bounds, on the real engine with real git pushes and the real CLI: of
 * seven releases with distinct images only the last five keep theirs (DEIS_KEEP_RELEASE_IMAGES'
 * default), a rollback to a release whose image went says why and cuts nothing, and `deis destroy`
 * removes every image built for the app, but never a public image an administrator pulled into it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import { DEFAULT_KEEP_RELEASE_IMAGES } from '../../main/contract/limits';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { CliUser } from '../support/cli';
import { Api, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
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
const instance = instanceName('images');
const APP = 'kept-images';
const PULLED = 'pulled-public';
/** A public image as `deis pull` would release it: no label of ours (the stack image, tagged anew). */
const PUBLIC_REPO = `dd-test-public-${process.pid}`;
const PUBLIC = `${PUBLIC_REPO}:bookworm`;

const labelled = (uuid: string) => docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } });

describe.skipIf(!hasDocker)("an app's images", () => {
  let t: TestCore;
  let admin: Api;
  let cli: CliUser;
  let pusher: Pusher;
  let work: string;
  let uuid: string;
  const shas: string[] = [];

  beforeAll(async () => {
    await ensureStackImage();
    t = await startDockerCore(instance);
    cli = new CliUser();
    const r = await cli.run([
      'register',
      t.url,
      '--username=admin',
      '--password=pw',
      '--email=a@example.com',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const login = await new Api(t.url).post('/v2/auth/login/', { username: 'admin', password: 'pw' });
    admin = new Api(t.url, (login.body as { token: string }).token);
    pusher = new Pusher(t.core.builderPort, 'images');
    await pusher.addKeyTo(admin);
    work = repoFromFixture('dockerfile-app').dir;
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    cli?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await removeInstance(instance);
    await removeAppImages([APP, PULLED]);
    if (uuid)
      for (const image of await labelled(uuid))
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
    await docker
      .getImage(PUBLIC)
      .remove({ noprune: true })
      .catch(() => undefined);
  });

  it('keeps the images of the last five of seven releases', async () => {
    const created = await admin.post('/v2/apps/', { id: APP });
    expect(created.status, created.text).toBe(201);
    uuid = (created.body as { uuid: string }).uuid;
    for (let i = 1; i <= 7; i++) {
      // A change to what the Dockerfile copies: each push builds a distinct image.
      fs.appendFileSync(path.join(work, 'server.js'), `// change ${i}\n`);
      git(work, 'add', '-A');
      git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', `change ${i}`);
      shas.push(git(work, 'rev-parse', 'HEAD'));
      const pushed = await pusher.push(work, APP);
      expect(pushed.code, pushed.output).toBe(0);
    }
    // v2..v8: the images of v4..v8 stay, those of v2 and v3 go once v8 serves.
    const tagsOf = async () => (await labelled(uuid)).flatMap((i) => i.RepoTags ?? []).sort();
    const expected = shas
      .slice(-DEFAULT_KEEP_RELEASE_IMAGES)
      .map((sha) => `deis-desktop/${APP}:git-${sha.slice(0, 8)}`)
      .sort();
    await eventually(async () => (await tagsOf()).length === DEFAULT_KEEP_RELEASE_IMAGES, 30_000).catch(
      () => undefined,
    );
    expect(await tagsOf()).toEqual(expected);
  }, 600_000);

  it('refuses a rollback to a release whose image was removed, saying why, and cuts no release', async () => {
    const before = ((await admin.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count;
    const r = await cli.run(['rollback', 'v3', '-a', APP]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain(
      'The image of v3 was removed to save space (only the last 5 releases keep their images); push again or raise DEIS_KEEP_RELEASE_IMAGES.',
    );
    expect(((await admin.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count).toBe(before);

    // A release within the last five rolls back as ever.
    const ok = await cli.run(['rollback', 'v5', '-a', APP]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(((await admin.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count).toBe(before + 1);
  }, 300_000);

  it('removes every image of the app on destroy, and never a public image an administrator pulled', async () => {
    await docker.getImage(DEFAULT_STACK_IMAGE).tag({ repo: PUBLIC_REPO, tag: 'bookworm' });
    expect((await admin.post('/v2/apps/', { id: PULLED })).status).toBe(201);
    const pulled = await cli.run([
      'pull',
      PUBLIC,
      '-a',
      PULLED,
      '--procfile=web: python3 -m http.server $PORT',
    ]);
    expect(pulled.code, pulled.stderr + pulled.stdout).toBe(0);

    for (const app of [APP, PULLED]) {
      const r = await cli.run(['destroy', `--app=${app}`, `--confirm=${app}`]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await labelled(uuid)).toEqual([]);
    expect(
      (await docker.listImages())
        .flatMap((i) => i.RepoTags ?? [])
        .filter((t) => t.startsWith(`deis-desktop/${APP}:`)),
    ).toEqual([]);
    // The public image is still there, under its own name.
    expect((await docker.getImage(PUBLIC).inspect()).RepoTags).toContain(PUBLIC);
  }, 300_000);
});
