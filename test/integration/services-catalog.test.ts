/**
 * The services catalog as a client sees it (`GET /v2/services/catalog/`): each kind with its versions,
 * its variable, and whether it can be backed up and restored, so the UI offers only what works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogKind } from '../../main/contract/services';
import type { Paginated } from '../../main/contract/objects';
import { Api, startTestCore, type TestCore } from '../support/core';

describe('the services catalog', () => {
  let t: TestCore;
  let api: Api;
  beforeAll(async () => {
    t = await startTestCore();
    api = await new Api(t.url).register('admin');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('says which kinds can be backed up and restored', async () => {
    const r = await api.get('/v2/services/catalog/');
    expect(r.status).toBe(200);
    const kinds = Object.fromEntries((r.body as Paginated<CatalogKind>).results.map((k) => [k.kind, k]));
    expect(kinds.postgres).toMatchObject({
      title: 'PostgreSQL',
      env_var: 'DATABASE_URL',
      backup: true,
      restore: true,
    });
    expect(kinds.mariadb).toMatchObject({ backup: true, restore: true });
    // Redis restores its RDB backups; Memcached keeps no data; a queue's messages are not a backup.
    expect(kinds.redis).toMatchObject({ env_var: 'REDIS_URL', backup: true, restore: true });
    expect(kinds.memcached).toMatchObject({ backup: false, restore: false });
    expect(kinds.rabbitmq).toMatchObject({ env_var: 'RABBITMQ_URL', backup: false, restore: false });
    expect(kinds.s3).toMatchObject({ env_var: 'S3_URL', backup: false, restore: false });
    expect(kinds.postgres!.versions.length).toBeGreaterThan(0);
  });

  it('is only for signed-in users', async () => {
    expect((await new Api(t.url).get('/v2/services/catalog/')).status).toBe(401);
  });
});
