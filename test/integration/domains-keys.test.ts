import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { makeSshKey, sshKeygenMd5 } from '../support/certs';

let t: TestCore;
let admin: Api;
let owner: Api;
let collab: Api;
let stranger: Api;

const count = (table: string) =>
  (t.core.controller.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  t = await startTestCore();
  const api = new Api(t.url);
  admin = await api.register('admin');
  owner = await api.register('olivia', 'pw', admin);
  collab = await api.register('carl', 'pw', admin);
  stranger = await api.register('sam', 'pw', admin);
  expect((await owner.post('/v2/apps/', { id: 'shop' })).status).toBe(201);
  expect((await owner.post('/v2/apps/', { id: 'blog' })).status).toBe(201);
  expect((await owner.post('/v2/apps/shop/perms/', { username: 'carl' })).status).toBe(201);
});
afterAll(() => t.stop());

describe('domains', () => {
  it('lists the default domain (the app id) first, in the Deis shape', async () => {
    const r = await owner.get('/v2/apps/shop/domains/');
    expect(r.status).toBe(200);
    const page = r.body as { count: number; next: null; previous: null; results: Record<string, unknown>[] };
    expect(page.count).toBe(1);
    expect(Object.keys(page.results[0]!).sort()).toEqual(['app', 'created', 'domain', 'owner', 'updated']);
    expect(page.results[0]).toMatchObject({ app: 'shop', domain: 'shop', owner: 'olivia' });
  });

  it('adds a domain (201), stripping a trailing dot, and lists it', async () => {
    const r = await owner.post('/v2/apps/shop/domains/', { domain: 'shop.example.com.' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ app: 'shop', domain: 'shop.example.com', owner: 'olivia' });
    const list = await owner.get('/v2/apps/shop/domains?limit=1');
    expect(list.body).toMatchObject({ count: 2, results: [{ domain: 'shop' }] });
    expect((list.body as { next: string }).next).toContain('offset=1');
  });

  it('stores Unicode domains as IDNA and wildcards as given', async () => {
    expect((await owner.post('/v2/apps/shop/domains', { domain: 'bücher.example' })).body).toMatchObject({
      domain: 'xn--bcher-kva.example',
    });
    expect((await owner.post('/v2/apps/shop/domains', { domain: '*.shop.example.com' })).status).toBe(201);
  });

  it('lets a collaborator add domains and records them as the owner of that domain', async () => {
    const r = await collab.post('/v2/apps/shop/domains/', { domain: 'carl.example.com' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ owner: 'carl' });
  });

  it('refuses invalid and taken domains with DRF field errors, adding nothing', async () => {
    const before = count('domains');
    const cases: [unknown, unknown][] = [
      [{}, { domain: ['This field is required.'] }],
      [{ domain: '' }, { domain: ['This field may not be blank.'] }],
      [{ domain: true }, { domain: ['Not a valid string.'] }],
      [{ domain: '*' }, { domain: ["Hostname can't only be a wildcard"] }],
      [{ domain: '10.0.0.1' }, { domain: ['Hostname does not look valid.'] }],
      [
        { domain: 'shop.example.com' },
        { domain: ['The domain shop.example.com is already in use by another app'] },
      ],
      [
        { domain: 'SHOP.example.com.' },
        { domain: ['The domain SHOP.example.com is already in use by another app'] },
      ],
    ];
    for (const [body, errors] of cases) {
      const r = await owner.post('/v2/apps/blog/domains/', body);
      expect([r.status, r.body]).toEqual([400, errors]);
    }
    const bad = await owner.post('/v2/apps/blog/domains/', { domain: 'a_b.com' });
    expect(bad.status).toBe(400);
    expect((bad.body as { domain: string[] }).domain[0]).toMatch(
      /^Hostname does not look valid, could not convert/,
    );
    expect(count('domains')).toBe(before);
  });

  it('answers 404 for unknown apps and 403 for strangers', async () => {
    expect((await owner.get('/v2/apps/nope/domains/')).status).toBe(404);
    expect((await stranger.get('/v2/apps/shop/domains/')).status).toBe(403);
    const r = await stranger.post('/v2/apps/shop/domains/', { domain: 'evil.example.com' });
    expect([r.status, r.body]).toEqual([
      403,
      { detail: 'You do not have permission to perform this action.' },
    ]);
  });

  it('removes a domain (204); collaborators may not remove; unknown domains are 404', async () => {
    expect((await collab.delete('/v2/apps/shop/domains/carl.example.com')).status).toBe(403);
    expect((await owner.delete('/v2/apps/blog/domains/shop.example.com')).status).toBe(404);
    expect((await owner.delete('/v2/apps/shop/domains/carl.example.com/')).status).toBe(204);
    expect((await owner.delete('/v2/apps/shop/domains/Bücher.example')).status).toBe(204);
    expect((await owner.delete('/v2/apps/shop/domains/*.shop.example.com')).status).toBe(204);
    const r = await owner.delete('/v2/apps/shop/domains/carl.example.com');
    expect([r.status, r.body]).toEqual([404, 'No Domain matches the given query.']);
    const left = (await owner.get('/v2/apps/shop/domains/')).body as { results: { domain: string }[] };
    expect(left.results.map((d) => d.domain)).toEqual(['shop', 'shop.example.com']);
  });

  it('frees an app domain for reuse once its app is destroyed', async () => {
    await owner.post('/v2/apps/', { id: 'temp' });
    expect((await owner.post('/v2/apps/temp/domains/', { domain: 'temp.example.com' })).status).toBe(201);
    expect((await owner.delete('/v2/apps/temp/')).status).toBe(204);
    expect((await owner.post('/v2/apps/blog/domains/', { domain: 'temp.example.com' })).status).toBe(201);
  });
});

