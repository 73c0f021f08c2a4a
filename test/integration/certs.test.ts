import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { makeCert, type TestCert } from '../support/certs';

let t: TestCore;
let admin: Api;
let owner: Api;
let collab: Api;
let stranger: Api;
let shop: TestCert;
let other: TestCert;

const rows = (sql: string) => t.core.controller.store.db.prepare(sql).all();
const snapshot = () => [
  rows('SELECT * FROM certificates ORDER BY id'),
  rows('SELECT * FROM domains ORDER BY id'),
];

/** Asserts that a request was refused with `status` and `body` and changed no certificate or domain. */
async function refused(req: Promise<{ status: number; body: unknown }>, status: number, body: unknown) {
  const before = snapshot();
  const r = await req;
  expect([r.status, r.body]).toEqual([status, body]);
  expect(snapshot()).toEqual(before);
}

beforeAll(async () => {
  t = await startTestCore();
  const api = new Api(t.url);
  admin = await api.register('admin');
  owner = await api.register('olivia', 'pw', admin);
  collab = await api.register('carl', 'pw', admin);
  stranger = await api.register('sam', 'pw', admin);
  expect((await owner.post('/v2/apps/', { id: 'shop' })).status).toBe(201);
  expect((await owner.post('/v2/apps/shop/perms/', { username: 'carl' })).status).toBe(201);
  for (const domain of ['www.shop.example', 'shop.example'])
    expect((await owner.post('/v2/apps/shop/domains/', { domain })).status).toBe(201);
  expect((await stranger.post('/v2/apps/', { id: 'blog' })).status).toBe(201);
  expect((await stranger.post('/v2/apps/blog/domains/', { domain: 'blog.example' })).status).toBe(201);
  shop = makeCert('www.shop.example', ['www.shop.example', 'shop.example']);
  other = makeCert('other.example');
});
afterAll(() => t.stop());

