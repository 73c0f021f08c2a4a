import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let admin: Api;
let owner: Api;
let collab: Api;
let stranger: Api;

const rows = (table: string) =>
  (t.core.controller.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Asserts that a request was refused with `status` and `body` and left `tables` as they were. */
async function refused(
  req: Promise<{ status: number; body: unknown }>,
  status: number,
  body: unknown,
  tables: string[],
) {
  const before = tables.map(rows);
  const r = await req;
  expect([r.status, r.body]).toEqual([status, body]);
  expect(tables.map(rows)).toEqual(before);
}

beforeAll(async () => {
  t = await startTestCore();
  const api = new Api(t.url);
  admin = await api.register('admin');
  owner = await api.register('olivia', 'pw', admin);
  collab = await api.register('carl', 'pw', admin);
  stranger = await api.register('sam', 'pw', admin);
  await api.register('dana', 'pw', admin);
  expect((await owner.post('/v2/apps/', { id: 'shop' })).status).toBe(201);
});
afterAll(() => t.stop());

describe('perms (collaborators)', () => {
  it('starts with no collaborators; the owner is never listed', async () => {
    expect((await owner.get('/v2/apps/shop/perms/')).body).toEqual({ users: [] });
  });

  it('lets the owner and admins share the app (201), idempotently', async () => {
    expect((await owner.post('/v2/apps/shop/perms/', { username: 'carl' })).status).toBe(201);
    expect((await admin.post('/v2/apps/shop/perms', { username: 'dana' })).status).toBe(201);
    expect((await owner.post('/v2/apps/shop/perms/', { username: 'carl' })).status).toBe(201);
    expect((await owner.post('/v2/apps/shop/perms/', { username: 'olivia' })).status).toBe(201);
    expect((await collab.get('/v2/apps/shop/perms/')).body).toEqual({ users: ['carl', 'dana'] });
  });

  it('gives collaborators access to the app and lists it for them', async () => {
    expect((await collab.get('/v2/apps/shop/')).status).toBe(200);
    expect((await collab.get('/v2/apps/')).body).toMatchObject({ count: 1, results: [{ id: 'shop' }] });
  });

  it('refuses sharing by collaborators and strangers, and with unknown users or apps', async () => {
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    await refused(collab.post('/v2/apps/shop/perms/', { username: 'sam' }), 403, forbidden, ['app_perms']);
    await refused(stranger.post('/v2/apps/shop/perms/', { username: 'sam' }), 403, forbidden, ['app_perms']);
    await refused(stranger.get('/v2/apps/shop/perms/'), 403, forbidden, ['app_perms']);
    await refused(
      owner.post('/v2/apps/shop/perms/', { username: 'nobody' }),
      404,
      'No User matches the given query.',
      ['app_perms'],
    );
    await refused(
      owner.post('/v2/apps/nope/perms/', { username: 'sam' }),
      404,
      'No App matches the given query.',
      ['app_perms'],
    );
    await refused(owner.post('/v2/apps/shop/perms/', {}), 400, { username: ['This field is required.'] }, [
      'app_perms',
    ]);
  });

  it('refuses removals that Deis refuses', async () => {
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    // carl may not remove dana, and nobody can remove a user who is not a collaborator.
    await refused(collab.delete('/v2/apps/shop/perms/dana'), 403, forbidden, ['app_perms']);
    await refused(owner.delete('/v2/apps/shop/perms/sam'), 403, forbidden, ['app_perms']);
    await refused(stranger.delete('/v2/apps/shop/perms/carl'), 403, forbidden, ['app_perms']);
    await refused(owner.delete('/v2/apps/shop/perms/nobody'), 404, 'No User matches the given query.', [
      'app_perms',
    ]);
    await refused(owner.delete('/v2/apps/nope/perms/carl'), 404, 'No App matches the given query.', [
      'app_perms',
    ]);
  });

  it('lets a collaborator leave, and the owner remove one (204)', async () => {
    expect((await collab.delete('/v2/apps/shop/perms/carl')).status).toBe(204);
    expect((await collab.get('/v2/apps/shop/')).status).toBe(403);
    expect((await owner.delete('/v2/apps/shop/perms/dana/')).status).toBe(204);
    expect((await owner.get('/v2/apps/shop/perms/')).body).toEqual({ users: [] });
    expect((await owner.post('/v2/apps/shop/perms/', { username: 'carl' })).status).toBe(201);
  });
});

describe('settings', () => {
  it('starts with Deis defaults', async () => {
    const r = await owner.get('/v2/apps/shop/settings/');
    expect(r.status).toBe(200);
    const s = r.body as Record<string, unknown>;
    expect(Object.keys(s).sort()).toEqual(
      [
        'app',
        'autoscale',
        'created',
        'label',
        'maintenance',
        'owner',
        'routable',
        'updated',
        'uuid',
        'whitelist',
      ].sort(),
    );
    expect(s).toMatchObject({
      app: 'shop',
      owner: 'olivia',
      maintenance: false,
      routable: true,
      whitelist: [],
      autoscale: {},
      label: {},
    });
  });

  it('changes maintenance and routable (201), recording who changed them', async () => {
    const before = (await owner.get('/v2/apps/shop/settings/')).body as { uuid: string };
    const r = await collab.post('/v2/apps/shop/settings/', { maintenance: true });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ maintenance: true, routable: true, owner: 'carl' });
    expect((r.body as { uuid: string }).uuid).not.toBe(before.uuid);
    expect((await owner.post('/v2/apps/shop/settings', { routable: false })).body).toMatchObject({
      maintenance: true,
      routable: false,
    });
    expect((await owner.get('/v2/apps/shop/settings/')).body).toMatchObject({
      maintenance: true,
      routable: false,
    });
  });

  it('answers 409 when nothing would change', async () => {
    await refused(
      owner.post('/v2/apps/shop/settings/', { maintenance: true }),
      409,
      { detail: 'olivia changed nothing' },
      ['app_settings'],
    );
    await refused(collab.post('/v2/apps/shop/settings/', {}), 409, { detail: 'carl changed nothing' }, [
      'app_settings',
    ]);
  });

  it('merges autoscale per process type; null removes one; removing a missing one is 422', async () => {
    const web = { min: 1, max: 3, cpu_percent: 50 };
    const worker = { min: 2, max: 4, cpu_percent: 80 };
    expect((await owner.post('/v2/apps/shop/settings/', { autoscale: { web } })).body).toMatchObject({
      autoscale: { web },
    });
    expect((await owner.post('/v2/apps/shop/settings/', { autoscale: { worker } })).body).toMatchObject({
      autoscale: { web, worker },
    });
    await refused(
      owner.post('/v2/apps/shop/settings/', { autoscale: { web: { cpu_percent: 50, max: 3, min: 1 } } }),
      409,
      { detail: 'olivia changed nothing' },
      ['app_settings'],
    );
    expect((await owner.post('/v2/apps/shop/settings/', { autoscale: { web: null } })).body).toMatchObject({
      autoscale: { worker },
    });
    await refused(
      owner.post('/v2/apps/shop/settings/', { autoscale: { web: null } }),
      422,
      {
        detail: 'web does not exist under autoscale',
      },
      ['app_settings'],
    );
    await refused(
      owner.post('/v2/apps/shop/settings/', { autoscale: { web: { min: 1 } } }),
      400,
      {
        autoscale: ["could not validate web: 'max' is a required property"],
      },
      ['app_settings'],
    );
  });

  it('merges labels the same way', async () => {
    expect(
      (await owner.post('/v2/apps/shop/settings/', { label: { team: 'web', tier: 'gold' } })).body,
    ).toMatchObject({
      label: { team: 'web', tier: 'gold' },
    });
    expect(
      (await owner.post('/v2/apps/shop/settings/', { label: { tier: null, env: 'prod' } })).body,
    ).toMatchObject({
      label: { team: 'web', env: 'prod' },
    });
    await refused(
      owner.post('/v2/apps/shop/settings/', { label: { nope: null } }),
      422,
      {
        detail: 'nope does not exist under label',
      },
      ['app_settings'],
    );
  });

  it('refuses bad input without changing anything, and strangers with 403', async () => {
    const all = ['app_settings'];
    await refused(
      owner.post('/v2/apps/shop/settings/', { maintenance: 'perhaps' }),
      400,
      {
        maintenance: ['"perhaps" is not a valid boolean.'],
      },
      all,
    );
    // A valid part does not slip through when another part is rejected.
    await refused(
      owner.post('/v2/apps/shop/settings/', { maintenance: false, label: { missing: null } }),
      422,
      {
        detail: 'missing does not exist under label',
      },
      all,
    );
    expect((await owner.get('/v2/apps/shop/settings/')).body).toMatchObject({ maintenance: true });
    await refused(
      stranger.post('/v2/apps/shop/settings/', { maintenance: false }),
      403,
      {
        detail: 'You do not have permission to perform this action.',
      },
      all,
    );
    await refused(
      owner.post('/v2/apps/nope/settings/', { maintenance: false }),
      404,
      'No App matches the given query.',
      all,
    );
  });
});

