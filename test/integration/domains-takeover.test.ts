/**
 * Issue 8, class 3: a user must not take another app's traffic with a domain. An ordinary user
 * tries every name the router would give to an app they may not manage — its default name in every
 * spelling, its custom domains, names covered by its wildcards, wildcards covering its names, the
 * platform's wildcard, and names of apps not created yet — and each is refused with a sentence,
 * nothing stored. The legitimate cases keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type Reply, type TestCore } from '../support/core';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let admin: Api;
let mallory: Api;
let alice: Api;
let bob: Api;

const ok = async (p: Promise<Reply>) => {
  const r = await p;
  expect(r.status, r.text).toBeLessThan(300);
  return r;
};

/** The request is refused with a 400 whose one message matches, and the store is unchanged. */
async function refused(request: () => Promise<Reply>, message: string | RegExp): Promise<void> {
  const before = snapshot(t.core.controller.store);
  const r = await request();
  expect(r.status, r.text).toBe(400);
  const messages = Object.values(r.body as Record<string, string[] | string>).flat();
  expect(messages).toHaveLength(1);
  if (typeof message === 'string') expect(messages[0]).toBe(message);
  else expect(messages[0]).toMatch(message);
  expect(snapshot(t.core.controller.store)).toBe(before);
}

const addDomain = (api: Api, app: string, domain: string) => () =>
  api.post(`/v2/apps/${app}/domains/`, { domain });

const domainsOf = async (api: Api, app: string) =>
  ((await api.get(`/v2/apps/${app}/domains/`)).body as { results: { domain: string }[] }).results.map(
    (d) => d.domain,
  );

beforeAll(async () => {
  t = await startTestCore();
  const base = new Api(t.url);
  admin = await base.register('admin');
  mallory = await base.register('mallory', 'pw', admin);
  alice = await base.register('alice', 'pw', admin);
  bob = await base.register('bob', 'pw', admin);
  await ok(admin.post('/v2/apps/', { id: 'adminapp' }));
  await ok(admin.post('/v2/apps/adminapp/domains/', { domain: 'shop.example.com' }));
  await ok(admin.post('/v2/apps/adminapp/domains/', { domain: '*.corp.example.com' }));
  await ok(admin.post('/v2/apps/adminapp/domains/', { domain: 'bücher.example' }));
  await ok(mallory.post('/v2/apps/', { id: 'mallapp' }));
  await ok(bob.post('/v2/apps/', { id: 'bobshop' }));
  await ok(bob.post('/v2/apps/bobshop/domains/', { domain: 'bob.example.net' }));
  await ok(alice.post('/v2/apps/', { id: 'aliceblog' }));
  await ok(alice.post('/v2/apps/aliceblog/perms/', { username: 'bob' }));
});
afterAll(() => t?.stop());

describe("another app's default name", () => {
  it.each([
    'adminapp',
    'ADMINAPP',
    'adminapp.',
    'adminapp.localhost',
    'adminapp.localhost.',
    'AdminApp.LocalHost.',
    'ADMINAPP.LOCALHOST',
  ])('refuses %s: the admin app already has it', async (domain) => {
    await refused(
      addDomain(mallory, 'mallapp', domain),
      `The domain ${domain.replace(/\.$/, '')} is already in use by another app`,
    );
  });

  it('refuses Unicode look-alikes of it: full-width letters are not a host name, Cyrillic ones are reserved', async () => {
    await refused(
      addDomain(mallory, 'mallapp', 'ａｄｍｉｎａｐｐ.localhost'),
      /^Hostname does not look valid/,
    );
    // A Cyrillic "а": another name, but under the platform domain, so only its app's.
    await refused(
      addDomain(mallory, 'mallapp', 'аdminapp.localhost'),
      /^The domain аdminapp\.localhost is reserved for the app xn--dminapp-\w+: names under localhost belong to the app of that name\.$/,
    );
  });

  it.each([
    'www.adminapp.localhost',
    'WWW.AdminApp.localhost.',
    '*.adminapp.localhost',
    'a.b.adminapp.localhost',
  ])('refuses %s: names under an app name belong to that app', async (domain) => {
    await refused(
      addDomain(mallory, 'mallapp', domain),
      `The domain ${domain.replace(/\.$/, '')} is reserved for the app adminapp: names under localhost belong to the app of that name.`,
    );
  });
});

describe("another app's custom domains and wildcards", () => {
  it.each([
    'shop.example.com',
    'SHOP.Example.COM.',
    'xn--bcher-kva.example',
    'bücher.example',
    '*.corp.example.com',
  ])('refuses %s: the admin app already has it', async (domain) => {
    await refused(
      addDomain(mallory, 'mallapp', domain),
      `The domain ${domain.replace(/\.$/, '')} is already in use by another app`,
    );
  });

  it('refuses a name covered by its wildcard (the exact name would win in the router)', async () => {
    await refused(
      addDomain(mallory, 'mallapp', 'api.corp.example.com'),
      'The domain api.corp.example.com is covered by *.corp.example.com, which is in use by another app',
    );
    await refused(
      addDomain(mallory, 'mallapp', '*.eu.corp.example.com'),
      'The domain *.eu.corp.example.com is covered by *.corp.example.com, which is in use by another app',
    );
  });

  it('refuses a wildcard covering its names', async () => {
    await refused(
      addDomain(mallory, 'mallapp', '*.example.com'),
      /^The domain \*\.example\.com covers (shop\.example\.com|\*\.corp\.example\.com), which is in use by another app$/,
    );
  });
});

