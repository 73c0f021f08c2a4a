/**
 * Folders of the machine are the desktop user's: against a real core, git and Docker engine, a
 * non-admin is refused with the same 403 whatever the path (no oracle) and nothing is written under
 * DEIS_HOME; an administrator cannot deploy DEIS_HOME, a folder inside it or above it, a folder over
 * the size limit (refused before anything is written), or a path with a NUL byte (400, not 500); a
 * symlink in a folder is committed as a link, never as the file it points at; and a deploy right after
 * one reported success is not refused by the first one's lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLDER_DEPLOY_FORBIDDEN } from '../../main/builder/deploy-folder';
import { DEPLOY_REF } from '../../main/builder/snapshot';
import { FOLDER_DEPLOY_MAX_BYTES, FOLDER_DEPLOY_MAX_FILES } from '../../main/contract/limits';
import type { Task } from '../../main/contract/tasks';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { removeAppImages } from '../support/run-stage';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let admin: Api;
let alice: Api;
let appUuid: string;
const APP = 'boundary-app';
const temp: string[] = [];

/** Every file under DEIS_HOME with its size (the store's files aside: see `snapshot`). */
function homeTree(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!/^deis\.db/.test(e.name)) out.push(`${path.relative(t.home, p)} ${fs.lstatSync(p).size}`);
    }
  };
  walk(t.home);
  return out.sort();
}

const unchanged = () => ({ home: homeTree(), store: snapshot(t.core.controller.store) });

/** A file of `size` bytes that takes no room on disk. */
function sparse(file: string, size: number): void {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
}