describe('certificates', () => {
  it('adds a certificate (201) and shows what is in it, never the key', async () => {
    const r = await owner.post('/v2/certs/', {
      name: 'shop-cert',
      certificate: shop.certificate,
      key: shop.key,
    });
    expect(r.status).toBe(201);
    const cert = r.body as Record<string, unknown>;
    expect(Object.keys(cert).sort()).toEqual(
      [
        'common_name',
        'created',
        'domains',
        'expires',
        'fingerprint',
        'id',
        'issuer',
        'name',
        'owner',
        'san',
        'starts',
        'subject',
        'updated',
      ].sort(),
    );
    const x = new X509Certificate(shop.certificate);
    expect(cert).toMatchObject({
      name: 'shop-cert',
      owner: 'olivia',
      common_name: 'www.shop.example',
      fingerprint: x.fingerprint256,
      san: ['www.shop.example', 'shop.example'],
      subject: '/C=US/ST=CA/O=Acme/CN=www.shop.example',
      issuer: '/C=US/ST=CA/O=Acme/CN=www.shop.example',
      domains: [],
    });
    expect(typeof cert.id).toBe('number');
    expect(cert.expires).toBe(new Date(x.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(cert.starts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('lists and shows certificates to their owner only (admins included, as in Deis)', async () => {
    expect((await owner.get('/v2/certs/')).body).toMatchObject({
      count: 1,
      results: [{ name: 'shop-cert' }],
    });
    expect((await owner.get('/v2/certs/shop-cert')).body).toMatchObject({ name: 'shop-cert' });
    expect((await admin.get('/v2/certs/')).body).toMatchObject({ count: 0 });
    const r = await stranger.get('/v2/certs/shop-cert');
    expect([r.status, r.body]).toEqual([404, 'No Certificate matches the given query.']);
  });

  it('refuses bad names, broken PEM, a foreign key and a taken name, storing nothing', async () => {
    const good = { name: 'x', certificate: shop.certificate, key: shop.key };
    await refused(owner.post('/v2/certs/', { ...good, name: 'Bad_Name' }), 400, {
      name: ['Can only contain a-z (lowercase), 0-9 and hyphens'],
    });
    await refused(owner.post('/v2/certs/', { ...good, name: 'a'.repeat(254) }), 400, {
      name: ['Ensure this field has no more than 253 characters.'],
    });
    await refused(owner.post('/v2/certs/', { certificate: shop.certificate, key: shop.key }), 400, {
      name: ['This field is required.'],
    });
    await refused(owner.post('/v2/certs/', { ...good, key: other.key }), 400, {
      key: ['The private key does not match the certificate.'],
    });
    await refused(stranger.post('/v2/certs/', { ...good, name: 'shop-cert' }), 400, {
      name: ['certificate with this name already exists.'],
    });
    const broken = await owner.post('/v2/certs/', { ...good, certificate: 'garbage' });
    expect(broken.status).toBe(400);
    expect((broken.body as { certificate: string[] }).certificate[0]).toMatch(
      /^Could not load certificate: /,
    );
    const badKey = await owner.post('/v2/certs/', { ...good, key: 'garbage' });
    expect((badKey.body as { key: string[] }).key[0]).toMatch(/^Could not load private key: /);
    expect(rows('SELECT name FROM certificates')).toEqual([{ name: 'shop-cert' }]);
  });

  it('attaches to a domain (201), shown in the certificate', async () => {
    expect((await owner.post('/v2/certs/shop-cert/domain/', { domain: 'www.shop.example' })).status).toBe(
      201,
    );
    // Collaborators of the domain's app may attach their own certificates too.
    expect((await collab.post('/v2/certs/', { name: 'carl-cert', ...other })).status).toBe(201);
    expect((await collab.post('/v2/certs/carl-cert/domain/', { domain: 'shop.example' })).status).toBe(201);
    expect((await owner.get('/v2/certs/shop-cert')).body).toMatchObject({ domains: ['www.shop.example'] });
    expect((await collab.get('/v2/certs/carl-cert')).body).toMatchObject({ domains: ['shop.example'] });
  });

  it('refuses attaching to a domain that has a certificate, is unknown or belongs to someone else', async () => {
    await refused(owner.post('/v2/certs/shop-cert/domain/', { domain: 'www.shop.example' }), 409, {
      detail: 'Domain already has a certificate attached to it',
    });
    await refused(
      owner.post('/v2/certs/shop-cert/domain/', { domain: 'nope.example' }),
      404,
      'No Domain matches the given query.',
    );
    await refused(owner.post('/v2/certs/shop-cert/domain/', { domain: 'blog.example' }), 403, {
      detail: 'You do not have permission to perform this action.',
    });
    await refused(
      stranger.post('/v2/certs/shop-cert/domain/', { domain: 'blog.example' }),
      404,
      'No Certificate matches the given query.',
    );
    await refused(owner.post('/v2/certs/shop-cert/domain/', {}), 400, {
      detail: 'domain is a required field',
    });
  });

  it('detaches (204) only what is attached to this certificate', async () => {
    await refused(owner.delete('/v2/certs/shop-cert/domain/shop.example'), 404, {
      detail: 'The certificate shop-cert is not attached to shop.example',
    });
    await refused(
      stranger.delete('/v2/certs/shop-cert/domain/www.shop.example'),
      404,
      'No Certificate matches the given query.',
    );
    expect((await owner.delete('/v2/certs/shop-cert/domain/www.shop.example')).status).toBe(204);
    expect((await owner.get('/v2/certs/shop-cert')).body).toMatchObject({ domains: [] });
    expect((await owner.post('/v2/certs/shop-cert/domain/', { domain: 'WWW.shop.example' })).status).toBe(
      201,
    );
  });

  it('frees the domain when the certificate is deleted (204), and when the domain is removed', async () => {
    expect((await owner.delete('/v2/apps/shop/domains/shop.example')).status).toBe(204);
    expect((await collab.get('/v2/certs/carl-cert')).body).toMatchObject({ domains: [] });
    expect((await stranger.delete('/v2/certs/shop-cert')).status).toBe(404);
    expect((await owner.delete('/v2/certs/shop-cert/')).status).toBe(204);
    expect((await owner.get('/v2/certs/shop-cert')).status).toBe(404);
    expect(rows("SELECT certificate_id FROM domains WHERE domain = 'www.shop.example'")).toEqual([
      { certificate_id: null },
    ]);
    expect((await collab.post('/v2/certs/carl-cert/domain/', { domain: 'www.shop.example' })).status).toBe(
      201,
    );
  });
});
