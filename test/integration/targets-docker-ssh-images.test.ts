/**
 * The images a Docker host over SSH keeps for an app stay within bounds, as on the local engine: a
 * real core (DEIS_KEEP_RELEASE_IMAGES=2), real git pushes and the real CLI, OpenSSH's sshd on
 * 127.0.0.1 and behind it this machine's dockerd as the "remote" engine (the target's own instance).
 * Each release's image is copied there and tagged with the target's repository
 * (`<target instance>/<app>`); after three pushes only the images of the last two releases keep that
 * tag, but for one a container on the host was made from; a rollback beyond them says why; `deis
 * destroy` leaves none of the target's tags there (and the local engine none of the app's images).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addedTargetInstance } from '../../cluster';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import { hostImageRepo } from '../../cluster/ssh/image-copy';
import { CliUser } from '../support/cli';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { BASE_IMAGE, dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import {
  docker,
  eventually,
  instanceName,
  removeAppImages,
  removeInstance,
  viaRouter,
} from '../support/run-stage';
import { sshdMissing, startSshd, type TestSshd } from '../support/sshd';

const hasDocker = await dockerAvailable();
const missing = sshdMissing();
if (!hasDocker || missing)
  console.warn(`targets-docker-ssh-images tests skipped: ${missing ?? 'no Docker engine answers'}.`);

const APP = 'host-kept';
const TARGET = 'edge';

describe.skipIf(!hasDocker || missing !== undefined)('images on a Docker host over SSH', () => {
  const instance = instanceName('sshimg');
  const hostInstance = addedTargetInstance(instance, TARGET);
  const repo = hostImageRepo(hostInstance, APP);
  let sshd: TestSshd;
  let t: TestCore;
  let admin: Api;
  let cli: CliUser;
  let pusher: Pusher;
  let work: string;
  let uuid: string;
  /** The image ID of each push, oldest first. */
  const ids: string[] = [];
  let holder: string | undefined;

  /** The IDs of the images that carry the target's tag for the app on the host, sorted. */
  const onHost = async () =>
    (await docker.listImages({ filters: { reference: [repo] } })).map((i) => i.Id).sort();

  beforeAll(async () => {
    await ensureStackImage();
    sshd = await startSshd();
    t = await startTestCore({ target: 'docker', instance, routerBase: BASE_IMAGE, keepReleaseImages: 2 });
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
    pusher = new Pusher(t.core.builderPort, 'sshimg');
    await pusher.addKeyTo(admin);
    work = repoFromFixture('dockerfile-app').dir;
    const added = await admin.post('/v2/desktop/targets/', sshd.targetRequest(TARGET));
    expect(added.status, added.text).toBe(201);
    const created = await admin.post('/v2/apps/', { id: APP, target: TARGET });
    expect(created.status, created.text).toBe(201);
    uuid = (created.body as { uuid: string }).uuid;
    await admin.post(`/v2/apps/${APP}/config/`, {
      values: { KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '1' },
    });
  }, 600_000);

  afterAll(async () => {
    if (holder)
      await docker
        .getContainer(holder)
        .remove({ force: true })
        .catch(() => undefined);
    await t?.stop();
    pusher?.remove();
    cli?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await removeInstance(hostInstance);
    await removeInstance(instance);
    for (const image of await docker.listImages({ filters: { reference: [repo] } }))
      for (const tag of image.RepoTags ?? [])
        if (tag.startsWith(`${repo}:`))
          await docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
    await removeAppImages([APP]);
    await sshd?.stop();
  });

  /** One push of a change (a distinct image); answers its image ID. */
  async function pushChange(i: number): Promise<string> {
    fs.appendFileSync(path.join(work, 'server.js'), `// change ${i}\n`);
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', `change ${i}`);
    const sha = git(work, 'rev-parse', 'HEAD');
    const pushed = await pusher.push(work, APP);
    expect(pushed.code, pushed.output).toBe(0);
    return (await docker.getImage(`deis-desktop/${APP}:git-${sha.slice(0, 8)}`).inspect()).Id;
  }

  it('keeps only the images of the last two releases there, and one a container there uses', async () => {
    ids.push(await pushChange(1));
    // It runs on the host, answering through the target's own router.
    const edge = (
      (await admin.get('/v2/desktop/targets/')).body as { results: { name: string; router_url: string }[] }
    ).results.find((x) => x.name === TARGET)!;
    const port = Number(/:(\d+)$/.exec(edge.router_url)?.[1]);
    await eventually(async () => (await viaRouter(port, `${APP}.localhost`)).status === 200, 60_000);
    expect(await onHost()).toEqual([ids[0]]);
    ids.push(await pushChange(2));
    await eventually(async () => (await onHost()).length === 2, 30_000).catch(() => undefined);
    expect(await onHost()).toEqual([ids[0], ids[1]].sort());
    ids.push(await pushChange(3));
    // The first push's image is beyond the last two: gone from the host (the engine being shared,
    // the local prune took the builder's tag: it is gone whole).
    await eventually(async () => (await onHost()).length === 2, 30_000).catch(() => undefined);
    expect(await onHost()).toEqual([ids[1], ids[2]].sort());
    await expect(docker.getImage(ids[0]!).inspect()).rejects.toMatchObject({ statusCode: 404 });

    // A container someone made on the host from the second push's image keeps it there past its
    // turn: two pushes later the third push's image goes (that prune weighed the second's too).
    holder = (await docker.createContainer({ Image: ids[1]!, Cmd: ['true'] })).id;
    ids.push(await pushChange(4));
    ids.push(await pushChange(5));
    await eventually(async () => !(await onHost()).includes(ids[2]!), 30_000);
    expect(await onHost()).toEqual([ids[1], ids[3], ids[4]].sort());
    await docker.getContainer(holder).remove({ force: true });
    holder = undefined;
  }, 900_000);

  it('refuses a rollback to a release whose image was removed, saying why', async () => {
    // v1: the app, v2: its config, v3: the first push.
    const before = ((await admin.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count;
    const r = await cli.run(['rollback', 'v3', '-a', APP]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain(
      'The image of v3 was removed to save space (only the last 2 releases keep their images); push again or raise DEIS_KEEP_RELEASE_IMAGES.',
    );
    expect(((await admin.get(`/v2/apps/${APP}/releases/`)).body as { count: number }).count).toBe(before);
  }, 120_000);

  it('removes every image of the app from the host when it is destroyed', async () => {
    const r = await cli.run(['destroy', `--app=${APP}`, `--confirm=${APP}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await onHost()).toEqual([]);
    expect(await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } })).toEqual([]);
  }, 120_000);
});
