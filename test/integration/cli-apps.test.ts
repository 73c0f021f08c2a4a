import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser, DEIS_BIN, git } from '../support/cli';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let user: CliUser;
beforeAll(async () => {
  t = await startTestCore();
  user = new CliUser();
  const r = await user.run(['register', t.url, '--username=owner', '--password=pw', '--email=o@example.com']);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(async () => {
  await t.stop();
  user.remove();
});

const remotes = (dir: string) => git(dir, 'remote', '-v');

describe('deis apps and git remotes against a real core', () => {
  it('creates an app with a git remote, then finds the app from that remote', async () => {
    const repo = user.gitRepo('some-dir');
    const r = await user.run(['create', 'myapp'], { cwd: repo });
    expect(r).toMatchObject({
      code: 0,
      stderr: '',
      stdout:
        'Creating Application... done, created myapp\nGit remote deis successfully created for app myapp.\n',
    });
    expect(remotes(repo)).toContain(`deis\tssh://git@127.0.0.1:${t.core.builderPort}/myapp.git (push)`);

    // No -a: the app comes from the remote, not from the directory name "some-dir".
    const again = await user.run(['git:remote', '-r', 'second'], { cwd: repo });
    expect(again.stdout).toBe('Git remote second successfully created for app myapp.\n');
    const same = await user.run(['git:remote'], { cwd: repo });
    expect(same.stdout).toBe('Remote deis already exists and is correctly configured for app myapp.\n');
  });

  it('refuses to overwrite a remote unless forced', async () => {
    const repo = user.gitRepo('forced');
    git(repo, 'remote', 'add', 'deis', 'https://example.com/other.git');
    const r = await user.run(['create', 'forced'], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Creating Application... done, created forced\n');
    expect(r.stderr).toBe(
      'Error: A git remote with the name deis already exists. To overwrite this remote run:\n' +
        'deis git:remote --force --remote deis --app forced\n',
    );
    const refused = await user.run(['git:remote', '-a', 'forced'], { cwd: repo });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "Remote deis already exists, please run 'deis git:remote -f' to overwrite",
    );
    const forced = await user.run(['git:remote', '-a', 'forced', '-f'], { cwd: repo });
    expect(forced.stdout).toBe(
      'Deleting git remote deis.\nGit remote deis successfully created for app forced.\n',
    );
    expect(remotes(repo)).toContain(`ssh://git@127.0.0.1:${t.core.builderPort}/forced.git`);
  });

  it('lists apps, limited with "(X of Y)", and says how to add a remote later', async () => {
    const none = await user.run(['apps:create', 'noremote', '--no-remote']);
    expect(none.stdout).toBe(
      'Creating Application... done, created noremote\n' +
        'If you want to add a git remote for this app later, use `deis git:remote -a noremote`\n',
    );
    expect((await user.run(['apps'])).stdout).toBe('=== Apps\nforced\nmyapp\nnoremote\n');
    expect((await user.run(['apps:list', '--limit=2'])).stdout).toBe('=== Apps (2 of 3)\nforced\nmyapp\n');
  });

  it('reports controller errors as "Error: <message>" with exit code 1', async () => {
    const dup = await user.run(['create', 'myapp', '--no-remote']);
    expect(dup).toMatchObject({ code: 1, stderr: 'Error: Application with this id already exists.\n' });
    const bad = await user.run(['create', 'Bad_Name', '--no-remote']);
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'Error: App name can only contain a-z (lowercase), 0-9 and hyphens\n',
    });
    const unknown = await user.run(['info', '-a', 'nope']);
    expect(unknown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: "No App matches the given query."\n',
    });
  });

  it('transfers an app found from git, and destroys it removing the remote', async () => {
    const repo = path.join(user.work, 'some-dir');
    await user.run([
      'register',
      t.url,
      '--username=heir',
      '--password=pw',
      '--email=h@example.com',
      '--login=false',
    ]);
    // Registration is admin-only: owner is the first user, so it may register heir.
    const transfer = await user.run(['apps:transfer', 'heir'], { cwd: repo });
    expect(transfer).toMatchObject({ code: 0, stdout: 'Transferring myapp to heir... done\n' });

    const wrong = await user.run(['destroy'], { cwd: repo, input: 'nope\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(' !    This command will destroy the application: myapp\n');
    expect(wrong.stderr).toBe('Error: App myapp does not match confirm nope, aborting.\n');

    const r = await user.run(['destroy', '--confirm=myapp'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Destroying myapp\.\.\.\ndone in \d+s\nGit remotes for app myapp removed\.\n$/);
    expect(remotes(repo)).toBe('');
  });

  it('takes the app from the directory name when there is no remote, leaving git alone', async () => {
    const dir = path.join(user.work, 'NoRemote');
    fs.mkdirSync(dir);
    const r = await user.run(['apps:destroy'], { cwd: dir, input: 'noremote\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('To proceed, type "noremote" or re-run this command with --confirm=noremote');
    expect(r.stdout).toMatch(/Destroying noremote\.\.\.\ndone in \d+s\n$/);
  });

  it('uses the builder port a Deis Desktop controller reports', async () => {
    // A controller in front of the core that adds the desktop info endpoint.
    const proxy = http.createServer((req, res) => {
      if (req.url === '/v2/desktop/info/') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ builder_port: 2301, router_port: 8081 }));
        return;
      }
      const upstream = http.request(
        new URL(req.url ?? '/', t.url),
        // As a reverse proxy must: the core answers only to its own names (Host).
        { method: req.method, headers: { ...req.headers, host: new URL(t.url).host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const login = await user.run(['login', url, '-c', 'desk', '--username=owner', '--password=pw']);
      expect(login.code).toBe(0);
      const repo = user.gitRepo('desk');
      const r = await user.run(['create', 'desk', '-c', 'desk'], { cwd: repo });
      expect(r.code).toBe(0);
      expect(remotes(repo)).toContain('deis\tssh://git@127.0.0.1:2301/desk.git (push)');
      const removed = await user.run(['git:remove', '-c', 'desk'], { cwd: repo });
      expect(removed.stdout).toBe('Git remotes for app desk removed.\n');
    } finally {
      proxy.close();
    }
  });
});

describe('deis command line handling', () => {
  it('rejects bad flags and arguments with the usage on stderr and exit code 1', async () => {
    const r = await user.run(['apps:create', '--bogus']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('Unknown option: --bogus\nUsage: deis apps:create [<id>] [options]\n');
    const extra = await user.run(['apps:list', 'extra']);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain('Usage: deis apps:list [options]');
    const missing = await user.run(['config:set']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Usage: deis config:set <var>=<value>... [options]');
  });

  it('prints help for the CLI, a topic and a command', async () => {
    const main = await user.run(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('Usage: deis <command> [<args>...]');
    const topic = await user.run(['help', 'config']);
    expect(topic.stdout).toContain('Valid commands for config:');
    expect(topic.stdout).toContain('config:push');
    const cmd = await user.run(['help', 'healthchecks:set']);
    expect(cmd.code).toBe(0);
    expect(cmd.stdout).toContain('--initial-delay-timeout=<initial-delay-timeout>');
    expect(cmd.stdout).toContain('[default: 50]');
    expect((await user.run(['scale', '--help'])).stdout).toContain(
      'Usage: deis ps:scale <type>=<num>... [options]',
    );
    expect((await user.run(['-v'])).stdout).toBe('v2.18.0\n');
  });

  it('works through a symlink in a PATH folder, and wants a command', async () => {
    const bin = path.join(user.work, 'linked-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(DEIS_BIN, path.join(bin, 'deis'));
    const version = spawnSync('deis', ['version'], {
      cwd: user.work,
      env: { ...process.env, HOME: user.home, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
      encoding: 'utf8',
    });
    expect(version).toMatchObject({ status: 0, stdout: 'v2.18.0\n' });
    expect(await user.run([])).toMatchObject({ code: 1, stderr: 'Usage: deis <command> [<args>...]\n' });
  });

  it('runs unknown commands as deis-<name> plugins from PATH', async () => {
    const bin = path.join(user.work, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'deis-hello'), '#!/bin/sh\necho "hello $*"\nexit 3\n', { mode: 0o755 });
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const r = await user.run(['hello:world', 'a', 'b'], { env });
    expect(r).toMatchObject({ code: 3, stdout: 'hello world a b\n' });
    const none = await user.run(['nosuchthing'], { env });
    expect(none).toMatchObject({
      code: 1,
      stderr: "Found no matching command, try 'deis help'\nUsage: deis <command> [<args>...]\n",
    });
  });
});
