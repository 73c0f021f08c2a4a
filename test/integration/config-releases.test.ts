import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Paginated, Release } from '../../main/contract/objects';
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

async function newApp(owner: Api, id: string): Promise<string> {
  const r = await owner.post('/v2/apps/', { id });
  expect(r.status).toBe(201);
  return `/v2/apps/${id}`;
}

/** Makes `username` a collaborator. The perms routes live on another branch, so this goes to the store. */
function share(appId: string, username: string): void {
  const db = t.core.controller.store.db;
  db.prepare(
    "INSERT INTO app_perms (app_uuid, user_id, created) SELECT apps.uuid, users.id, '' FROM apps, users WHERE apps.id = ? AND users.username = ?",
  ).run(appId, username);
}

const releases = async (api: Api, app: string) =>
  (await api.get(`${app}/releases/`)).body as Paginated<Release>;
const summaries = async (api: Api, app: string) =>
  (await releases(api, app)).results.map((r) => `v${r.version} ${r.summary}`);

describe('config:set and config:unset', () => {
  it('cut a release per change with the Deis summary and return the merged config', async () => {
    const app = await newApp(alice, 'cfg-basic');
    const initial = await alice.get(`${app}/config/`);
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ owner: 'alice', app: 'cfg-basic', values: {}, healthcheck: {} });

    const set = await alice.post(`${app}/config/`, { values: { PORT: '5000', DEBUG: true } });
    expect(set.status).toBe(201);
    expect((set.body as Config).values).toEqual({ PORT: '5000', DEBUG: 'True' });

    const change = await alice.post(`${app}/config/`, { values: { DEBUG: 'false', NEW: 'x', PORT: null } });
    expect(change.status).toBe(201);
    expect((change.body as Config).values).toEqual({ DEBUG: 'false', NEW: 'x' });

    expect(await summaries(alice, app)).toEqual([
      'v3 alice added NEW, changed DEBUG, deleted PORT',
      'v2 alice added DEBUG, PORT',
      'v1 alice created initial release',
    ]);
    const latest = (await alice.get(`${app}/config/`)).body as Config;
    expect(latest.uuid).toBe((change.body as Config).uuid);
    const v3 = (await alice.get(`${app}/releases/v3/`)).body as Release;
    expect(v3).toMatchObject({
      version: 3,
      failed: false,
      build: null,
      config: latest.uuid,
      app: 'cfg-basic',
    });
  });

  it('answers 409 when nothing changes and 422 when unsetting a missing key, storing nothing', async () => {
    const app = await newApp(alice, 'cfg-reject');
    await alice.post(`${app}/config/`, { values: { A: '1' } });
    const before = await alice.get(`${app}/config/`);

    const same = await alice.post(`${app}/config/`, { values: { A: '1' } });
    expect(same.status).toBe(409);
    expect(same.body).toEqual({ detail: 'alice changed nothing - release stopped' });

    const missing = await alice.post(`${app}/config/`, { values: { A: '2', NOPE: null } });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ detail: 'NOPE does not exist under values' });

    const bad = await alice.post(`${app}/config/`, { values: { A: '3', '1BAD': 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      values: ['Config keys must start with a letter or underscore and only contain [A-z0-9_]'],
    });

    const registry = await alice.post(`${app}/config/`, { registry: { username: 'u' } });
    expect(registry.status).toBe(400);
    expect(registry.body).toEqual({
      detail: 'PORT needs to be set in the config when using a private registry',
    });

    expect((await alice.get(`${app}/config/`)).body).toEqual(before.body);
    expect((await releases(alice, app)).count).toBe(2);
  });

  it('sets limits, tags, registry and health checks with their own summaries', async () => {
    const app = await newApp(alice, 'cfg-kinds');
    expect((await alice.post(`${app}/config/`, { memory: { web: '512M' }, cpu: { web: 250 } })).status).toBe(
      201,
    );
    expect((await alice.post(`${app}/config/`, { tags: { disk: 'ssd' } })).status).toBe(201);
    const reg = await alice.post(`${app}/config/`, { values: { PORT: 8080 }, registry: { Username: 'u' } });
    expect(reg.status).toBe(201);
    const probe = { tcpSocket: { port: 8080 }, periodSeconds: 5 };
    const hc = await alice.post(`${app}/config/`, { healthcheck: { 'web/cmd': { readinessProbe: probe } } });
    expect(hc.status).toBe(201);
    expect(hc.body).toMatchObject({
      memory: { web: '512M' },
      cpu: { web: '250' },
      tags: { disk: 'ssd' },
      registry: { username: 'u' },
      healthcheck: { 'web/cmd': { readinessProbe: probe } },
    });
    const unset = await alice.post(`${app}/config/`, { healthcheck: { 'web/cmd': { livenessProbe: null } } });
    expect(unset.status).toBe(422);
    expect(unset.body).toEqual({ detail: 'web/cmd does not exist under healthcheck' });
    expect((await summaries(alice, app)).slice(0, 4)).toEqual([
      'v5 alice added healthcheck info for proc type web/cmd',
      'v4 alice added PORT and alice added registry info username',
      'v3 alice added tag disk',
      'v2 alice changed limits for memory, cpu',
    ]);
  });

  it('accepts the legacy healthcheck forms and stores them under web/cmd', async () => {
    const app = await newApp(alice, 'cfg-legacy');
    const r = await alice.post(`${app}/config/`, {
      values: { HEALTHCHECK_URL: '/health', HEALTHCHECK_TIMEOUT: 3 },
    });
    expect(r.status).toBe(201);
    const config = r.body as Config;
    expect(config.values).toEqual({});
    expect(config.healthcheck['web/cmd']?.livenessProbe).toMatchObject({
      timeoutSeconds: 3,
      httpGet: { path: '/health' },
    });
    const top = await alice.post(`${app}/config/`, {
      healthcheck: { livenessProbe: { tcpSocket: { port: 80 } } },
    });
    expect(top.status).toBe(201);
    expect((top.body as Config).healthcheck['web/cmd']?.livenessProbe).toEqual({ tcpSocket: { port: 80 } });
  });
});

