/**
 * The real `deis` binary as a newcomer meets it (issue 9): it runs from its JavaScript bundle (no
 * TypeScript compiler on every call) and rebuilds that bundle when the sources change; a closed
 * stdout ends any command quietly with status 0; `create` outside a repository is not a failure;
 * `ps:scale` of a type the app lacks names the types it has; `open` prints the URL when no
 * browser can open. Against a real core (the in-memory target: none of this needs Docker).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUser, DEIS_BIN, type CliResult } from '../support/cli';
import { startTestCore, type TestCore } from '../support/core';

const ROOT = path.resolve(path.dirname(DEIS_BIN), '../..');

let t: TestCore;
let user: CliUser;
beforeAll(async () => {
  t = await startTestCore();
  user = new CliUser();
  const r = await user.run([
    'register',
    t.url,
    '--username=newbie',
    '--password=pw',
    '--email=n@example.com',
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  const app = await user.run(['create', 'first-app', '--no-remote']);
  if (app.code !== 0) throw new Error(app.stderr);
});
afterAll(async () => {
  await t?.stop();
  user?.remove();
});

/** A bash command line as the user types it, with their HOME. */
function shell(line: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd: user.work, env: { ...process.env, HOME: user.home } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `deis` with its stdout a pipe whose reading end is closed before the CLI writes a byte. */
function withClosedStdout(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEIS_BIN, args, {
      cwd: user.work,
      env: { ...process.env, HOME: user.home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: '', stderr }));
  });
}

describe('the deis binary', () => {
  it('runs from the built bundle: tsx and the TypeScript sources are never loaded', async () => {
    // Node's own module debugging lists every file it loads, whoever loads it.
    const r = await user.run(['--version'], { env: { NODE_DEBUG: 'esm,module' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('v2.18.0\n');
    expect(r.stderr).toContain(path.join(ROOT, 'out', 'cli', 'deis.cjs'));
    expect(r.stderr).not.toMatch(/node_modules[/\\]tsx/);
    expect(r.stderr).not.toMatch(/main[/\\]cli[/\\][\w-]+\.ts/);
  });

  it('in a fresh clone, builds its bundle on first use and again after a source changes', () => {
    // What a clone holds of the CLI (no out/ folder), with the checkout's packages.
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-clone-'));
    try {
      for (const part of ['resources/bin', 'scripts', 'main/cli', 'main/contract', 'package.json'])
        fs.cpSync(path.join(ROOT, part), path.join(clone, part), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
      const deis = path.join(clone, 'resources', 'bin', 'deis');
      const bundle = path.join(clone, 'out', 'cli', 'deis.cjs');
      const run = () =>
        spawnSync(deis, ['--version'], { encoding: 'utf8', env: { ...process.env, HOME: user.home } });

      const first = run();
      expect(first.stderr).toBe('');
      expect(first.stdout).toBe('v2.18.0\n');
      expect(fs.existsSync(bundle)).toBe(true);
      const builtAt = fs.statSync(bundle).mtimeMs;
      expect(run().stdout).toBe('v2.18.0\n');
      expect(fs.statSync(bundle).mtimeMs).toBe(builtAt); // up to date: not built again

      // A developer edits a source file: the next call runs the edit.
      const version = path.join(clone, 'main', 'cli', 'version.ts');
      fs.writeFileSync(version, fs.readFileSync(version, 'utf8').replace("'v2.18.0'", "'v2.18.1-dev'"));
      const later = new Date(Date.now() + 2000);
      fs.utimesSync(version, later, later);
      const edited = run();
      expect(edited.stderr).toBe('');
      expect(edited.stdout).toBe('v2.18.1-dev\n');
    } finally {
      fs.rmSync(clone, { recursive: true, force: true });
    }
  });
});

describe('a closed stdout', () => {
  it('ends `deis info | head -1` quietly with status 0', async () => {
    // (Never spawnSync here: the core answering the CLI runs in this process.)
    const r = await shell(`set -o pipefail; "${DEIS_BIN}" info -a first-app | head -1`);
    expect(r).toEqual({ code: 0, stdout: '=== first-app Application\n', stderr: '' });
  });

  it('ends every command quietly with status 0, whenever the reader goes away', async () => {
    for (const args of [
      ['--version'],
      ['help'],
      ['apps'],
      ['info', '-a', 'first-app'],
      ['config', '-a', 'first-app'],
      ['releases', '-a', 'first-app'],
      ['ps', '-a', 'first-app'],
      ['whoami'],
    ]) {
      const r = await withClosedStdout(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });
});

describe('deis create outside a git repository', () => {
  it('creates the app, says no remote was added and why, and exits 0', async () => {
    const dir = path.join(user.work, 'not-a-repo');
    fs.mkdirSync(dir);
    const r = await user.run(['create', 'norepo-app'], { cwd: dir });
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'Creating Application... done, created norepo-app\n' +
        `No git remote was added: ${dir} is not a git repository.\n` +
        'To deploy with git push, run `git init` there, then `deis git:remote -a norepo-app`.\n',
    });
    expect((await user.run(['apps'])).stdout).toContain('norepo-app\n');
  });
});

describe('deis ps:scale of a type the app does not have', () => {
  it("names the type, the app and the app's types (an image's type is cmd)", async () => {
    const pulled = await user.run(['pull', 'example/web:1', '-a', 'first-app']);
    expect(pulled.code, pulled.stderr).toBe(0);
    const r = await user.run(['ps:scale', 'web=3', '-a', 'first-app']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error: Container type web does not exist in application first-app (its types: cmd)\n',
    );
  });
});

describe('deis open without a browser', () => {
  it('prints the URL when there is no display', async () => {
    const r = await user.run(['open', '-a', 'first-app'], {
      env: { DISPLAY: undefined, WAYLAND_DISPLAY: undefined },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^http:\/\/first-app\.localhost(:\d+)?\n$/);
    expect(r.stderr).toBe(
      'No browser could be opened (no display: DISPLAY and WAYLAND_DISPLAY are not set): open the URL above yourself.\n',
    );
  });

  it('prints the URL when xdg-open is missing', async () => {
    // A PATH with node and nothing else: there is a display, but nothing to open a browser with.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-path-'));
    try {
      fs.symlinkSync(process.execPath, path.join(bin, 'node'));
      const r = await user.run(['open', '-a', 'first-app'], { env: { DISPLAY: ':99', PATH: bin } });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^http:\/\/first-app\.localhost(:\d+)?\n$/);
      expect(r.stderr).toBe(
        'No browser could be opened (xdg-open is not installed): open the URL above yourself.\n',
      );
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
