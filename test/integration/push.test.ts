/**
 * `git push` end to end with real OpenSSH, real git and the real Docker engine: Dockerfile and
 * buildpack apps build, record a build and cut a release; every broken case rejects the push with
 * its reason in `remote:` lines and cuts no release; the push lock and a killed push behave.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import { Api, startTestCore, type TestCore } from '../support/core';
import { startBuildpackServer, type BuildpackServer } from '../support/buildpack-server';
import { git, offlineBuildpackRepo, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('push tests skipped: no Docker engine answers (start dockerd).');

let t: TestCore;
let owner: Api;
let other: Api;
let pusher: Pusher;
let buildpackRepo: string;
let server: BuildpackServer;
const apps: string[] = [];
const uuids: string[] = [];

function commit(dir: string, message: string, allowEmpty = false): string {
  git(dir, 'add', '-A');
  git(
    dir,
    '-c',
    'user.name=T',
    '-c',
    'user.email=t@example.com',
    'commit',
    '-q',
    ...(allowEmpty ? ['--allow-empty'] : []),
    '-m',
    message,
  );
  return git(dir, 'rev-parse', 'HEAD');
}

async function createApp(id: string, config?: Record<string, string>): Promise<void> {
  const r = await owner.post('/v2/apps/', { id });
  expect(r.status, r.text).toBe(201);
  apps.push(id);
  uuids.push((r.body as { uuid: string }).uuid);
  if (config) expect((await owner.post(`/v2/apps/${id}/config/`, { values: config })).status).toBe(201);
}

async function releases(app: string): Promise<{ version: number; summary: string }[]> {
  return (
    (await owner.get(`/v2/apps/${app}/releases/`)).body as { results: { version: number; summary: string }[] }
  ).results;
}

describe.skipIf(!hasDocker)('git push to the builder', () => {
  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    const base = new Api(t.url);
    const admin = await base.register('admin');
    owner = await base.register('owner', 'secret-pw', admin);
    other = await base.register('other', 'secret-pw', admin);
    pusher = new Pusher(t.core.builderPort, 'owner');
    await pusher.addKeyTo(owner);
    // BUILDPACK_URL takes a git URL: serve the offline test buildpack from a git server container.
    server = await startBuildpackServer('push', { 'offline-python': offlineBuildpackRepo() });
    buildpackRepo = server.gitUrl('offline-python');
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    pusher?.remove();
    await server?.stop();
    const docker = dockerEngine();
    const images = await docker.listImages();
    for (const image of images)
      for (const tag of image.RepoTags ?? [])
        if (apps.some((a) => tag.startsWith(`deis-desktop/${a}:`)))
          await docker
            .getImage(tag)
            .remove({ force: true })
            .catch(() => {});
    for (const uuid of uuids) {
      const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } });
      for (const v of Volumes ?? [])
        await docker
          .getVolume(v.Name)
          .remove()
          .catch(() => {});
    }
  });

  it('builds a Dockerfile app, records the build and cuts v2 with the pusher and sha', async () => {
    await createApp('push-docker');
    const { dir, sha } = repoFromFixture('dockerfile-app');
    const r = await pusher.push(dir, 'push-docker');
    expect(r.code, r.output).toBe(0);
    expect(r.remote[0]).toBe('Starting build... but first, coffee!');
    expect(r.remote).toContain('-----> Dockerfile found: building the image with Docker');
    expect(r.remote).toContain('Build complete.');
    expect(r.remote).toContain('Done, push-docker:v2 deployed to Deis Desktop');
    expect((await releases('push-docker'))[0]).toMatchObject({
      version: 2,
      summary: `owner deployed ${sha.slice(0, 7)}`,
    });
    const builds = (await owner.get('/v2/apps/push-docker/builds/')).body as {
      results: Record<string, unknown>[];
    };
    expect(builds.results[0]).toMatchObject({
      image: `deis-desktop/push-docker:git-${sha.slice(0, 8)}`,
      dockerfile: 'true',
      sha,
      procfile: {},
    });
    const log = await owner.get(`/v2/apps/push-docker/builds/${String(builds.results[0]!.uuid)}/log`);
    // The engine builds the checked Dockerfile: the base pinned by the ID it was checked as.
    const stack = await dockerEngine().getImage('deis-desktop/stack:bookworm').inspect();
    expect(log.text).toContain(
      `-----> FROM deis-desktop/stack:bookworm: the local image ${stack.Id.slice(0, 19)}`,
    );
    // BuildKit builds it: the step names the base by the ID it was checked as (its pin tag never shows).
    expect(log.text).toMatch(new RegExp(`^#\\d+ \\[1/\\d+\\] FROM ${stack.Id.slice(0, 19)}$`, 'm'));
  }, 300_000);

  it('builds a buildpack app from BUILDPACK_URL with web and worker, and the second push uses the cache', async () => {
    await createApp('push-python', { BUILDPACK_URL: buildpackRepo });
    const { dir } = repoFromFixture('python-app');
    const first = await pusher.push(dir, 'push-python');
    expect(first.code, first.output).toBe(0);
    expect(first.remote).toContain('-----> Python (offline) app detected');
    expect(first.remote).toContain('-----> Installing dependencies');
    const build = (
      (await owner.get('/v2/apps/push-python/builds/')).body as {
        results: { procfile: unknown; dockerfile: string }[];
      }
    ).results[0];
    expect(build).toMatchObject({
      dockerfile: '',
      procfile: { web: 'python app.py', worker: expect.stringContaining('worker up') },
    });

    commit(dir, 'unchanged dependencies', true);
    const second = await pusher.push(dir, 'push-python');
    expect(second.code, second.output).toBe(0);
    expect(second.remote).toContain('-----> Restoring the virtualenv from the build cache');
    expect(second.remote).not.toContain('-----> Installing dependencies');
    console.log(`buildpack push times: first ${first.ms} ms, second (cached) ${second.ms} ms`);
    expect((await releases('push-python')).map((r) => r.version)).toEqual([4, 3, 2, 1]);
  }, 300_000);

  describe('a broken push is rejected with its reason and cuts no release', () => {
    async function expectRejected(app: string, dir: string, reason: RegExp | string) {
      const before = await releases(app);
      const r = await pusher.push(dir, app);
      expect(r.code, r.output).not.toBe(0);
      expect(r.output).toMatch(reason);
      expect(await releases(app)).toEqual(before);
      return r;
    }

    it('a Dockerfile that fails', async () => {
      await createApp('push-bad-docker');
      const { dir } = repoFromFixture('dockerfile-app');
      fs.appendFileSync(path.join(dir, 'Dockerfile'), 'RUN echo "about to fail" && exit 7\n');
      commit(dir, 'broken');
      const r = await expectRejected(
        'push-bad-docker',
        dir,
        /The Dockerfile build failed: executor failed running \[.*about to fail.*\]: exit code: 7/,
      );
      // What the failing RUN printed reaches the pusher, on its step's lines.
      expect(r.output).toMatch(/#\d+ about to fail/);
      expect(r.output).toContain('pre-receive hook declined');
    }, 300_000);

    it('an app no buildpack recognises', async () => {
      await createApp('push-nothing');
      const { dir } = repoFromFixture('procfile-app');
      fs.rmSync(path.join(dir, 'Procfile'));
      commit(dir, 'nothing to run');
      await expectRejected(
        'push-nothing',
        dir,
        /No buildpack recognised this app: add a Dockerfile or set BUILDPACK_URL/,
      );
    }, 300_000);

    it('a compile that fails, and the next push of a fixed app succeeds', async () => {
      await createApp('push-compile', { BUILDPACK_URL: buildpackRepo, FAIL_COMPILE: '1' });
      const { dir } = repoFromFixture('python-app');
      await expectRejected(
        'push-compile',
        dir,
        /Build exited with code 3, stopping build\. The buildpack failed to compile the app/,
      );
      await owner.post('/v2/apps/push-compile/config/', { values: { FAIL_COMPILE: null } });
      const ok = await pusher.push(dir, 'push-compile');
      expect(ok.code, ok.output).toBe(0);
    }, 300_000);

    it('an invalid Procfile', async () => {
      await createApp('push-procfile');
      const { dir } = repoFromFixture('procfile-app');
      fs.writeFileSync(path.join(dir, 'Procfile'), 'Web_Server: python3 -m http.server\n');
      commit(dir, 'bad procfile');
      await expectRejected(
        'push-procfile',
        dir,
        /Invalid Procfile: Procfile process type "Web_Server" is invalid/,
      );
    }, 300_000);

    it('an app that does not exist, and an app the pusher may not touch', async () => {
      const { dir } = repoFromFixture('procfile-app');
      const missing = await pusher.push(dir, 'no-such-app');
      expect(missing.code).not.toBe(0);
      expect(missing.output).toContain(
        'App "no-such-app" does not exist. Create it with: deis apps:create no-such-app',
      );
      const stranger = new Pusher(t.core.builderPort, 'other');
      await stranger.addKeyTo(other);
      await createApp('push-private');
      const denied = await stranger.push(dir, 'push-private');
      stranger.remove();
      expect(denied.code).not.toBe(0);
      expect(denied.output).toContain('You do not have permission to push to push-private.');
      expect(await releases('push-private')).toHaveLength(1);
    }, 300_000);
  });

  describe('the push lock', () => {
    it('refuses a second push to the same app at once, while pushes to two apps run together', async () => {
      await createApp('lock-a');
      await createApp('lock-b');
      const a = repoFromFixture('dockerfile-app');
      fs.appendFileSync(path.join(a.dir, 'Dockerfile'), 'RUN echo "holding the lock" && sleep 4\n');
      commit(a.dir, 'slow build');
      const b = repoFromFixture('procfile-app', 'other');
      let building!: () => void;
      const started = new Promise<void>((resolve) => (building = resolve));
      const first = pusher.push(a.dir, 'lock-a', (child) =>
        child.stderr!.on('data', (d: Buffer) => d.toString().includes('holding the lock') && building()),
      );
      await started;
      const [second, parallel] = await Promise.all([
        pusher.push(a.dir, 'lock-a'),
        pusher.push(b.dir, 'lock-b'),
      ]);
      expect(second.code).not.toBe(0);
      expect(second.output).toContain('Another git push is ongoing');
      expect(parallel.code, parallel.output).toBe(0);
      expect((await first).code).toBe(0);
    }, 300_000);

    it('a push killed half-way releases the lock: the next push succeeds', async () => {
      await createApp('push-killed');
      const { dir } = repoFromFixture('dockerfile-app');
      fs.appendFileSync(path.join(dir, 'Dockerfile'), 'RUN echo "slow step" && sleep 6\n');
      commit(dir, 'slow build');
      const killed = await pusher.push(dir, 'push-killed', (child) => {
        child.stderr!.on('data', (d: Buffer) => {
          if (d.toString().includes('slow step')) process.kill(-child.pid!, 'SIGKILL');
        });
      });
      expect(killed.code).not.toBe(0);
      expect(await releases('push-killed')).toHaveLength(1);
      const next = await pusher.push(dir, 'push-killed');
      expect(next.code, next.output).toBe(0);
      expect((await releases('push-killed'))[0]!.version).toBe(2);
    }, 300_000);
  });
});
