/**
 * The apps' bare repositories under `<home>/repos`, one per app *uuid*, made on first use, with our
 * pre-receive hook. Keyed by uuid, not name: a name passes to a new app (of another owner) when its
 * app is destroyed, and the old code must not pass with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PRE_RECEIVE_SH } from './hook-script';

const run = promisify(execFile);

/** Under DEIS_HOME. (Before issue 8 the repos were `<home>/git/<app name>.git`; see migrateLegacyRepos.) */
export const REPOS_DIR = 'repos';

/** What a repository is named by: an app's uuid (tests use any lowercase name). */
const REPO_KEY = /^[a-z0-9][a-z0-9-]*$/;

export function repoPath(reposDir: string, appUuid: string): string {
  if (!REPO_KEY.test(appUuid)) throw new Error(`Not an app uuid: ${JSON.stringify(appUuid)}`);
  return path.join(reposDir, `${appUuid}.git`);
}

/**
 * Makes sure `<reposDir>/<uuid>.git` exists. A new repo is made aside and renamed into place, so a
 * fetch racing the first push never sees (or makes) a half-initialised one.
 */
export async function ensureRepo(reposDir: string, appUuid: string): Promise<string> {
  const repo = repoPath(reposDir, appUuid);
  if (fs.existsSync(path.join(repo, 'HEAD'))) return repo;
  fs.mkdirSync(reposDir, { recursive: true, mode: 0o700 });
  const temp = `${repo}.new-${randomBytes(4).toString('hex')}`;
  try {
    // No template: a user's init.templateDir could bring hooks of theirs into the app's repo.
    await run('git', ['init', '--quiet', '--bare', '--template=', temp]);
    // Whatever the user's init.defaultBranch, a clone of an app checks out the branch we document.
    await run('git', ['--git-dir', temp, 'symbolic-ref', 'HEAD', 'refs/heads/main']);
    fs.renameSync(temp, repo);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return repo;
}

/** Removes an app's repository (the app was destroyed). */
export function removeRepo(reposDir: string, appUuid: string): void {
  fs.rmSync(repoPath(reposDir, appUuid), { recursive: true, force: true });
}

/** The uuids that have a repository. */
export function repoKeys(reposDir: string): string[] {
  if (!fs.existsSync(reposDir)) return [];
  return fs
    .readdirSync(reposDir)
    .filter((name) => name.endsWith('.git'))
    .map((name) => name.slice(0, -'.git'.length))
    .filter((key) => REPO_KEY.test(key));
}

/**
 * Removes what a killed git-receive-pack left: its quarantine (`objects/tmp_objdir-incoming-*`, the
 * objects of a push that was never accepted). Only call it while no push to this repo can run: under
 * the app's push lock, or before the builder listens.
 */
export function removeStaleQuarantines(repo: string): string[] {
  const objects = path.join(repo, 'objects');
  if (!fs.existsSync(objects)) return [];
  const stale = fs.readdirSync(objects).filter((name) => name.startsWith('tmp_objdir-incoming-'));
  for (const name of stale) fs.rmSync(path.join(objects, name), { recursive: true, force: true });
  return stale;
}

/** (Re)writes the pre-receive hook, as Deis does on every push, so an upgrade reaches old repos. */
export function installPreReceiveHook(repo: string): void {
  const hooks = path.join(repo, 'hooks');
  fs.mkdirSync(hooks, { recursive: true });
  const file = path.join(hooks, 'pre-receive');
  const temp = `${file}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, PRE_RECEIVE_SH, { mode: 0o755 });
  fs.renameSync(temp, file);
}
