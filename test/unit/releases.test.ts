import { beforeEach, describe, expect, it } from 'vitest';
import { Controller } from '../../main/controller';
import type { AppRow } from '../../main/controller/apps';
import type { ReleaseEvent } from '../../main/controller/releases';
import type { UserRow } from '../../main/controller/users';
import { DeisError } from '../../main/contract/errors';
import { openStore } from '../../main/store/db';

let c: Controller;
let user: UserRow;
let app: AppRow;

beforeEach(async () => {
  c = new Controller(openStore(':memory:'));
  user = await c.users.register({ username: 'alice', password: 'pw', email: '' }, undefined);
  app = c.apps.create(user, 'demo');
});

async function rejection(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeisError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

const versions = () => c.releases.list(app).map((r) => r.version);
const summaries = () => c.releases.list(app).map((r) => `v${r.version} ${r.summary}`);

describe('release numbering', () => {
  it('starts at v1 and gives each change max+1, newest first', async () => {
    await c.configs.set(app, user, { values: { A: '1' } });
    await c.builds.create(app, user, { image: 'nginx:1' });
    expect(versions()).toEqual([3, 2, 1]);
    expect(summaries()).toEqual([
      'v3 alice deployed nginx:1',
      'v2 alice added A',
      'v1 alice created initial release',
    ]);
  });

  it('counts failed releases, so a number is never reused', async () => {
    await c.configs.set(app, user, { values: { A: '1' } });
    c.store.db.prepare('UPDATE releases SET failed = 1 WHERE version = 2').run();
    const { release } = await c.configs.set(app, user, { values: { B: '2' } });
    expect(release.version).toBe(3);
    // The failed v2's config is not the base: A was never running.
    expect(c.configs.current(app).values).toBe('{"B":"2"}');
  });
});

describe('config changes', () => {
  it('keep the current build and store nothing when rejected', async () => {
    const { build } = await c.builds.create(app, user, { image: 'img', procfile: { web: 'run' } });
    const { release } = await c.configs.set(app, user, { values: { A: '1' } });
    expect(release.build_uuid).toBe(build.uuid);
    const configsBefore = c.store.db.prepare('SELECT COUNT(*) AS n FROM configs').get();
    expect(await rejection(c.configs.set(app, user, { values: { A: '1' } }))).toEqual({
      status: 409,
      message: 'alice changed nothing - release stopped',
    });
    expect((await rejection(c.configs.set(app, user, { values: { B: null } }))).status).toBe(422);
    expect(c.store.db.prepare('SELECT COUNT(*) AS n FROM configs').get()).toEqual(configsBefore);
    expect(versions()).toEqual([3, 2, 1]);
  });
});

describe('rollback', () => {
  beforeEach(async () => {
    await c.builds.create(app, user, { image: 'img:1' }); // v2
    await c.configs.set(app, user, { values: { A: '1' } }); // v3
    await c.builds.create(app, user, { image: 'img:2' }); // v4
  });

  it('defaults to the release before the current one and copies its build and config', async () => {
    const v3 = c.releases.get(app, 3);
    const release = await c.releases.rollback(app, user);
    expect(release.version).toBe(5);
    expect(release.summary).toBe('alice rolled back to v3');
    expect(release.build_uuid).toBe(v3.build_uuid);
    expect(release.config_uuid).toBe(v3.config_uuid);
  });

  it('goes to an explicit version', async () => {
    const release = await c.releases.rollback(app, user, 2);
    expect(release.summary).toBe('alice rolled back to v2');
    expect(c.configs.current(app).values).toBe('{}');
  });

  it('refuses v1, failed releases, versions below 1 and unknown versions', async () => {
    expect(await rejection(c.releases.rollback(app, user, 1))).toEqual({
      status: 400,
      message: 'Cannot roll back to initial release.',
    });
    expect((await rejection(c.releases.rollback(app, user, 0))).message).toBe('version cannot be below 0');
    expect(await rejection(c.releases.rollback(app, user, 99))).toEqual({
      status: 404,
      message: 'No Release matches the given query.',
    });
    c.store.db.prepare('UPDATE releases SET failed = 1 WHERE version = 3').run();
    expect((await rejection(c.releases.rollback(app, user, 3))).message).toBe(
      'Cannot roll back to failed release.',
    );
    expect(versions()).toEqual([4, 3, 2, 1]);
  });
});

describe('release listeners', () => {
  it('hear about every release after it is stored, with its cause', async () => {
    const heard: string[] = [];
    const off = c.releases.onRelease((e: ReleaseEvent) => {
      // The release is committed by the time listeners run.
      expect(c.releases.find(e.app, e.release.version)?.uuid).toBe(e.release.uuid);
      heard.push(`${e.cause} v${e.release.version}`);
    });
    await c.builds.create(app, user, { image: 'img' });
    await c.configs.set(app, user, { values: { A: '1' } });
    await c.releases.rollback(app, user);
    await c.configs.set(app, user, {}).catch(() => undefined); // 409: nothing changed, no release
    off();
    await c.builds.create(app, user, { image: 'img' });
    expect(heard).toEqual(['build v2', 'config v3', 'rollback v4']);
  });

  it("can fail the request that cut the release (the run stage's deploy error)", async () => {
    c.releases.onRelease(() => Promise.reject(new DeisError('unavailable', 'deploy failed')));
    expect((await rejection(c.builds.create(app, user, { image: 'img' }))).status).toBe(503);
  });
});
