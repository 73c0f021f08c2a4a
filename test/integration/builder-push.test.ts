// The builder with the real OpenSSH client and real git: pushes, rejections, refusals, clones.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builderRef,
  clone,
  commit,
  gitEnv,
  head,
  push,
  remote,
  ssh,
  start,
  startHarness,
  workTree,
  type Harness,
} from './builder-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const remoteLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: '))
    .map((l) => l.slice('remote: '.length).trim());

describe('the builder SSH server', () => {
  it('answers ping with pong, for ed25519 and RSA keys', async () => {
    for (const key of [h.keys.alice, h.keys.bob]) {
      const r = await ssh(h, key, 'ping');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('pong\n');
    }
  });

  it('builds before accepting a push and streams the build output as it happens', async () => {
    const dir = workTree(h, 'alpha', 'first version');
    const r = await push(h, dir, 'alpha').done;
    expect(r.code, r.stderr).toBe(0);
    const lines = remoteLines(r.stderr);
    expect(lines).toEqual([
      `Building alpha ${head(dir).slice(0, 8)} for alice: first version`,
      'step 1 of 3',
      'step 2 of 3',
      'step 3 of 3',
      'Build complete.',
    ]);
    expect(builderRef(h, 'alpha')).toBe(head(dir));
    // Streamed, not buffered: the first build line reached git well before the last one.
    const at = (text: string) => r.lines.find((l) => l.text === `remote: ${text}`)!.at;
    expect(at('Build complete.') - at('step 1 of 3')).toBeGreaterThanOrEqual(150);
  });

  it('rejects a push whose build fails, with the reason, and leaves the branch where it was', async () => {
    const dir = await clone(h, 'alpha');
    const before = builderRef(h, 'alpha');
    commit(h, dir, 'this one should fail');
    const r = await push(h, dir, 'alpha').done;
    expect(r.code).not.toBe(0);
    expect(remoteLines(r.stderr)).toContain('Build failed: the commit asked for it.');
    expect(r.stderr).toContain('pre-receive hook declined');
    expect(builderRef(h, 'alpha')).toBe(before);
  });

  it('still builds when git config points hooks elsewhere (core.hooksPath)', async () => {
    // Users set core.hooksPath globally for their own tooling; git would then skip our pre-receive.
    const repo = path.join(h.home, 'repos', 'alpha.git');
    execFileSync('git', ['--git-dir', repo, 'config', 'core.hooksPath', path.join(h.dir, 'no-hooks')]);
    try {
      const dir = await clone(h, 'alpha');
      const before = builderRef(h, 'alpha');
      commit(h, dir, 'fail despite hooksPath');
      const r = await push(h, dir, 'alpha').done;
      expect(r.code).not.toBe(0);
      expect(remoteLines(r.stderr)).toContain('Build failed: the commit asked for it.');
      expect(builderRef(h, 'alpha')).toBe(before);
    } finally {
      execFileSync('git', ['--git-dir', repo, 'config', '--unset', 'core.hooksPath']);
    }
  });

  it('accepts deleting a branch without building it', async () => {
    const dir = workTree(h, 'alpha', 'side branch');
    const env = gitEnv(h, h.keys.alice);
    const builds = h.builds.length;
    const created = await start('git', ['push', remote(h, 'alpha'), 'main:side'], { cwd: dir, env }).done;
    expect(created.code, created.stderr).toBe(0);
    expect(builderRef(h, 'alpha', 'refs/heads/side')).toBe(head(dir));
    const deleted = await start('git', ['push', remote(h, 'alpha'), ':side'], { cwd: dir, env }).done;
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(builderRef(h, 'alpha', 'refs/heads/side')).toBeUndefined();
    expect(h.builds.length).toBe(builds + 1);
  });

  it('refuses a key it does not know', async () => {
    const r = await ssh(h, h.keys.stranger, 'ping');
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
    const dir = workTree(h, 'alpha', 'from a stranger');
    const p = await push(h, dir, 'alpha', h.keys.stranger).done;
    expect(p.code).not.toBe(0);
    expect(p.stderr).toContain('Permission denied (publickey)');
  });

  it('refuses a push to an app the user may not use', async () => {
    const dir = workTree(h, 'alpha', 'from bob');
    const r = await push(h, dir, 'alpha', h.keys.bob).done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('You do not have permission to push to alpha.');
  });

  it('refuses a push to an app that does not exist, saying how to create it', async () => {
    const dir = workTree(h, 'ghost', 'boo');
    const r = await push(h, dir, 'ghost').done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('App "ghost" does not exist. Create it with: deis apps:create ghost');
    expect(fs.existsSync(path.join(h.home, 'repos', 'ghost.git'))).toBe(false);
  });

  it('refuses a shell, other commands and repo paths outside the apps', async () => {
    const shell = await ssh(h, h.keys.alice, '-T');
    expect(shell.code).toBe(1);
    expect(shell.stderr).toContain("Deis Desktop's builder does not offer a shell.");
    const terminal = await ssh(h, h.keys.alice, '-tt', 'git-upload-pack alpha.git');
    expect(terminal.code).toBe(1);
    expect(terminal.stdout + terminal.stderr).toContain("Deis Desktop's builder does not offer a terminal.");
    const ls = await ssh(h, h.keys.alice, 'ls', '/');
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain('cannot run "ls /"');
    const escape = await ssh(h, h.keys.alice, "git-receive-pack '../home/builder.git'");
    expect(escape.code).toBe(1);
    expect(escape.stdout).toContain('is not an app repository');
  });

  it('accepts the repo path with or without a slash and quotes, as git versions send it', async () => {
    for (const path of ["'alpha.git'", "'/alpha.git'", '"alpha.git"', 'alpha.git']) {
      const r = await ssh(h, h.keys.alice, `git-upload-pack ${path}`);
      // git-upload-pack advertises its refs first; stdin is closed so it then ends.
      expect(r.stdout, path).toContain('refs/heads/main');
    }
  });

  it('serves clones through git-upload-pack', async () => {
    const target = await clone(h, 'alpha');
    expect(head(target)).toBe(builderRef(h, 'alpha'));
    expect(fs.readFileSync(path.join(target, 'README'), 'utf8')).toBe('alpha: first version\n');
  });

  it('does not let bob clone alice’s app', async () => {
    const r = await start('git', ['clone', '-q', remote(h, 'alpha'), path.join(h.dir, 'bobs')], {
      env: gitEnv(h, h.keys.bob),
    }).done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('You do not have permission to fetch from alpha.');
  });
});
