/** Real git repositories for tests: a work tree made from a fixture folder and committed. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A new repository holding a copy of `fixture` (a folder under test/fixtures/apps), committed. */
export function repoFromFixture(fixture: string, message = 'initial'): { dir: string; sha: string } {
  return repoFromFolder(path.resolve('test/fixtures/apps', fixture), message);
}

/** The offline Python test buildpack as a git repository, for BUILDPACK_URL. */
export function offlineBuildpackRepo(): string {
  return repoFromFolder(path.resolve('test/fixtures/buildpacks/offline-python'), 'buildpack').dir;
}

/** A new repository holding a committed copy of `folder`. */
export function repoFromFolder(folder: string, message = 'initial'): { dir: string; sha: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${path.basename(folder)}-`));
  fs.cpSync(folder, dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', message);
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
}

/** A bare repository with the work tree's commits, as the builder keeps them. */
export function bareFrom(work: string): string {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bare-'));
  git(bare, 'clone', '-q', '--bare', work, '.');
  return bare;
}