describe('whitelist', () => {
  it('starts empty and adds addresses as a union (201)', async () => {
    expect((await owner.get('/v2/apps/shop/whitelist/')).body).toEqual({ addresses: [] });
    const r = await owner.post('/v2/apps/shop/whitelist/', { addresses: ['10.0.0.0/8', '1.2.3.4'] });
    expect([r.status, r.body]).toEqual([201, { addresses: ['10.0.0.0/8', '1.2.3.4'] }]);
    expect((await collab.post('/v2/apps/shop/whitelist', { addresses: ['1.2.3.4', '::1'] })).body).toEqual({
      addresses: ['10.0.0.0/8', '1.2.3.4', '::1'],
    });
    expect((await owner.get('/v2/apps/shop/settings/')).body).toMatchObject({
      whitelist: ['10.0.0.0/8', '1.2.3.4', '::1'],
    });
  });

  it('refuses invalid addresses, no-op additions and unknown removals, changing nothing', async () => {
    const all = ['app_settings'];
    await refused(
      owner.post('/v2/apps/shop/whitelist/', { addresses: ['1.2.3.4', 'not-an-ip'] }),
      400,
      {
        addresses: ['The address not-an-ip is not valid'],
      },
      all,
    );
    await refused(
      owner.post('/v2/apps/shop/whitelist/', {}),
      400,
      { addresses: ['This field is required.'] },
      all,
    );
    await refused(
      owner.post('/v2/apps/shop/whitelist/', { addresses: ['1.2.3.4'] }),
      409,
      {
        detail: 'olivia changed nothing',
      },
      all,
    );
    await refused(
      owner.delete('/v2/apps/shop/whitelist/', { addresses: ['1.2.3.4', '5.6.7.8'] }),
      422,
      {
        detail: "addresses {'5.6.7.8'} does not exist in whitelist",
      },
      all,
    );
    await refused(
      stranger.get('/v2/apps/shop/whitelist/'),
      403,
      {
        detail: 'You do not have permission to perform this action.',
      },
      all,
    );
  });

  it('removes addresses (204); collaborators may not', async () => {
    expect((await collab.delete('/v2/apps/shop/whitelist/', { addresses: ['::1'] })).status).toBe(403);
    expect((await owner.delete('/v2/apps/shop/whitelist/', { addresses: ['::1', '1.2.3.4'] })).status).toBe(
      204,
    );
    expect((await owner.get('/v2/apps/shop/whitelist/')).body).toEqual({ addresses: ['10.0.0.0/8'] });
  });
});

