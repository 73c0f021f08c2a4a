import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser } from '../support/cli';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let user: CliUser;
beforeAll(async () => {
  t = await startTestCore();
  user = new CliUser();
});
afterAll(async () => {
  await t.stop();
  user.remove();
});

const settingsFile = (name = 'client') => path.join(user.home, '.deis', `${name}.json`);

describe('deis auth against a real core', () => {
  it('registers the first user as admin, logs them in and writes a private settings file', async () => {
    const r = await user.run([
      'register',
      t.url,
      '--username=admin',
      '--password=pw1',
      '--email=admin@example.com',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `Registered admin\nLogged in as admin\nConfiguration file written to ${settingsFile()}\n`,
    );
    const saved = JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({
      username: 'admin',
      ssl_verify: true,
      controller: t.url,
      response_limit: 0,
    });
    expect(saved.token).toMatch(/^[0-9a-f]{40}$/);
    expect(fs.statSync(settingsFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(settingsFile())).mode & 0o777).toBe(0o700);

    const who = await user.run(['whoami']);
    expect(who).toMatchObject({ code: 0, stdout: `You are admin at ${t.url}\n` });
    const all = await user.run(['auth:whoami', '--all']);
    expect(all.stdout).toContain('Username: admin\nEmail: admin@example.com\n');
    expect(all.stdout).toContain('Is Superuser: true');
  });

  it('lets an admin register someone (prompting, password twice) who then logs in to a profile', async () => {
    // Registration is admin-only after the first user: the admin's saved token goes along.
    const r = await user.run(['register', t.url, '--login=false'], {
      input: 'bob\nbobpw\nbobpw\nbob@example.com\n',
    });
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({
      code: 0,
      stdout: 'username: password: \npassword (confirm): \nemail: Registered bob\n',
    });
    const login = await user.run(['login', t.url, '-c', 'bob'], { input: 'bob\nbobpw\n' });
    expect(login).toMatchObject({
      code: 0,
      stdout: `username: password: \nLogged in as bob\nConfiguration file written to ${settingsFile('bob')}\n`,
    });
    expect((await user.run(['whoami'], { env: { DEIS_PROFILE: 'bob' } })).stdout).toBe(
      `You are bob at ${t.url}\n`,
    );
    // -c wins over DEIS_PROFILE; a path to a .json file is used as is.
    expect((await user.run(['whoami', '-c', 'client'], { env: { DEIS_PROFILE: 'bob' } })).stdout).toContain(
      'admin',
    );
    expect((await user.run(['whoami', `--config=${settingsFile('bob')}`])).stdout).toContain('You are bob');
  });

  it('refuses mismatched passwords, bad credentials and URLs that are not controllers', async () => {
    const mismatch = await user.run(
      ['register', t.url, '-c', 'x', '--username=carl', '--email=c@example.com'],
      {
        input: 'one\ntwo\n',
      },
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe('Error: Password mismatch, aborting registration.\n');

    const badLogin = await user.run(['login', t.url, '-c', 'x', '--username=admin', '--password=wrong']);
    expect(badLogin).toMatchObject({
      code: 1,
      stderr: 'Error: Unable to log in with provided credentials.\n',
    });
    expect(fs.existsSync(settingsFile('x'))).toBe(false);

    const taken = await user.run([
      'register',
      t.url,
      '--username=bob',
      '--password=p',
      '--email=b@example.com',
    ]);
    expect(taken).toMatchObject({
      code: 1,
      stderr: 'Registration failed: Error: A user with that username already exists.\n',
    });

    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const other = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const notDeis = await user.run(['login', other, '-c', 'x', '--username=a', '--password=b']);
    server.close();
    expect(notDeis.code).toBe(1);
    expect(notDeis.stderr).toContain(`Error: ${other} does not appear to be a valid Deis controller.`);
  });

  it('lists users for admins only, marking admins, and limits lists with "(X of Y)"', async () => {
    const r = await user.run(['users:list']);
    expect(r).toMatchObject({ code: 0, stdout: '=== Users (*=admin)\n*admin\nbob\n' });
    expect((await user.run(['users', '-l', '1'])).stdout).toBe('=== Users (*=admin) (1 of 2)\n*admin\n');
    const denied = await user.run(['users:list', '-c', 'bob']);
    expect(denied).toMatchObject({
      code: 1,
      stderr: 'Error: You do not have permission to perform this action.\n',
    });
  });

  it('grants and revokes admin rights with perms --admin', async () => {
    expect((await user.run(['perms:create', 'bob', '--admin'])).stdout).toBe(
      'Adding bob to system administrators... done\n',
    );
    expect((await user.run(['perms', '--admin'])).stdout).toBe('=== Administrators\nadmin\nbob\n');
    expect((await user.run(['sharing:remove', 'bob', '--admin'])).stdout).toBe(
      'Removing bob from system administrators... done\n',
    );
    expect((await user.run(['perms:list', '--admin'])).stdout).toBe('=== Administrators\nadmin\n');
  });

  it('changes passwords and regenerates tokens', async () => {
    const r = await user.run(['passwd', '-c', 'bob', '--password=bobpw', '--new-password=bobpw2']);
    expect(r).toMatchObject({ code: 0, stdout: 'Password change succeeded.\n' });
    const login = await user.run(['login', t.url, '-c', 'bob', '--username=bob', '--password=bobpw2']);
    expect(login.code).toBe(0);

    const before = (JSON.parse(fs.readFileSync(settingsFile('bob'), 'utf8')) as { token: string }).token;
    expect((await user.run(['auth:regenerate', '-c', 'bob'])).stdout).toBe('Token Regenerated\n');
    const after = (JSON.parse(fs.readFileSync(settingsFile('bob'), 'utf8')) as { token: string }).token;
    expect(after).not.toBe(before);
    expect((await user.run(['whoami', '--all', '-c', 'bob'])).code).toBe(0);
  });

  it('cancels an account after logging in again, and logs out', async () => {
    await user.run([
      'register',
      t.url,
      '--username=carol',
      '--password=cpw',
      '--email=c@example.com',
      '--login=false',
    ]);
    await user.run(['login', t.url, '-c', 'carol', '--username=carol', '--password=cpw']);
    const r = await user.run(['auth:cancel', '-c', 'carol', '--username=carol', '--password=cpw', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Please log in again in order to cancel this account\nLogged in as carol\n');
    expect(r.stdout).toMatch(/Account cancelled\n$/);
    expect(fs.existsSync(settingsFile('carol'))).toBe(false);

    expect((await user.run(['logout', '-c', 'bob'])).stdout).toBe('Logged out\n');
    const after = await user.run(['whoami', '-c', 'bob']);
    expect(after).toMatchObject({
      code: 1,
      stderr: "Error: Not logged in. Use 'deis login' or 'deis register' to get started.\n",
    });
  });
});
