/**
 * Every endpoint × {no token, another user, collaborator, owner, admin}: each gets the status the
 * Deis reference gives (collaborators cannot DELETE; only admins manage users), on a fresh fixture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';
import { ENDPOINTS, type Endpoint } from '../support/endpoints';
import { Cast, casePath, fill, ROLES, type Role } from '../support/fixture';

let t: TestCore;
let cast: Cast;
let n = 0;
beforeAll(async () => {
  t = await startTestCore();
  cast = await Cast.create(t.url);
}, 60_000);
afterAll(() => t.stop());

/** 'allow' means any 2xx. */
function expected(e: Endpoint, role: Role): 'allow' | number {
  if (role === 'anonymous') return e.anonymous ?? (e.scope === 'public' ? 'allow' : 401);
  const exception = e.roles?.[role];
  if (exception !== undefined) return exception;
  switch (e.scope) {
    case 'public':
    case 'self':
      return 'allow';
    case 'admin':
      return role === 'admin' ? 'allow' : 403;
    case 'app':
      if (role === 'owner' || role === 'admin') return 'allow';
      if (role === 'collaborator') return e.method === 'DELETE' ? 403 : 'allow';
      return 403;
    case 'app-owner':
      return role === 'owner' || role === 'admin' ? 'allow' : 403;
    case 'own':
      // Keys and certificates are looked up among the caller's own (as in Deis): others get 404.
      return role === 'owner' ? 'allow' : 404;
  }
}

describe.each(ENDPOINTS)('$method $path', (e) => {
  it.each(ROLES)('as %s', async (role) => {
    const vars = await cast.makeCase(++n);
    const client = cast.clients[role];
    const r = await client.call(e.method, casePath(e, vars), e.body ? fill(e.body, vars) : undefined);
    const want = expected(e, role);
    if (want === 'allow') expect(r.status, r.text).toBeGreaterThanOrEqual(200);
    if (want === 'allow') expect(r.status, r.text).toBeLessThan(300);
    else expect(r.status, r.text).toBe(want);
    if (e.path.startsWith('/v2/auth/tokens')) await cast.relogin(role);
  });
});