describe('tls', () => {
  it('starts unset and enforces HTTPS on request (201)', async () => {
    const first = await owner.get('/v2/apps/shop/tls/');
    expect(first.status).toBe(200);
    const tls = first.body as Record<string, unknown>;
    expect(Object.keys(tls).sort()).toEqual(['app', 'created', 'https_enforced', 'owner', 'updated', 'uuid']);
    expect(tls).toMatchObject({ app: 'shop', owner: 'olivia', https_enforced: null });
    const r = await collab.post('/v2/apps/shop/tls/', { https_enforced: true });
    expect([r.status, (r.body as { https_enforced: boolean }).https_enforced]).toEqual([201, true]);
    expect((await owner.get('/v2/apps/shop/tls')).body).toMatchObject({
      https_enforced: true,
      owner: 'carl',
    });
  });

  it('answers 409 when unchanged, 400 for a non-boolean, 403 for strangers', async () => {
    await refused(
      owner.post('/v2/apps/shop/tls/', { https_enforced: true }),
      409,
      { detail: 'olivia changed nothing' },
      ['tls'],
    );
    await refused(
      owner.post('/v2/apps/shop/tls/', { https_enforced: 'sure' }),
      400,
      {
        https_enforced: ['"sure" is not a valid boolean.'],
      },
      ['tls'],
    );
    await refused(
      stranger.post('/v2/apps/shop/tls/', { https_enforced: false }),
      403,
      {
        detail: 'You do not have permission to perform this action.',
      },
      ['tls'],
    );
    expect((await owner.post('/v2/apps/shop/tls/', { https_enforced: false })).body).toMatchObject({
      https_enforced: false,
    });
  });
});
