/**
 * Issue 8, class 3 through the real router: an ordinary user tries to take the admin app's
 * visitors with a domain (its default name in several spellings, its custom domain, wildcards
 * over them and the platform's wildcard). Every attempt is refused, and the router still sends the
 * admin app's visitors to the admin app while the user's own names reach the user's app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, type TestCore } from '../support/core';
import { dockerAvailable } from '../support/images';
import {
  buildFixture,
  instanceName,
  pushBuild,
  removeImage,
  removeInstance,
  startDockerCore,
  viaRouter,
} from '../support/run-stage';

const hasDocker = await dockerAvailable();
if (!hasDocker) console.warn('domains-router tests skipped: no Docker engine answers (start dockerd).');

const instance = instanceName('domains');

describe.skipIf(!hasDocker)("another app's traffic, through the router", () => {
  let t: TestCore;
  let admin: Api;
  let mallory: Api;
  let port: number;
  const built: Awaited<ReturnType<typeof buildFixture>>[] = [];
  const greeting = async (host: string) => {
    const r = await viaRouter(port, host);
    return r.status === 200 ? r.body.split(' from ')[0] : `${r.status}`;
  };

  beforeAll(async () => {
    built.push(await buildFixture('adminapp', 'run-app'), await buildFixture('mallapp', 'run-app'));
    t = await startDockerCore(instance);
    port = t.core.target.routerPort;
    admin = await new Api(t.url).register('admin');
    mallory = await new Api(t.url).register('mallory', 'pw', admin);
    for (const [api, app, who] of [
      [admin, 'adminapp', 'admin'],
      [mallory, 'mallapp', 'mallory'],
    ] as const) {
      expect((await api.post('/v2/apps/', { id: app })).status).toBe(201);
      const config = { values: { GREETING: who, KUBERNETES_POD_TERMINATION_GRACE_PERIOD_SECONDS: '2' } };
      expect((await api.post(`/v2/apps/${app}/config/`, config)).status).toBe(201);
    }
    // The admin releases both images (a user may not release a local image built elsewhere).
    for (const [i, app] of ['adminapp', 'mallapp'].entries()) {
      const r = await pushBuild(admin, app, built[i]!);
      expect(r.status, r.text).toBe(201);
    }
    expect((await admin.post('/v2/apps/adminapp/domains/', { domain: 'shop.example.com' })).status).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await t?.stop();
    await removeInstance(instance);
    for (const b of built) await removeImage(b.image);
  });

  it('serves each app at its own names before anything is tried', async () => {
    expect(await greeting('adminapp.localhost')).toBe('admin');
    expect(await greeting('shop.example.com')).toBe('admin');
    expect(await greeting('mallapp.localhost')).toBe('mallory');
  });

  it("refuses every name that would take the admin app's visitors, and they still reach it", async () => {
    const attempts = [
      'adminapp.localhost',
      'AdminApp.LocalHost.',
      'adminapp',
      'www.adminapp.localhost',
      '*.adminapp.localhost',
      '*.localhost',
      'shop.example.com',
      'SHOP.example.com.',
      '*.example.com',
      '*.com',
    ];
    const answers: string[] = [];
    for (const domain of attempts) {
      const r = await mallory.post('/v2/apps/mallapp/domains/', { domain });
      answers.push(`${domain} → ${r.status}`);
    }
    // What the visitors notice first, then what the user was told.
    for (const host of [
      'adminapp.localhost',
      'ADMINAPP.localhost',
      'adminapp.localhost.',
      'shop.example.com',
    ])
      expect(await greeting(host), host).toBe('admin');
    expect(answers).toEqual(attempts.map((d) => `${d} → 400`));
    const mine = ((await mallory.get('/v2/apps/mallapp/domains/')).body as { results: { domain: string }[] })
      .results;
    expect(mine.map((d) => d.domain)).toEqual(['mallapp']);
    // Names nobody has stay unrouted rather than going to whoever asked for them.
    expect(await greeting('www.adminapp.localhost')).toBe('404');
    expect(await greeting('other.localhost')).toBe('404');
  });

  it("routes the user's own names to the user's app, and the admin's to the admin's", async () => {
    for (const domain of ['www.mallapp.localhost', '*.preview.mallapp.localhost', 'mallory.example.org'])
      expect((await mallory.post('/v2/apps/mallapp/domains/', { domain })).status).toBe(201);
    expect(await greeting('www.mallapp.localhost')).toBe('mallory');
    expect(await greeting('pr-1.preview.mallapp.localhost')).toBe('mallory');
    expect(await greeting('mallory.example.org')).toBe('mallory');
    expect(await greeting('adminapp.localhost')).toBe('admin');
  });
});
