/**
 * Property: whatever a client sends — malformed or random bodies, paths and query strings — every
 * endpoint answers without a 5xx; a rejection is a 4xx with a Deis-shaped body and the store is
 * exactly as it was before the request. Every request is sent twice: as the app's owner, and as a
 * second, non-admin user who has no part in the app (who must be refused the same clean way).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';
import { ENDPOINTS } from '../support/endpoints';
import { Cast, fill } from '../support/fixture';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let cast: Cast;
let n = 0;
beforeAll(async () => {
  t = await startTestCore();
  cast = await Cast.create(t.url);
}, 60_000);
afterAll(() => t.stop());

/** Deis bodies: `{"detail": "..."}`, `{"field": ["..."]}` or a bare JSON string (Http404). */
function isDeisShaped(text: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof body === 'string') return body.length > 0;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const entries = Object.entries(body);
  if (entries.length === 0) return false;
  if ('detail' in body) return typeof (body as { detail: unknown }).detail === 'string';
  return entries.every(([, v]) => Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string'));
}

const FIELDS = [
  'id',
  'owner',
  'username',
  'password',
  'new_password',
  'email',
  'values',
  'memory',
  'cpu',
  'tags',
]
  .concat([
    'registry',
    'healthcheck',
    'image',
    'procfile',
    'version',
    'domain',
    'public',
    'name',
    'certificate',
  ])
  .concat(['key', 'maintenance', 'routable', 'autoscale', 'label', 'addresses', 'https_enforced', 'all']);

const jsonLeaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '*',
    'web',
    'PORT',
    '-1',
    '99999',
    '1.2.3.4/99',
    'ssh-rsa !!!',
    '-----BEGIN',
  ),
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    jsonLeaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Bodies: random JSON, objects with the API's field names, raw non-JSON text. */
const body = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom(...FIELDS), jsonValue, { maxKeys: 4 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.constantFrom(...FIELDS), fc.dictionary(fc.string(), jsonLeaf, { maxKeys: 3 }), {
      maxKeys: 2,
    })
    .map((v) => JSON.stringify(v)),
  fc.string(),
);

const segment = fc.oneof(
  fc.string({ minLength: 1 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('..', '%', '%zz', 'UPPER', 'a'.repeat(300), 'v0', 'v-1', 'v999999999999999999999', '', '-'),
);
const query = fc
  .record({ limit: fc.option(fc.string()), offset: fc.option(fc.string()) })
  .map(({ limit, offset }) => {
    const q = new URLSearchParams();
    if (limit !== null) q.set('limit', limit);
    if (offset !== null) q.set('offset', offset);
    const s = q.toString();
    return s ? `?${s}` : '';
  });

describe('the API under random input', () => {
  it.each(ENDPOINTS)('$method $path', async (e) => {
    // A fresh app and objects per endpoint: a successful DELETE must not starve the next ones.
    const vars = await cast.makeCase(++n);
    const placeholders = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.array(fc.option(segment, { freq: 2 }), {
          minLength: placeholders.length,
          maxLength: placeholders.length,
        }),
        query,
        async (rawBody, segments, q) => {
          // Each placeholder keeps its real value (null) or gets a random segment.
          const pathVars = { ...vars };
          placeholders.forEach((p, i) => {
            if (segments[i] !== null && segments[i] !== undefined) pathVars[p] = segments[i];
          });
          const path = fill(e.path, pathVars) + q;
          for (const role of ['owner', 'stranger'] as const) {
            const what = `${role}: ${e.method} ${path} ${rawBody}`;
            const before = snapshot(t.core.controller.store);
            const r = await cast.clients[role].call(e.method, path, e.method === 'GET' ? undefined : rawBody);
            expect(r.status, `${what} → ${r.text}`).toBeLessThan(500);
            if (r.status >= 400) {
              expect(isDeisShaped(r.text), `${what} → ${r.status} ${r.text}`).toBe(true);
              expect(snapshot(t.core.controller.store), `${what} changed the store`).toBe(before);
            }
            if (e.path.startsWith('/v2/auth/tokens')) await cast.relogin(role);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
