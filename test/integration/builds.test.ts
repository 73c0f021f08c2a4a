import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build, Config, Paginated, Release } from '../../main/contract/objects';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let admin: Api;
let alice: Api;

beforeAll(async () => {
  t = await startTestCore();
  admin = await new Api(t.url).register('admin');
  alice = await new Api(t.url).register('alice', 'pw', admin);
});
afterAll(() => t.stop());

async function newApp(id: string): Promise<string> {
  expect((await alice.post('/v2/apps/', { id })).status).toBe(201);
  return `/v2/apps/${id}`;
}

describe('builds:create (deis pull)', () => {
  it('records the build and cuts a release of it with the current config', async () => {
    const app = await newApp('pull-basic');
    await alice.post(`${app}/config/`, { values: { GREETING: 'hi' } }); // v2
    const r = await alice.post(`${app}/builds/`, {
      image: 'example/web:1.0',
      procfile: { web: 'bin/server', worker: 'bin/worker' },
    });
    expect(r.status).toBe(201);
    const build = r.body as Build;
    expect(build).toMatchObject({
      owner: 'alice',
      app: 'pull-basic',
      image: 'example/web:1.0',
      sha: '',
      procfile: { web: 'bin/server', worker: 'bin/worker' },
      dockerfile: '',
    });
    expect(build.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(build.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const v3 = (await alice.get(`${app}/releases/v3/`)).body as Release;
    const config = (await alice.get(`${app}/config/`)).body as Config;
    expect(v3).toMatchObject({
      summary: 'alice deployed example/web:1.0',
      build: build.uuid,
      config: config.uuid,
    });
    expect(config.values).toEqual({ GREETING: 'hi' });

    const got = await alice.get(`${app}/builds/${build.uuid}/`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(build);
  });

  it('lists builds newest first, paginated, and answers 404 for an unknown uuid', async () => {
    const app = await newApp('pull-list');
    for (const tag of ['1', '2', '3']) await alice.post(`${app}/builds`, { image: `img:${tag}` });
    const page = (await alice.get(`${app}/builds/?limit=2`)).body as Paginated<Build>;
    expect(page.count).toBe(3);
    expect(page.results.map((b) => b.image)).toEqual(['img:3', 'img:2']);
    expect(page.next).not.toBeNull();
    const missing = await alice.get(`${app}/builds/00000000-0000-0000-0000-000000000000/`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('No Build matches the given query.');
  });

  it('keeps the build across config changes and rolls back to an older image', async () => {
    const app = await newApp('pull-rollback');
    const first = (await alice.post(`${app}/builds/`, { image: 'img:1' })).body as Build; // v2
    await alice.post(`${app}/builds/`, { image: 'img:2' }); // v3
    await alice.post(`${app}/config/`, { values: { A: '1' } }); // v4 (still img:2)
    expect(((await alice.get(`${app}/releases/v4/`)).body as Release).build).not.toBe(first.uuid);
    const back = await alice.post(`${app}/releases/rollback/`, { version: 2 });
    expect(back.body).toEqual({ version: 5 });
    const v5 = (await alice.get(`${app}/releases/v5/`)).body as Release;
    expect(v5).toMatchObject({ build: first.uuid, summary: 'alice rolled back to v2' });
    expect(((await alice.get(`${app}/config/`)).body as Config).values).toEqual({});
  });

  it('rejects a bad build with DRF field errors and cuts no release', async () => {
    const app = await newApp('pull-bad');
    const noImage = await alice.post(`${app}/builds/`, { procfile: { web: 'run' } });
    expect(noImage.status).toBe(400);
    expect(noImage.body).toEqual({ image: ['This field is required.'] });
    const emptyCommand = await alice.post(`${app}/builds/`, { image: 'img', procfile: { web: '' } });
    expect(emptyCommand.status).toBe(400);
    expect(emptyCommand.body).toEqual({ procfile: ["Command can't be empty for process type"] });
    const badType = await alice.post(`${app}/builds/`, { image: 'img', procfile: { Web_1: 'run' } });
    expect(badType.body).toEqual({
      procfile: ['Process types can only contain lowercase alphanumeric characters'],
    });
    expect(((await alice.get(`${app}/builds/`)).body as Paginated<Build>).count).toBe(0);
    expect(((await alice.get(`${app}/releases/`)).body as Paginated<Release>).count).toBe(1);
  });

  it('refuses a stranger and answers 405 for methods the route does not serve', async () => {
    const app = await newApp('pull-perms');
    const mallory = await new Api(t.url).register('mallory', 'pw', admin);
    expect((await mallory.post(`${app}/builds/`, { image: 'img' })).status).toBe(403);
    expect((await mallory.get(`${app}/builds/`)).status).toBe(403);
    expect((await alice.delete(`${app}/builds/`)).status).toBe(405);
    expect(((await alice.get(`${app}/releases/`)).body as Paginated<Release>).count).toBe(1);
  });
});

describe('the builder entry point', () => {
  it('names a git build by its short sha', async () => {
    await newApp('git-build');
    const c = t.core.controller;
    const app = c.apps.find('git-build')!;
    const user = c.users.get('alice');
    const { build, release } = await c.builds.create(app, user, {
      image: 'git-build:git-1a2b3c4d',
      sha: '1a2b3c4d',
      dockerfile: 'true',
      procfile: {},
    });
    expect(release.summary).toBe('alice deployed 1a2b3c4');
    expect(release.build_uuid).toBe(build.uuid);
    const got = (await alice.get(`/v2/apps/git-build/builds/${build.uuid}`)).body as Build;
    expect(got).toMatchObject({ sha: '1a2b3c4d', dockerfile: 'true', procfile: {} });
  });
});
