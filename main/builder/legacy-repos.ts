/**
 * Moves repositories of installs from before issue 8, `<home>/git/<app name>.git`, to
 * `<home>/repos/<app uuid>.git`. A name-keyed repo may hold a destroyed app's code that a new app of
 * the name inherited; it goes to the app of that name only if it holds one of that app's builds, keeps
 * only the refs at that app's builds, and loses every object they do not reach.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from './repo';

const run = promisify(execFile);

export interface LegacyApp {
  uuid: string;
  /** Commits of the app's git builds (pushes and folder deploys), newest first. */
  commits: string[];
}

async function git(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function isCommit(repo: string, sha: string): Promise<boolean> {
  return git(repo, 'cat-file', '-e', '--end-of-options', `${sha}^{commit}`).then(
    () => true,
    () => false,
  );
}

/** Keeps the refs that point at one of `commits`, drops the rest and every object nothing reaches. */
async function keepOnly(repo: string, commits: Set<string>): Promise<void> {
  const refs = await git(repo, 'for-each-ref', '--format=%(objectname) %(refname)');
  for (const line of refs.split('\n').filter(Boolean)) {
    const [sha, ref] = line.split(' ') as [string, string];
    if (!commits.has(sha)) await git(repo, 'update-ref', '-d', '--end-of-options', ref);
  }
  await git(repo, 'reflog', 'expire', '--expire=now', '--all');
  await git(repo, 'gc', '--quiet', '--prune=now');
}

export async function migrateLegacyRepos(
  home: string,
  reposDir: string,
  appNamed: (name: string) => LegacyApp | undefined,
  log: (line: string) => void,
): Promise<void> {
  const legacyDir = path.join(home, 'git');
  if (!fs.existsSync(legacyDir)) return;
  for (const entry of fs.readdirSync(legacyDir)) {
    const legacy = path.join(legacyDir, entry);
    const m = /^([a-z0-9-]+)\.git$/.exec(entry);
    const app = m ? appNamed(m[1]!) : undefined;
    try {
      const found = app ? await Promise.all(app.commits.map((c) => isCommit(legacy, c))) : [];
      if (app && found.some(Boolean) && !fs.existsSync(repoPath(reposDir, app.uuid))) {
        await keepOnly(legacy, new Set(app.commits));
        fs.mkdirSync(reposDir, { recursive: true, mode: 0o700 });
        fs.renameSync(legacy, repoPath(reposDir, app.uuid));
        log(
          `builder: moved ${legacy} to ${repoPath(reposDir, app.uuid)} (repositories are kept per app uuid)`,
        );
        continue;
      }
    } catch (err) {
      log(`builder: could not migrate ${legacy}: ${(err as Error).message}; removing it`);
    }
    // No app of that name, or not the code of the app that has it now: nobody may fetch it any more.
    fs.rmSync(legacy, { recursive: true, force: true });
  }
  if (fs.readdirSync(legacyDir).length === 0) fs.rmdirSync(legacyDir);
}
