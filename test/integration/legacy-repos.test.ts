/**
 * Repositories of installs from before issue 8 were `<home>/git/<app name>.git`, and a new app of a
 * destroyed app's name inherited the old code. On start, against a real store and real git, a legacy
 * repository goes to the app of its name only if it holds one of that app's builds, keeping only
 * refs at that app's builds and no object they do not reach; every other legacy repository goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFolder } from '../support/git';
import { Pusher } from '../support/push';

let t: TestCore | undefined;
const temp: string[] = [];

afterAll(async () => {
  await t?.stop();
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});

function work(name: string): { dir: string; sha: string } {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deis-legacy-')), name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'README'), `${name}\n`);
  temp.push(path.dirname(dir));
  return repoFromFolder(dir, name);
}

const commitIn = (dir: string, message: string) => {
  fs.appendFileSync(path.join(dir, 'README'), `${message}\n`);
  git(dir, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', message);
  return git(dir, 'rev-parse', 'HEAD');
};

describe('repositories of an older install', () => {
  it('move to the app that owns their builds, keep only its refs and objects, and the rest go', async () => {
    const first = await startTestCore();
    const home = first.home;
    const admin = await new Api(first.url).register('admin');
    const uuids: Record<string, string> = {};
    for (const id of ['kept', 'reused', 'empty']) {
      const r = await admin.post('/v2/apps/', { id });
      uuids[id] = (r.body as { uuid: string }).uuid;
    }
    const c = first.core.controller;
    const user = c.users.byName('admin')!;
    // kept: its build's commit is in the repo, along with a branch no build of it has.
    const kept = work('kept');
    git(kept.dir, 'checkout', '-qb', 'stray');
    const stray = commitIn(kept.dir, 'not a build of kept');
    git(kept.dir, 'checkout', '-q', 'main');
    await c.builds.create(c.apps.find('kept')!, user, { image: 'deis-desktop/kept:1', sha: kept.sha });
    // reused: the repo holds a destroyed app's code; the app that has the name now built other code.
    const old = work('destroyed-app');
    await c.builds.create(c.apps.find('reused')!, user, { image: 'x:1', sha: work('new-owner').sha });
    // empty: an app that never built, and a repo left by the name's previous app.
    const leftover = work('leftover');
    await first.core.stop();

    const legacy = path.join(home, 'git');
    fs.mkdirSync(legacy);
    git(home, 'clone', '-q', '--bare', '--mirror', kept.dir, path.join(legacy, 'kept.git'));
    git(home, 'clone', '-q', '--bare', old.dir, path.join(legacy, 'reused.git'));
    git(home, 'clone', '-q', '--bare', leftover.dir, path.join(legacy, 'empty.git'));
    git(home, 'clone', '-q', '--bare', leftover.dir, path.join(legacy, 'gone.git'));
    expect(git(path.join(legacy, 'kept.git'), 'cat-file', '-t', stray)).toBe('commit');

    t = await startTestCore({ home });
    expect(fs.existsSync(legacy)).toBe(false);
    const repos = fs.readdirSync(path.join(home, 'repos'));
    expect(repos).toEqual([`${uuids.kept}.git`]);
    const moved = path.join(home, 'repos', `${uuids.kept}.git`);
    expect(git(moved, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(
      `refs/heads/main ${kept.sha}`,
    );
    expect(() => git(moved, 'cat-file', '-e', stray)).toThrow();

    // Over SSH: kept's history is there; the new owner of "reused" fetches nothing.
    const api = new Api(t.url, admin.token);
    const pusher = new Pusher(t.core.builderPort, 'legacy');
    try {
      await pusher.addKeyTo(api);
      const keptRefs = await pusher.run(['ls-remote', pusher.remoteUrl('kept')]);
      expect(keptRefs.output.trim().split('\n')).toEqual([
        `${kept.sha}\tHEAD`,
        `${kept.sha}\trefs/heads/main`,
      ]);
      const reusedRefs = await pusher.run(['ls-remote', pusher.remoteUrl('reused')]);
      expect([reusedRefs.code, reusedRefs.output.trim()]).toEqual([0, '']);
    } finally {
      pusher.remove();
    }
  });
});
