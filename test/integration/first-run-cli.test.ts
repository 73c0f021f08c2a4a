/**
 * The README's order of steps on a first run: the administrator is created in the UI, then a second
 * `deis register` is refused — and says what to do (log in as the administrator, or open
 * registration), in our CLI and in the API's detail, which the UI and curl show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, startTestCore, type TestCore } from '../support/core';
import { CliUser } from '../support/cli';

describe('registering after the administrator exists', () => {
  let t: TestCore;

  beforeAll(async () => {
    t = await startTestCore();
    // The UI's first-run form registers the administrator through the same endpoint.
    await new Api(t.url).register('admin');
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('tells the CLI user to log in as the administrator or set DEIS_REGISTRATION_MODE', async () => {
    const user = new CliUser();
    const r = await user.run([
      'register',
      t.url,
      '--username=bob',
      '--password=pw-of-bob',
      '--email=b@example.com',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Registration failed: Error: You do not have permission to perform this action. ' +
        'Only an administrator may register users here: log in as the administrator (deis login <controller URL>) ' +
        'and run deis register from there, or start Deis Desktop with DEIS_REGISTRATION_MODE=enabled to let anyone register.\n',
    );
    // Logged in as the administrator, the same command registers bob.
    expect((await user.run(['login', t.url, '--username=admin', '--password=secret-pw'])).code).toBe(0);
    const again = await user.run([
      'register',
      t.url,
      '--username=bob',
      '--password=pw-of-bob',
      '--email=b@example.com',
      '--login=false',
    ]);
    expect(again, again.stderr).toMatchObject({ code: 0, stdout: 'Registered bob\n' });
  });

  it('puts the hint in the 403 detail too, for the UI and other clients', async () => {
    const r = await new Api(t.url).post('/v2/auth/register/', {
      username: 'carol',
      password: 'pw-of-carol',
      email: 'c@example.com',
    });
    expect(r.status).toBe(403);
    expect((r.body as { detail: string }).detail).toMatch(
      /^You do not have permission to perform this action\. .*deis login .*DEIS_REGISTRATION_MODE=enabled/,
    );
  });
});