describe('the platform domain and names of apps not created yet', () => {
  it.each(['*.localhost', '*.LOCALHOST.'])(
    'refuses %s to a user who is not an administrator',
    async (domain) => {
      await refused(
        addDomain(mallory, 'mallapp', domain),
        `Only an administrator can add ${domain.replace(/\.$/, '')}: it would cover every app under localhost.`,
      );
    },
  );

  it('refuses a wildcard over a whole top-level domain', async () => {
    await refused(
      addDomain(mallory, 'mallapp', '*.com'),
      'Only an administrator can add *.com: it would cover a whole top-level domain.',
    );
  });

  it.each(['future', 'future.localhost', 'www.future.localhost', 'deis.localhost'])(
    'refuses %s: it belongs to an app of that name, created or not',
    async (domain) => {
      const app = domain.split('.').at(-2) ?? domain;
      await refused(
        addDomain(mallory, 'mallapp', domain),
        `The domain ${domain} is reserved for the app ${app}: names under localhost belong to the app of that name.`,
      );
    },
  );

  it('leaves every app with only its own names', async () => {
    expect(await domainsOf(admin, 'adminapp')).toEqual([
      'adminapp',
      'shop.example.com',
      '*.corp.example.com',
      'xn--bcher-kva.example',
    ]);
    expect(await domainsOf(mallory, 'mallapp')).toEqual(['mallapp']);
  });
});

describe('what still works', () => {
  it("lets a user add names of their own: custom, under their app's name, and wildcards", async () => {
    for (const domain of [
      'mallapp.example.org',
      'www.mallapp.localhost',
      '*.mallapp.localhost',
      '*.mall.example.org',
    ])
      await ok(mallory.post('/v2/apps/mallapp/domains/', { domain }));
  });

  it("lets the first user's wildcard keep its subtree: others cannot add names in it, nor cover it", async () => {
    await refused(
      addDomain(alice, 'aliceblog', 'x.mall.example.org'),
      'The domain x.mall.example.org is covered by *.mall.example.org, which is in use by another app',
    );
    await refused(
      addDomain(alice, 'aliceblog', '*.example.org'),
      /^The domain \*\.example\.org covers (mallapp\.example\.org|\*\.mall\.example\.org), which is in use by another app$/,
    );
  });

  it("lets an administrator add the platform's wildcard, which then takes nothing from anyone", async () => {
    await ok(admin.post('/v2/apps/', { id: 'catchall' }));
    await ok(admin.post('/v2/apps/catchall/domains/', { domain: '*.localhost' }));
    await ok(admin.post('/v2/apps/catchall/domains/', { domain: '*.org' }));
    // Exact names win over a catch-all in the router: it does not block anyone's own names.
    await ok(mallory.post('/v2/apps/mallapp/domains/', { domain: 'api.mallapp.localhost' }));
    await ok(mallory.post('/v2/apps/mallapp/domains/', { domain: 'mallory.example.org' }));
  });

  it('lets a user with access to both apps move names between them', async () => {
    // bob owns bobshop and collaborates on aliceblog.
    await ok(bob.post('/v2/apps/aliceblog/domains/', { domain: 'www.bobshop.localhost' }));
    await ok(bob.post('/v2/apps/aliceblog/domains/', { domain: '*.example.net' }));
    // alice owns aliceblog but has no access to bobshop.
    await refused(
      addDomain(alice, 'aliceblog', 'api.bobshop.localhost'),
      'The domain api.bobshop.localhost is reserved for the app bobshop: names under localhost belong to the app of that name.',
    );
    await refused(
      addDomain(alice, 'aliceblog', 'bob.example.net'),
      'The domain bob.example.net is already in use by another app',
    );
  });

  it("lets an administrator give an app's future name to another app, and then refuses to create that app", async () => {
    await ok(admin.post('/v2/apps/adminapp/domains/', { domain: 'future.localhost' }));
    const before = snapshot(t.core.controller.store);
    const r = await mallory.post('/v2/apps/', { id: 'future' });
    expect([r.status, r.body]).toEqual([
      400,
      {
        id: [
          'The domain future.localhost is already in use by another app; choose another name for this app.',
        ],
      },
    ]);
    expect(snapshot(t.core.controller.store)).toBe(before);
    // Once the name is free again, the app can be created and has its default name.
    expect((await admin.delete('/v2/apps/adminapp/domains/future.localhost')).status).toBe(204);
    await ok(mallory.post('/v2/apps/', { id: 'future' }));
    expect(await domainsOf(mallory, 'future')).toEqual(['future']);
  });

  it('still refuses exact duplicates to administrators, in every spelling', async () => {
    await refused(
      addDomain(admin, 'catchall', 'Future.LocalHost.'),
      'The domain Future.LocalHost is already in use by another app',
    );
    await refused(
      addDomain(admin, 'catchall', 'mallapp'),
      'The domain mallapp is already in use by another app',
    );
  });
});
