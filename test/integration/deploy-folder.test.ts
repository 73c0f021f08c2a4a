/**
 * The desktop's "deploy a folder" against a real core, git and Docker engine: it answers a task at
 * once, builds and releases like a push, leaves the folder's own repository alone, honours its
 * .gitignore, builds each deploy on the last, and refuses bad paths with a sentence. Also the
 * extension that gives a release's config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../main/contract/tasks';
import { DEPLOY_REF } from '../../main/builder/snapshot';
import { Api, startTestCore, type TestCore } from '../support/core';
import { git, repoFromFixture } from '../support/git';
import { dockerAvailable, ensureStackImage } from '../support/images';
import { removeAppImages } from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('deploy-folder tests skipped: no Docker engine answers (start dockerd).');

let t: TestCore;
let admin: Api;
let folder: string;
let repo: string;
const APP = 'folder-app';

async function finished(id: string): Promise<Task & { log: string[] }> {
  for (let i = 0; i < 600; i++) {
    const r = await admin.get(`/v2/desktop/tasks/${id}/`);
    const task = r.body as Task & { log: string[] };
    if (task.state !== 'running') return task;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the deploy did not finish in 2 minutes');
}

describe.skipIf(!hasDocker)('deploying a folder', () => {
  beforeAll(async () => {
    await ensureStackImage();
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
    const created = await admin.post('/v2/apps/', { id: APP });
    expect(created.status).toBe(201);
    repo = path.join(t.home, 'repos', `${(created.body as { uuid: string }).uuid}.git`);
    folder = repoFromFixture('dockerfile-app').dir;
    fs.writeFileSync(path.join(folder, '.gitignore'), 'secret.txt\n');
    fs.writeFileSync(path.join(folder, 'secret.txt'), 'not for the image');
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
    await removeAppImages([APP]);
  });

  it('refuses paths it cannot deploy, saying why', async () => {
    const cases: [string, RegExp][] = [
      ['relative/dir', /absolute path/],
      ['/no/such/folder', /There is no folder/],
      [path.join(folder, 'server.js'), /is a file/],
    ];
    for (const [p, message] of cases) {
      const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: p });
      expect(r.status, p).toBe(400);
      expect((r.body as { path: string[] }).path[0]).toMatch(message);
    }
    expect((await admin.post(`/v2/desktop/apps/${APP}/deploy/`, {})).status).toBe(400);
    expect((await admin.post(`/v2/desktop/apps/nope/deploy/`, { path: folder })).status).toBe(404);
  });

  it('builds and releases the folder as a task, leaving its own repository alone', async () => {
    const head = git(folder, 'rev-parse', 'HEAD');
    const status = git(folder, 'status', '--porcelain', '--ignored');
    const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    expect(r.status, r.text).toBe(202);
    const task = await finished((r.body as Task).id);
    expect(task.state, task.error ?? '').toBe('succeeded');
    expect(task.kind).toBe('build');
    expect(task.steps.map((s) => s.name)).toEqual(['Taking the files', 'Building', 'Releasing']);
    expect(task.log).toContain(`Done, ${APP}:v2 deployed to Deis Desktop`);

    const releases = (await admin.get(`/v2/apps/${APP}/releases/`)).body as {
      results: { version: number }[];
    };
    expect(releases.results[0]?.version).toBe(2);
    expect(git(folder, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(folder, 'status', '--porcelain', '--ignored')).toBe(status);

    const files = git(repo, 'ls-tree', '--name-only', DEPLOY_REF).split('\n');
    expect(files.sort()).toEqual(['.gitignore', 'Dockerfile', 'server.js']);
  }, 180_000);

  it('builds each deploy on the last one', async () => {
    fs.appendFileSync(path.join(folder, 'server.js'), '\n// changed\n');
    const r = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    const task = await finished((r.body as Task).id);
    expect(task.state, task.error ?? '').toBe('succeeded');
    expect(git(repo, 'rev-list', '--count', DEPLOY_REF)).toBe('2');
  }, 180_000);

  it('takes the push lock: a second deploy while one builds is refused, saying why', async () => {
    fs.appendFileSync(path.join(folder, 'Dockerfile'), `RUN sleep 2 && echo ${Date.now()}\n`);
    const first = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    expect(first.status).toBe(202);
    const second = await admin.post(`/v2/desktop/apps/${APP}/deploy/`, { path: folder });
    expect(second.status).toBe(409);
    expect((second.body as { detail: string }).detail).toMatch(/Another git push is ongoing/);
    expect((await finished((first.body as Task).id)).state).toBe('succeeded');
  }, 180_000);

  it("gives a release's config values", async () => {
    expect((await admin.post(`/v2/apps/${APP}/config/`, { values: { GREETING: 'hi' } })).status).toBe(201);
    const v4 = await admin.get(`/v2/apps/${APP}/releases/v4/config/`);
    const v5 = await admin.get(`/v2/apps/${APP}/releases/v5/config/`);
    expect((v4.body as { values: object }).values).toEqual({});
    expect((v5.body as { values: object }).values).toEqual({ GREETING: 'hi' });
    expect((await admin.get(`/v2/apps/${APP}/releases/v9/config/`)).status).toBe(404);
  });
});