describe('releases', () => {
  it('paginate newest first and answer 404 for an unknown version', async () => {
    const app = await newApp(alice, 'rel-list');
    for (const v of ['1', '2', '3']) await alice.post(`${app}/config/`, { values: { N: v } });
    const page = (await alice.get(`${app}/releases?limit=2`)).body as Paginated<Release>;
    expect(page.count).toBe(4);
    expect(page.results.map((r) => r.version)).toEqual([4, 3]);
    expect(page.next).toMatch(/\/releases\?limit=2&offset=2$/);
    const missing = await alice.get(`${app}/releases/v9/`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('No Release matches the given query.');
  });

  it('roll back to the previous release by default, or to a given version', async () => {
    const app = await newApp(alice, 'rel-rollback');
    await alice.post(`${app}/config/`, { values: { A: '1' } }); // v2
    await alice.post(`${app}/config/`, { values: { A: '2' } }); // v3
    await alice.post(`${app}/config/`, { values: { A: '3' } }); // v4

    const back = await alice.call('POST', `${app}/releases/rollback/`);
    expect(back.status).toBe(201);
    expect(back.body).toEqual({ version: 5 });
    expect(((await alice.get(`${app}/config/`)).body as Config).values).toEqual({ A: '2' });

    const explicit = await alice.post(`${app}/releases/rollback/`, { version: 2 });
    expect(explicit.status).toBe(201);
    expect(explicit.body).toEqual({ version: 6 });
    expect(((await alice.get(`${app}/config/`)).body as Config).values).toEqual({ A: '1' });
    expect((await summaries(alice, app)).slice(0, 2)).toEqual([
      'v6 alice rolled back to v2',
      'v5 alice rolled back to v3',
    ]);
  });

  it('refuse to roll back to v1 or to a version that does not exist, changing nothing', async () => {
    const app = await newApp(alice, 'rel-refuse');
    const onlyV1 = await alice.post(`${app}/releases/rollback/`, {});
    expect(onlyV1.status).toBe(400);
    expect(onlyV1.body).toEqual({ detail: 'version cannot be below 0' });
    await alice.post(`${app}/config/`, { values: { A: '1' } });
    const toV1 = await alice.post(`${app}/releases/rollback/`, { version: 1 });
    expect(toV1.status).toBe(400);
    expect(toV1.body).toEqual({ detail: 'Cannot roll back to initial release.' });
    const unknown = await alice.post(`${app}/releases/rollback/`, { version: 7 });
    expect(unknown.status).toBe(404);
    expect((await releases(alice, app)).count).toBe(2);
    expect(((await alice.get(`${app}/config/`)).body as Config).values).toEqual({ A: '1' });
  });
});

describe('who may change config', () => {
  it('lets a collaborator set config, but not a stranger', async () => {
    const app = await newApp(alice, 'cfg-perms');
    const bob = await new Api(t.url).register('bob', 'pw', admin);
    const eve = await new Api(t.url).register('eve', 'pw', admin);
    share('cfg-perms', 'bob');

    const byBob = await bob.post(`${app}/config/`, { values: { FROM: 'bob' } });
    expect(byBob.status).toBe(201);
    expect(byBob.body).toMatchObject({ owner: 'bob' });

    const byEve = await eve.post(`${app}/config/`, { values: { FROM: 'eve' } });
    expect(byEve.status).toBe(403);
    expect((await eve.get(`${app}/config/`)).status).toBe(403);
    expect((await eve.get(`${app}/releases/`)).status).toBe(403);
    expect((await eve.post(`${app}/releases/rollback/`, {})).status).toBe(403);

    expect(await summaries(alice, app)).toEqual(['v2 bob added FROM', 'v1 alice created initial release']);
    expect(((await alice.get(`${app}/config/`)).body as Config).values).toEqual({ FROM: 'bob' });
  });

  it('answers 404 for an unknown app before looking at the body', async () => {
    const r = await alice.post('/v2/apps/no-such-app/config/', { values: { '1': 'x' } });
    expect(r.status).toBe(404);
    expect(r.body).toBe('No App matches the given query.');
  });
});
