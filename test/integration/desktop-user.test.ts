/** The desktop app's own admin account: made once, its token in a 0600 file, a CLI profile of its own. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDesktopUser } from '../../main/desktop-user';
import { Api, startTestCore, type TestCore } from '../support/core';

let t: TestCore | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('the desktop user', () => {
  it('is an administrator whose token the shell can read, and stays the same across starts', async () => {
    t = await startTestCore();
    const first = await ensureDesktopUser(t.core.controller, t.home, t.url);
    expect(fs.statSync(first.tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(first.cliProfile).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(first.tokenFile, 'utf8').trim();
    const me = await new Api(t.url, token).get('/v2/auth/whoami/');
    expect(me.body).toMatchObject({ username: 'desktop', is_superuser: true });
    expect((await ensureDesktopUser(t.core.controller, t.home, t.url)).token).toBe(token);

    const profile = JSON.parse(fs.readFileSync(first.cliProfile, 'utf8')) as Record<string, unknown>;
    expect(profile).toMatchObject({ controller: t.url, token, username: 'desktop' });
    expect(path.dirname(first.cliProfile)).toBe(t.home);
  });

  it('is made an administrator too when someone registered first', async () => {
    t = await startTestCore();
    const admin = await new Api(t.url).register('alice');
    await ensureDesktopUser(t.core.controller, t.home, t.url);
    const users = (await admin.get('/v2/users/')).body as {
      results: { username: string; is_superuser: boolean }[];
    };
    expect(users.results.find((u) => u.username === 'desktop')?.is_superuser).toBe(true);
    expect(users.results.find((u) => u.username === 'alice')?.is_superuser).toBe(true);
  });
});
