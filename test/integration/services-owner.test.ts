/**
 * Deleting a user who owns backing services is refused, naming them: their data and containers are
 * neither orphaned (the rows would go with the user, the containers would run on) nor handed to
 * someone else without a word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';

describe('a user who owns services', () => {
  let t: TestCore;
  let admin: Api;
  beforeAll(async () => {
    t = await startTestCore();
    admin = await new Api(t.url).register('admin');
    await new Api(t.url).register('carol', 'carol-pw', admin);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('cannot be deleted until the services are destroyed, and the message names them', async () => {
    // A service as the store keeps it (the fake target runs none).
    const db = t.core.controller.store.db;
    const add = db.prepare(
      "INSERT INTO services (uuid, name, kind, version, owner_id, state, secret, created, updated) SELECT ?, ?, 'redis', '7', id, 'failed', '', '', '' FROM users WHERE username = 'carol'",
    );
    add.run('carol-1', 'carol-cache');
    add.run('carol-2', 'carol-db');
    const refused = await admin.delete('/v2/auth/cancel/', { username: 'carol' });
    expect(refused.status).toBe(409);
    expect((refused.body as { detail: string }).detail).toBe(
      'carol still owns the backing services carol-cache, carol-db; destroy them first (deis services:destroy carol-cache --confirm carol-cache).',
    );
    expect(
      (db.prepare("SELECT COUNT(*) AS n FROM services WHERE name LIKE 'carol-%'").get() as { n: number }).n,
    ).toBe(2);
    expect((await admin.get('/v2/users/')).text).toContain('carol');

    db.prepare("DELETE FROM services WHERE uuid LIKE 'carol-%'").run();
    expect((await admin.delete('/v2/auth/cancel/', { username: 'carol' })).status).toBe(204);
  });
});