function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${name}-`));
  temp.push(dir);
  return dir;
}

async function finished(id: string): Promise<Task & { log: string[] }> {
  for (let i = 0; i < 600; i++) {
    const task = (await admin.get(`/v2/desktop/tasks/${id}/`)).body as Task & { log: string[] };
    if (task.state !== 'running') return task;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the deploy did not finish in 2 minutes');
}

beforeAll(async () => {
  t = await startTestCore();
  admin = await new Api(t.url).register('admin');
  alice = await new Api(t.url).register('alice', 'secret-pw', admin);
  const created = await alice.post('/v2/apps/', { id: APP });
  expect(created.status).toBe(201);
  appUuid = (created.body as { uuid: string }).uuid;
});

afterAll(async () => {
  await t?.stop();
  await removeAppImages([APP]);
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a user who is not an administrator', () => {
  it('gets the same 403 for every path, and nothing is written under DEIS_HOME', async () => {
    const real = repoFromFixture('dockerfile-app').dir;
    temp.push(real);
    const before = unchanged();
    const paths = [
      t.home,
      path.join(t.home, 'deis.db'),
      '/etc',
      '/',
      '/root',
      '/no/such/folder',
      real,
      'relative',
      'a\0b',
    ];
    const answers = new Set<string>();
    for (const p of paths) {
      for (const app of [APP, 'no-such-app']) {
        const r = await alice.post(`/v2/desktop/apps/${app}/deploy/`, { path: p });
        expect(r.status, `${app} ${p}`).toBe(403);
        answers.add(r.text);
      }
    }
    // Not even the body's shape tells anything.
    answers.add((await alice.post(`/v2/desktop/apps/${APP}/deploy/`, {})).text);
    expect([...answers]).toEqual([JSON.stringify({ detail: FOLDER_DEPLOY_FORBIDDEN })]);
    expect(unchanged()).toEqual(before);
    expect(fs.existsSync(path.join(t.home, 'repos', `${appUuid}.git`))).toBe(false);
  });
});

describe('an administrator', () => {
  it("cannot deploy Deis Desktop's data folder, a folder inside it or above it, however it is named", async () => {
    const link = path.join(tempDir('link'), 'to-home');
    fs.symlinkSync(t.home, link);
    fs.mkdirSync(path.join(t.home, 'logs'), { recursive: true });
    const before = unchanged();
    const cases: [string, RegExp][] = [
      [t.home, /is inside Deis Desktop's own data folder/],
      [`${t.home}/`, /is inside Deis Desktop's own data folder/],
      [path.join(t.home, 'logs'), /is inside Deis Desktop's own data folder/],
      [path.join(t.home, 'logs', '..'), /is inside Deis Desktop's own data folder/],
      [link, /is inside Deis Desktop's own data folder/],
      [path.dirname(t.home), /holds Deis Desktop's own data folder .*, which must never be deployed/],
      ['/', /holds Deis Desktop's own data folder/],
    ];
    for (const [p, message] of cases) {
      const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: p });
      expect(r.status, p).toBe(400);
      expect((r.body as { path: string[] }).path[0], p).toMatch(message);
    }
    expect(unchanged()).toEqual(before);
  });

  it('gets a 400, not a 500, for a path with a NUL byte or another control character', async () => {
    for (const p of ['/tmp/a\0b', '\0', '/tmp/x\ny', '/tmp/\u0007']) {
      const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: p });
      expect(r.status, JSON.stringify(p)).toBe(400);
      expect((r.body as { path: string[] }).path[0]).toMatch(/control character/);
    }
  });

  it('is refused a folder over the size limit, saying the numbers, before anything is written', async () => {
    const big = repoFromFixture('dockerfile-app').dir;
    temp.push(big);
    // A sparse file: its size counts, whatever it takes on disk.
    sparse(path.join(big, 'data.bin'), FOLDER_DEPLOY_MAX_BYTES + 1);
    const many = tempDir('many');
    for (let i = 0; i <= FOLDER_DEPLOY_MAX_FILES; i++) fs.writeFileSync(path.join(many, `f${i}`), '');
    const before = unchanged();
    const [[bytes, count], report] = await whileProbing(t.url, () =>
      Promise.all([
        admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: big }),
        admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: many }),
      ]),
    );
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect(bytes.status, bytes.text).toBe(400);
    expect((bytes.body as { path: string[] }).path[0]).toMatch(
      /has more than 200 MB to deploy \(201 MB in its first \d+ files\); the limit is 20000 files and 200 MB\. Add what the app does not need to run .* to its \.gitignore/,
    );
    expect(count.status, count.text).toBe(400);
    expect((count.body as { path: string[] }).path[0]).toMatch(
      /has more than 20000 files to deploy; the limit is 20000 files and 200 MB/,
    );
    expect(unchanged()).toEqual(before);
  });

  it("is refused a folder holding a hard link to one of Deis Desktop's data files", async () => {
    const dir = tempDir('hardlink');
    fs.writeFileSync(path.join(dir, 'Procfile'), 'web: true\n');
    fs.linkSync(path.join(t.home, 'deis.db'), path.join(dir, 'copy.db'));
    const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: dir });
    expect(r.status, r.text).toBe(400);
    expect((r.body as { path: string[] }).path[0]).toMatch(
      /holds a file of Deis Desktop's own data \(copy\.db\)/,
    );
  });
});

const hasDocker = await dockerAvailable();

describe.skipIf(!hasDocker)('an administrator deploying a real folder', () => {
  let folder: string;
  beforeAll(async () => {
    await ensureStackImage();
    folder = repoFromFixture('dockerfile-app').dir;
    temp.push(folder);
  }, 300_000);

  it('commits symlinks as links, not the files they point at; what .gitignore ignores does not count towards the limit', async () => {
    fs.symlinkSync('/etc/passwd', path.join(folder, 'passwd'));
    fs.symlinkSync(path.join(t.home, 'deis.db'), path.join(folder, 'store'));
    fs.symlinkSync('/etc', path.join(folder, 'etc'));
    fs.writeFileSync(path.join(folder, '.gitignore'), 'huge.bin\n');
    sparse(path.join(folder, 'huge.bin'), FOLDER_DEPLOY_MAX_BYTES * 2);
    const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    expect(r.status, r.text).toBe(202);
    const task = await finished((r.body as Task).id);
    expect(task.state, task.error ?? '').toBe('succeeded');
    const repo = path.join(t.home, 'repos', `${appUuid}.git`);
    const tree = git(repo, 'ls-tree', DEPLOY_REF);
    for (const [name, target] of [
      ['passwd', '/etc/passwd'],
      ['store', path.join(t.home, 'deis.db')],
      ['etc', '/etc'],
    ]) {
      expect(tree).toMatch(new RegExp(`^120000 blob [0-9a-f]+\\t${name}$`, 'm'));
      expect(git(repo, 'cat-file', 'blob', `${DEPLOY_REF}:${name}`)).toBe(target);
    }
    expect(tree).not.toMatch(/huge\.bin/);
  }, 180_000);

  it('can deploy again as soon as the first deploy reports success (its lock is gone by then)', async () => {
    for (let round = 0; round < 3; round++) {
      fs.appendFileSync(path.join(folder, 'server.js'), `\n// round ${round}\n`);
      const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
      expect(r.status, r.text).toBe(202);
      // Poll without delay: the next deploy goes the moment the task says "succeeded".
      let task: Task;
      do task = (await admin.get(`/v2/desktop/tasks/${(r.body as Task).id}/`)).body as Task;
      while (task.state === 'running');
      expect(task.state).toBe('succeeded');
    }
    const again = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    expect(again.status, again.text).toBe(202);
    expect((await finished((again.body as Task).id)).state).toBe('succeeded');
  }, 300_000);
});
