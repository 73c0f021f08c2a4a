/**
 * BUILDPACK_URL against a real core, git and Docker engine. Values that name this machine or its
 * files, other transports, or refs git could read as options are refused when the config is set
 * (400, nothing stored, no release). Real URLs work: fetched inside the build container from a git
 * server container, by branch, tag or commit, over git:// and http://, with the URL's credentials
 * never in the pusher's lines, the task log, the stored build log or the core log. The fetch cannot
 * reach a service on the host's loopback, and a bad value stored before these rules fails the build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../cluster/docker/engine';
import { LABEL_APP_UUID } from '../../cluster/docker/labels';
import type { Task } from '../../main/contract/tasks';
import { startBuildpackServer, type BuildpackServer } from '../support/buildpack-server';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, offlineBuildpackRepo, repoFromFixture, repoFromFolder } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { Pusher } from '../support/push';
import { freePort, removeAppImages } from '../support/run-stage';
import { snapshot } from '../support/snapshot';

const SECRET = 's3cret-token-4711';

let t: TestCore;
let alice: Api;
let pusher: Pusher;
const coreLog: string[] = [];
const uuids: string[] = [];

async function createApp(id: string): Promise<string> {
  const r = await alice.post('/v2/apps/', { id });
  expect(r.status, r.text).toBe(201);
  const uuid = (r.body as { uuid: string }).uuid;
  uuids.push(uuid);
  return uuid;
}

beforeAll(async () => {
  t = await startTestCore({ log: (l) => coreLog.push(l) });
  const admin = await new Api(t.url).register('admin');
  alice = await new Api(t.url).register('alice', 'secret-pw', admin);
  pusher = new Pusher(t.core.builderPort, 'alice');
  await pusher.addKeyTo(alice);
});

afterAll(async () => {
  await t?.stop();
  pusher?.remove();
  await removeAppImages(['bp-tag', 'bp-secret', 'bp-missing', 'bp-host', 'bp-legacy']);
  const docker = dockerEngine();
  for (const uuid of uuids) {
    const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } });
    for (const v of Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    for (const image of await docker.listImages({ filters: { label: [`${LABEL_APP_UUID}=${uuid}`] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
});

describe('config:set BUILDPACK_URL', () => {
  it('refuses local paths, other transports, this machine and refs that could be options, changing nothing', async () => {
    await createApp('bp-refused');
    const other = await createApp('bp-other');
    const cases: [string, RegExp][] = [
      ['/tmp/buildpack', /must be a git URL starting with https:\/\/, http:\/\/, git:\/\/ or ssh:\/\//],
      [path.join(t.home, 'repos', `${other}.git`), /must be a git URL/],
      ['../bp-other.git', /must be a git URL/],
      ['file:///etc', /must be a git URL/],
      [`file://${path.join(t.home, 'repos', `${other}.git`)}`, /must be a git URL/],
      ['ext::sh -c touch% /tmp/pwned', /must be a git URL/],
      ['fd::3', /must be a git URL/],
      ['git://127.0.0.1/bp.git', /may not point at this machine \(127\.0\.0\.1\)/],
      ['http://127.0.0.2:8765/bp.git', /may not point at this machine/],
      ['https://localhost/bp.git', /may not point at this machine \(localhost\)/],
      ['https://api.localhost/bp.git', /may not point at this machine/],
      ['http://[::1]:8765/bp.git', /may not point at this machine \(\[::1\]\)/],
      ['http://[::ffff:127.0.0.1]/bp.git', /may not point at this machine/],
      ['git://0.0.0.0/bp.git', /may not point at this machine/],
      ['https://2130706433/bp.git', /neither a host name nor a dotted IPv4 address/],
      ['https://127.1/bp.git', /neither a host name nor a dotted IPv4 address/],
      ['ssh://-oProxyCommand=touch%20x/bp.git', /must be a git URL/],
      [
        'https://github.com/heroku/bp.git#--pathspec-from-file=/etc/shadow',
        /must be a branch, tag or commit name/,
      ],
      ['https://github.com/heroku/bp.git#--upload-pack=touch', /must be a branch, tag or commit name/],
      ['https://github.com/heroku/bp.git#-b', /must be a branch, tag or commit name/],
      ['https://github.com/heroku/bp.git#', /must be a branch, tag or commit name/],
    ];
    const before = snapshot(t.core.controller.store);
    for (const [url, message] of cases) {
      const r = await alice.post('/v2/apps/bp-refused/config/', { values: { BUILDPACK_URL: url } });
      expect(r.status, url).toBe(400);
      expect((r.body as { values: string[] }).values[0], url).toMatch(message);
    }
    expect(snapshot(t.core.controller.store)).toBe(before);
    expect(coreLog.join('\n')).not.toMatch(/shadow/);
  });

  it('accepts git URLs of other hosts, by branch, tag or commit, and git@host:path', async () => {
    await createApp('bp-accepted');
    for (const url of [
      'https://github.com/heroku/heroku-buildpack-python.git',
      'https://github.com/heroku/heroku-buildpack-python.git#v250',
      'http://git.example.com:8080/bp.git#main',
      'git://172.17.0.9/bp.git#release/2024',
      'ssh://git@git.example.com:2222/bp.git#0123456789abcdef0123456789abcdef01234567',
      'git@github.com:heroku/heroku-buildpack-nodejs.git',
      `https://user:${SECRET}@git.example.com/private/bp.git`,
    ]) {
      const r = await alice.post('/v2/apps/bp-accepted/config/', { values: { BUILDPACK_URL: url } });
      expect(r.status, `${url}: ${r.text}`).toBe(201);
    }
  });
});

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)('a buildpack fetched over a real URL', () => {
  let server: BuildpackServer;
  let buildpack: string;
  let epicFail: string;
  let commitSha: string;
  let work: string;
  let hostDaemon: ChildProcess | undefined;

  beforeAll(async () => {
    await ensureStackImage();
    buildpack = offlineBuildpackRepo();
    git(buildpack, 'tag', 'v1');
    commitSha = git(buildpack, 'rev-parse', 'HEAD');
    // Later commits break the buildpack: only the tag and the commit above build.
    fs.writeFileSync(path.join(buildpack, 'bin', 'detect'), '#!/bin/sh\nexit 1\n');
    git(buildpack, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'broken detect');
    epicFail = repoFromFolder(path.resolve('test/fixtures/buildpacks/epic-fail')).dir;
    server = await startBuildpackServer('url', { 'offline-python': buildpack, 'epic-fail': epicFail });
    work = repoFromFixture('python-app').dir;
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    if (hostDaemon?.pid) process.kill(hostDaemon.pid, 'SIGTERM');
    for (const dir of [buildpack, epicFail, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function pushWith(app: string, url: string) {
    await createApp(app);
    const set = await alice.post(`/v2/apps/${app}/config/`, { values: { BUILDPACK_URL: url } });
    expect(set.status, set.text).toBe(201);
    return pusher.push(work, app);
  }

  /** Everything a user or the machine keeps of the app's builds: tasks' logs and stored build logs. */
  async function recorded(app: string): Promise<string> {
    const tasks = (await alice.get(`/v2/desktop/tasks/?app=${app}`)).body as { results: Task[] };
    const logs = await Promise.all(
      tasks.results.map(async (task) =>
        JSON.stringify((await alice.get(`/v2/desktop/tasks/${task.id}/`)).body),
      ),
    );
    const builds = (await alice.get(`/v2/apps/${app}/builds/`)).body as { results: { uuid: string }[] };
    for (const b of builds.results) logs.push((await alice.get(`/v2/apps/${app}/builds/${b.uuid}/log`)).text);
    return logs.join('\n');
  }

  it('builds from a tag over git://', async () => {
    const r = await pushWith('bp-tag', `${server.gitUrl('offline-python')}#v1`);
    expect(r.code, r.output).toBe(0);
    expect(r.remote).toContain(`-----> Fetching custom buildpack ${server.gitUrl('offline-python')}#v1`);
    expect(r.remote).toContain('-----> Python (offline) app detected');
  }, 300_000);

  it("rejects a push whose buildpack fails to compile, in Deis's words", async () => {
    const r = await pushWith('bp-epic-fail', server.gitUrl('epic-fail'));
    expect(r.code).not.toBe(0);
    // What Deis's e2e suite waits for, in this order.
    expect(r.output).toMatch(/-----> Fetching custom buildpack[^]*exited with code 1, stopping build/);
    expect(r.output).toContain('-----> Epic fail app detected');
    // v1 and the config change that set BUILDPACK_URL: the failed build cut none.
    expect((await alice.get('/v2/apps/bp-epic-fail/releases/')).body).toMatchObject({ count: 2 });
  }, 300_000);

  it('builds from a commit over http:// with credentials, which are never shown or kept', async () => {
    const url = `${server.httpUrl('offline-python', `deploy:${SECRET}`)}#${commitSha}`;
    const r = await pushWith('bp-secret', url);
    expect(r.code, r.output).toBe(0);
    expect(r.remote).toContain(
      `-----> Fetching custom buildpack http://***@${server.ip}:8000/offline-python.git#${commitSha}`,
    );
    expect(r.remote).toContain('-----> Python (offline) app detected');
    expect(r.output).not.toContain(SECRET);
    expect(await recorded('bp-secret')).not.toContain(SECRET);
    expect(coreLog.join('\n')).not.toContain(SECRET);
  }, 300_000);

  it('rejects the push when the buildpack cannot be fetched, saying so without the credentials', async () => {
    const r = await pushWith('bp-missing', server.httpUrl('no-such-buildpack', `deploy:${SECRET}`));
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(
      `Could not fetch the buildpack http://***@${server.ip}:8000/no-such-buildpack.git; the lines above say why.`,
    );
    expect(r.output).not.toContain(SECRET);
    expect(await recorded('bp-missing')).not.toContain(SECRET);
    expect(coreLog.join('\n')).not.toContain(SECRET);
    expect(((await alice.get('/v2/apps/bp-missing/releases/')).body as { count: number }).count).toBe(2);
  }, 300_000);

  it("cannot reach a git server on the host's loopback, even through the host's bridge address", async () => {
    // A daemon bound to 127.0.0.1 serves a repository: on the host, git would fetch it.
    const port = await freePort();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-hostgit-'));
    git(base, 'clone', '-q', '--bare', buildpack, path.join(base, 'secret.git'));
    hostDaemon = spawn(
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        `--base-path=${base}`,
        '--listen=127.0.0.1',
        `--port=${port}`,
        base,
      ],
      { stdio: 'ignore' },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(git(base, 'ls-remote', `git://127.0.0.1:${port}/secret.git`)).toMatch(/refs\/heads\/main/);
    const bridge = await dockerEngine().getNetwork('bridge').inspect();
    const gateway = (bridge as { IPAM: { Config: { Gateway: string }[] } }).IPAM.Config[0]!.Gateway;
    const r = await pushWith('bp-host', `git://${gateway}:${port}/secret.git#v1`);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`Could not fetch the buildpack git://${gateway}:${port}/secret.git#v1`);
    fs.rmSync(base, { recursive: true, force: true });
  }, 300_000);

  it('fails the build of a value stored before these rules, with the reason', async () => {
    const uuid = await createApp('bp-legacy');
    const store = t.core.controller.store;
    const app = t.core.controller.apps.find('bp-legacy')!;
    const config = t.core.controller.configs.current(app);
    store.db
      .prepare(`UPDATE configs SET "values" = json_set("values", '$.BUILDPACK_URL', ?) WHERE uuid = ?`)
      .run('file:///etc', config.uuid);
    expect(uuid).toBe(app.uuid);
    const r = await pusher.push(work, 'bp-legacy');
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(
      /BUILDPACK_URL must be a git URL starting with https:\/\/.*Change it with: deis config:set/,
    );
  }, 300_000);
});
