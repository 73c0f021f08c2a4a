/** The apps' bare repositories under `<home>/git`, made on first use, with our pre-receive hook. */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PRE_RECEIVE_SH } from './hook-script';

const run = promisify(execFile);

export function repoPath(gitHome: string, app: string): string {
  return path.join(gitHome, `${app}.git`);
}

/**
 * Makes sure `<gitHome>/<app>.git` exists. A new repo is made aside and renamed into place, so a
 * fetch racing the first push never sees (or makes) a half-initialised one.
 */
export async function ensureRepo(gitHome: string, app: string): Promise<string> {
  const repo = repoPath(gitHome, app);
  if (fs.existsSync(path.join(repo, 'HEAD'))) return repo;
  fs.mkdirSync(gitHome, { recursive: true, mode: 0o700 });
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

/** (Re)writes the pre-receive hook, as Deis does on every push, so an upgrade reaches old repos. */
export function installPreReceiveHook(repo: string): void {
  const hooks = path.join(repo, 'hooks');
  fs.mkdirSync(hooks, { recursive: true });
  const file = path.join(hooks, 'pre-receive');
  const temp = `${file}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temp, PRE_RECEIVE_SH, { mode: 0o755 });
  fs.renameSync(temp, file);
}
