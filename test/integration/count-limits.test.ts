/**
 * Issue 8, class 5 (controller inputs): the counts a client can grow — apps (per user and in all),
 * domains per app, collaborators per app, certificates per user and their size — each stop at a
 * documented limit with a 400 and a sentence, and nothing is stored by the refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_APPS,
  MAX_APPS_PER_USER,
  MAX_CERT_PEM_BYTES,
  MAX_CERTS_PER_USER,
  MAX_COLLABORATORS_PER_APP,
  MAX_DOMAINS_PER_APP,
  MAX_KEY_PEM_BYTES,
} from '../../main/contract/limits';
import { makeCert } from '../support/certs';
import { Api, startTestCore, type Reply, type TestCore } from '../support/core';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let admin: Api;
let olivia: Api;
let sam: Api;

beforeAll(async () => {
  t = await startTestCore();
  admin = await new Api(t.url).register('admin');
  olivia = await new Api(t.url).register('olivia', 'pw', admin);
  sam = await new Api(t.url).register('sam', 'pw', admin);
});
afterAll(() => t?.stop());

async function created(p: Promise<Reply>): Promise<void> {
  const r = await p;
  expect(r.status, r.text).toBeLessThan(300);
}

async function refused(send: () => Promise<Reply>, body: unknown): Promise<void> {
  const before = snapshot(t.core.controller.store);
  const r = await send();
  expect([r.status, r.body]).toEqual([400, body]);
  expect(snapshot(t.core.controller.store)).toBe(before);
}

describe('domains per app', () => {
  it(`stops at ${MAX_DOMAINS_PER_APP}, the default name included`, async () => {
    await created(olivia.post('/v2/apps/', { id: 'many-names' }));
    for (let i = 1; i < MAX_DOMAINS_PER_APP; i++)
      await created(olivia.post('/v2/apps/many-names/domains/', { domain: `n${i}.example.com` }));
    await refused(() => olivia.post('/v2/apps/many-names/domains/', { domain: 'one-more.example.com' }), {
      detail: `An app can have at most ${MAX_DOMAINS_PER_APP} domains; remove one before adding another.`,
    });
    expect((await olivia.delete('/v2/apps/many-names/domains/n1.example.com')).status).toBe(204);
    await created(olivia.post('/v2/apps/many-names/domains/', { domain: 'one-more.example.com' }));
  });
});

describe('collaborators per app', () => {
  it(`stops at ${MAX_COLLABORATORS_PER_APP}; sharing again with a collaborator is still fine`, async () => {
    await created(olivia.post('/v2/apps/', { id: 'shared' }));
    for (let i = 0; i <= MAX_COLLABORATORS_PER_APP; i++)
      await created(
        admin.post('/v2/auth/register/', { username: `u${i}`, password: 'pw', email: `u${i}@example.com` }),
      );
    for (let i = 0; i < MAX_COLLABORATORS_PER_APP; i++)
      await created(olivia.post('/v2/apps/shared/perms/', { username: `u${i}` }));
    await refused(
      () => olivia.post('/v2/apps/shared/perms/', { username: `u${MAX_COLLABORATORS_PER_APP}` }),
      {
        detail: `An app can be shared with at most ${MAX_COLLABORATORS_PER_APP} users; remove a collaborator before adding another.`,
      },
    );
    await created(olivia.post('/v2/apps/shared/perms/', { username: 'u0' }));
  }, 60_000);
});

describe('certificates', () => {
  const cert = makeCert('limits.example.com', ['limits.example.com']);

  it('refuses PEM text over the size limits before reading it', async () => {
    const padding = `\n${'A'.repeat(MAX_CERT_PEM_BYTES)}`;
    await refused(
      () =>
        olivia.post('/v2/certs/', {
          name: 'too-big',
          certificate: cert.certificate + padding,
          key: cert.key,
        }),
      {
        certificate: ['A certificate can be at most 64 KiB of PEM text, chain included.'],
      },
    );
    await refused(
      () =>
        olivia.post('/v2/certs/', {
          name: 'too-big',
          certificate: cert.certificate,
          key: cert.key + 'A'.repeat(MAX_KEY_PEM_BYTES),
        }),
      { key: ['A private key can be at most 16 KiB of PEM text.'] },
    );
  });

  it(`stops at ${MAX_CERTS_PER_USER} per user; another user still has their own share`, async () => {
    for (let i = 0; i < MAX_CERTS_PER_USER; i++)
      await created(olivia.post('/v2/certs/', { name: `c${i}`, ...cert }));
    await refused(() => olivia.post('/v2/certs/', { name: 'one-more', ...cert }), {
      detail: `You have ${MAX_CERTS_PER_USER} certificates, the most a user may have; remove one before adding another.`,
    });
    await created(sam.post('/v2/certs/', { name: 'sams', ...cert }));
  }, 60_000);
});

describe('apps', () => {
  it(`lets a user who is not an administrator own ${MAX_APPS_PER_USER}`, async () => {
    const owned = ((await olivia.get('/v2/apps/?limit=1000')).body as { count: number }).count;
    for (let i = owned; i < MAX_APPS_PER_USER; i++) await created(olivia.post('/v2/apps/', { id: `o${i}` }));
    const message = `You own ${MAX_APPS_PER_USER} apps, the most a user may own; destroy one before creating another.`;
    await refused(() => olivia.post('/v2/apps/', { id: 'one-more' }), { detail: message });
    // A random name is no way around it, and neither is a gift.
    await refused(() => olivia.post('/v2/apps/', {}), { detail: message });
    await created(sam.post('/v2/apps/', { id: 'gift' }));
    await refused(() => sam.post('/v2/apps/gift/', { owner: 'olivia' }), {
      detail: `olivia owns ${MAX_APPS_PER_USER} apps, the most a user may own; they must destroy one first.`,
    });
    expect((await olivia.delete(`/v2/apps/o${MAX_APPS_PER_USER - 1}/`)).status).toBe(204);
    await created(olivia.post('/v2/apps/', { id: 'one-more' }));
  });

  it(`stops at ${MAX_APPS} in all, administrators included`, async () => {
    const count = () =>
      (t.core.controller.store.db.prepare('SELECT COUNT(*) AS n FROM apps').get() as { n: number }).n;
    for (let i = count(); i < MAX_APPS; i++) await created(admin.post('/v2/apps/', { id: `a${i}` }));
    const message = `This Deis has ${MAX_APPS} apps, the most it allows; destroy an app before creating another.`;
    await refused(() => admin.post('/v2/apps/', { id: 'one-more-admin' }), { detail: message });
    await refused(() => sam.post('/v2/apps/', { id: 'one-more-sam' }), { detail: message });
  }, 60_000);
});
