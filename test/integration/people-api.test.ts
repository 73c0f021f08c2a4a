/**
 * What the People screens rely on in the API: the last administrator cannot be unmade or deleted, a user who
 * still owns apps is not removed (409, the apps stay), SSH keys are bounded in size and number with
 * a sentence to act on, and a task says who started it and which release it cut (its notification
 * goes to that user and names the release), also once it is kept in the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '../../main/contract/tasks';
import { MAX_KEYS_PER_USER, MAX_PUBLIC_KEY_CHARS } from '../../main/contract/limits';
import { quickEd25519Key } from '../support/certs';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let admin: Api;
let alice: Api;
beforeAll(async () => {
  t = await startTestCore();
  admin = await new Api(t.url).register('admin');
  alice = await new Api(t.url).register('alice', 'secret-pw', admin);
});
afterAll(() => t.stop());

// Not ssh2's generateKeyPairSync: about one ed25519 key in 256 it makes has a 31-byte point, which no parser takes.
const publicKey = (comment: string) => quickEd25519Key(comment);

describe('administrators', () => {
  it('refuses to unmake or delete the last administrator, and unmakes one of two', async () => {
    const alone = await admin.delete('/v2/admin/perms/admin/');
    expect(alone.status).toBe(409);
    expect(alone.body).toEqual({
      detail: 'admin is the only administrator; make another user an administrator first.',
    });
    expect(((await admin.get('/v2/auth/whoami/')).body as { is_superuser: boolean }).is_superuser).toBe(true);
    // Nor can the last administrator delete their own account.
    const gone = await admin.delete('/v2/auth/cancel/');
    expect(gone.status).toBe(409);
    expect(gone.body).toEqual({
      detail: 'admin is the only administrator; make another user an administrator first.',
    });
    expect((await admin.get('/v2/auth/whoami/')).status).toBe(200);

    expect((await admin.post('/v2/admin/perms/', { username: 'alice' })).status).toBe(201);
    expect((await admin.delete('/v2/admin/perms/alice/')).status).toBe(204);
    expect(((await alice.get('/v2/auth/whoami/')).body as { is_superuser: boolean }).is_superuser).toBe(
      false,
    );
  });

  it('keeps a user who still owns an app, with the sentence saying what to do', async () => {
    expect((await alice.post('/v2/apps/', { id: 'alices-app' })).status).toBe(201);
    const refused = await admin.delete('/v2/auth/cancel/', { username: 'alice' });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      detail: 'alice still has applications assigned. Delete or transfer ownership',
    });
    expect((await alice.get('/v2/apps/alices-app/')).status).toBe(200);
  });
});

describe('SSH keys', () => {
  it('refuses a key longer than MAX_PUBLIC_KEY_CHARS before looking at it', async () => {
    const huge = `ssh-ed25519 ${'A'.repeat(MAX_PUBLIC_KEY_CHARS)} big`;
    const r = await alice.post('/v2/keys/', { id: 'huge', public: huge });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      public: [`Ensure this field has no more than ${MAX_PUBLIC_KEY_CHARS} characters.`],
    });
    expect(((await alice.get('/v2/keys/')).body as { count: number }).count).toBe(0);
  });

  it(`refuses a user's key past MAX_KEYS_PER_USER (${MAX_KEYS_PER_USER}), and takes one again after a removal`, async () => {
    for (let i = 0; i < MAX_KEYS_PER_USER; i++) {
      const r = await alice.post('/v2/keys/', { id: `k${i}`, public: publicKey(`k${i}`) });
      expect(r.status, r.text).toBe(201);
    }
    const over = await alice.post('/v2/keys/', { id: 'one-more', public: publicKey('one-more') });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      detail: `You have ${MAX_KEYS_PER_USER} SSH keys, the most one user may have; remove one you no longer use before adding another.`,
    });
    expect((await alice.delete('/v2/keys/k0')).status).toBe(204);
    expect((await alice.post('/v2/keys/', { id: 'one-more', public: publicKey('one-more') })).status).toBe(
      201,
    );
    // Another user's count is their own.
    expect((await admin.post('/v2/keys/', { id: 'mine', public: publicKey('mine') })).status).toBe(201);
  }, 60_000);
});

describe('tasks', () => {
  it('say who started them and which release they cut, live and once kept', async () => {
    const handle = t.core.controller.tasks.start(
      'build',
      'Build of alices-app at 1234567',
      'alices-app',
      'alice',
    );
    expect(((await alice.get(`/v2/desktop/tasks/${handle.id}/`)).body as Task).user).toBe('alice');
    handle.cut(3);
    handle.fail('the web process crashed');
    const kept = (await alice.get(`/v2/desktop/tasks/${handle.id}/`)).body as Task;
    expect(kept).toMatchObject({ user: 'alice', release: 3, state: 'failed' });
    const listed = (await alice.get('/v2/desktop/tasks/?app=alices-app')).body as { results: Task[] };
    expect(listed.results[0]).toMatchObject({ id: handle.id, user: 'alice', release: 3 });
    // The core's own work names nobody.
    const own = t.core.controller.tasks.start('stack', 'Preparing the stack image');
    own.succeed();
    expect(((await admin.get(`/v2/desktop/tasks/${own.id}/`)).body as Task).user).toBeNull();
  });
});