describe('keys', () => {
  const rsa = makeSshKey('rsa', 'olivia@laptop');
  const ed = makeSshKey('ed25519', 'olivia@desk');

  it('adds a key (201) with the MD5 fingerprint ssh-keygen shows', async () => {
    const r = await owner.post('/v2/keys/', { id: 'olivia@laptop', public: rsa + '\n' });
    expect(r.status).toBe(201);
    const key = r.body as Record<string, string>;
    expect(Object.keys(key).sort()).toEqual([
      'created',
      'fingerprint',
      'id',
      'owner',
      'public',
      'updated',
      'uuid',
    ]);
    expect(key).toMatchObject({
      id: 'olivia@laptop',
      owner: 'olivia',
      public: rsa,
      fingerprint: sshKeygenMd5(rsa),
    });
  });

  it("lists and gets only the caller's own keys, by ids that may contain dots and @", async () => {
    expect((await owner.post('/v2/keys', { id: 'desk.local', public: ed })).status).toBe(201);
    const mine = (await owner.get('/v2/keys/')).body as { count: number; results: { id: string }[] };
    expect(mine.count).toBe(2);
    expect(mine.results.map((k) => k.id)).toEqual(['olivia@laptop', 'desk.local']);
    expect((await owner.get('/v2/keys/olivia@laptop')).body).toMatchObject({ public: rsa });
    expect((await collab.get('/v2/keys/')).body).toMatchObject({ count: 0, results: [] });
    expect((await admin.get('/v2/keys/olivia@laptop')).status).toBe(404);
  });

  it('lets another user use the same key id for their own key', async () => {
    const r = await collab.post('/v2/keys/', { id: 'desk.local', public: makeSshKey('ecdsa', 'carl@desk') });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ owner: 'carl', id: 'desk.local' });
  });

  it('refuses duplicate and malformed keys, adding nothing', async () => {
    const before = count('keys');
    const [type, data] = rsa.split(' ');
    const cases: [unknown, Record<string, string[]>][] = [
      [{ public: ed }, { id: ['This field is required.'] }],
      [{ id: 'x', public: '' }, { public: ['This field may not be blank.'] }],
      [{ id: 'x'.repeat(129), public: ed }, { id: ['Ensure this field has no more than 128 characters.'] }],
      [{ id: 'desk.local', public: makeSshKey('ed25519') }, { id: ['SSH Key with this Id already exists.'] }],
      [{ id: 'again', public: rsa }, { public: ['Public Key is already in use'] }],
      [
        { id: 'other-comment', public: `${type} ${data} someone@else` },
        { public: ['Public Key is already in use'] },
      ],
      [{ id: 'bad', public: 'ssh-rsa not*base64' }, { public: ['Key contains invalid base64 chars'] }],
    ];
    for (const [body, errors] of cases) {
      const r = await owner.post('/v2/keys/', body);
      expect([r.status, r.body]).toEqual([400, errors]);
    }
    expect(count('keys')).toBe(before);
  });

  it('finds a key and its holders by fingerprint, for the builder', () => {
    const found = t.core.controller.keys.holders(`MD5:${sshKeygenMd5(ed).toUpperCase()}`);
    expect(found).toEqual([expect.objectContaining({ id: 'desk.local', owner: 'olivia', public: ed })]);
    expect(t.core.controller.keys.holders('00:11')).toEqual([]);
  });

  it("deletes own keys (204) and answers 404 for other users' or unknown keys", async () => {
    expect((await collab.delete('/v2/keys/olivia@laptop')).status).toBe(404);
    // Deis matches `.+`, so a trailing slash is part of the id.
    expect((await owner.delete('/v2/keys/olivia@laptop/')).status).toBe(404);
    expect((await owner.delete('/v2/keys/olivia@laptop')).status).toBe(204);
    const r = await owner.get('/v2/keys/olivia@laptop');
    expect([r.status, r.body]).toEqual([404, 'No Key matches the given query.']);
    expect(t.core.controller.keys.holders(sshKeygenMd5(rsa))).toEqual([]);
  });

  it('needs a token', async () => {
    expect((await owner.as(undefined).get('/v2/keys/')).status).toBe(401);
  });
});
