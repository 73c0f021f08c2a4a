/**
 * Sign-ins cannot stall the core or tell who has an account: password hashing runs off the event loop,
 * a few at a time, with a clear 429 beyond what may wait; an unknown username costs the same work and
 * gets the same answer as a wrong password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD_HASHES_WAITING } from '../../main/contract/limits';
import { Api, startTestCore, type TestCore } from '../support/core';
import { counts, flood, type FloodReply } from '../support/flood';
import { PROBE_LIMIT_MS, whileProbing } from '../support/responsive';
import { snapshot } from '../support/snapshot';

let t: TestCore;
let anonymous: Api;
beforeAll(async () => {
  t = await startTestCore();
  anonymous = new Api(t.url);
  await anonymous.register('alice', 'right-password');
});
afterAll(() => t.stop());

const WRONG = { non_field_errors: ['Unable to log in with provided credentials.'] };
const BUSY = { detail: 'The core is checking too many passwords at once; try again in a moment.' };
/** The 60 wrong logins and more: more than can be hashed or wait at once, so some are turned away. */
const BURST = 80;

const login = (username: string, password: string) =>
  anonymous.post('/v2/auth/login/', { username, password });

/** Each reply is the wrong-credentials 400 or the busy 429; counts of each. */
function tally(replies: FloodReply[]): Record<string, number> {
  for (const r of replies) {
    const body: unknown = JSON.parse(r.text);
    if (r.status === 429) expect(body).toEqual(BUSY);
    else expect({ status: r.status, body }).toEqual({ status: 400, body: WRONG });
  }
  return counts(replies);
}

/** BURST logins at once from another process, as an attacker would send them. */
const burst = (username: (i: number) => string) =>
  flood(t.url, {
    method: 'POST',
    path: '/v2/auth/login/',
    headers: { 'Content-Type': 'application/json' },
    bodies: Array.from({ length: BURST }, (_, i) =>
      JSON.stringify({ username: username(i), password: `wrong-${i}` }),
    ),
    count: BURST,
  });

describe('a burst of wrong sign-ins', () => {
  it(`(${BURST} at once) is answered without stalling /healthz, the excess with a 429`, async () => {
    const before = snapshot(t.core.controller.store);
    const [replies, report] = await whileProbing(t.url, () => burst(() => 'alice'));
    const n = tally(replies);
    console.log(`${BURST} wrong logins: ${JSON.stringify(n)}; slowest /healthz ${report.slowestMs} ms`);
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
    expect(n[429]).toBeGreaterThan(0);
    expect(n[400]).toBeGreaterThanOrEqual(PASSWORD_HASHES_WAITING);
    expect(snapshot(t.core.controller.store)).toBe(before);
    // And the right password works again at once.
    expect((await login('alice', 'right-password')).status).toBe(200);
    // The 429 says when to come back.
    const busy = await Promise.all(Array.from({ length: BURST }, (_, i) => login('alice', `again-${i}`)));
    expect(busy.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('1');
  });

  it('of unknown usernames costs the same work: it is throttled just the same', async () => {
    const [replies, report] = await whileProbing(t.url, () => burst((i) => `nobody-${i}`));
    const n = tally(replies);
    console.log(
      `${BURST} logins of unknown users: ${JSON.stringify(n)}; slowest /healthz ${report.slowestMs} ms`,
    );
    expect(n[429]).toBeGreaterThan(0);
    expect(report.slowestMs).toBeLessThan(PROBE_LIMIT_MS);
  });
});

describe('the answer to a wrong sign-in', () => {
  it('is the same for a username that exists and one that does not (the time is measured, not asserted)', async () => {
    const timed = async (username: string) => {
      const started = performance.now();
      const r = await login(username, 'not-the-password');
      return { ms: performance.now() - started, status: r.status, body: r.body };
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 20; i++) {
      // In a random order each time, so neither is always the one that follows the other.
      const knownFirst = Math.random() < 0.5;
      const first = await timed(knownFirst ? 'alice' : `ghost-${i}`);
      const second = await timed(knownFirst ? `ghost-${i}` : 'alice');
      const [k, u] = knownFirst ? [first, second] : [second, first];
      expect({ status: u.status, body: u.body }).toEqual({ status: k.status, body: k.body });
      expect(k).toMatchObject({ status: 400, body: WRONG });
      known.push(k.ms);
      unknown.push(u.ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `wrong password for an existing user: median ${median(known).toFixed(1)} ms; ` +
        `unknown user: median ${median(unknown).toFixed(1)} ms; difference ${(median(known) - median(unknown)).toFixed(1)} ms`,
    );
  });

  it('is the same for a deactivated account', async () => {
    await anonymous.register('bob', 'bobs-password', await loginAs('alice', 'right-password'));
    t.core.controller.store.db.prepare("UPDATE users SET is_active = 0 WHERE username = 'bob'").run();
    const r = await login('bob', 'bobs-password');
    expect({ status: r.status, body: r.body }).toEqual({ status: 400, body: WRONG });
  });
});

async function loginAs(username: string, password: string): Promise<Api> {
  const r = await login(username, password);
  return anonymous.as((r.body as { token: string }).token);
}
