/**
 * A commit of a folder's current files, made in the app's bare repository without touching the
 * folder: git reads the folder as a work tree, while the index lives in a scratch directory under
 * DEIS_HOME and the objects go into the app's repo. The folder's own .git (if any) is never read or
 * written (git never adds a path named .git), and its .gitignore is honoured, so node_modules stays out.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';

/** The ref that keeps the folder deploys' history; not under refs/heads, so it never blocks a git push. */
export const DEPLOY_REF = 'refs/desktop/deploy';

export interface SnapshotOptions {
  /** The app's bare repository. */
  repo: string;
  folder: string;
  /** A directory of ours for the throwaway index. */
  scratch: string;
  author: { name: string; email: string };
  message: string;
}

function git(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env, cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0]} failed: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout).trim());
    });
  });
}

/** Our environment without the core's own GIT_* variables, which could point git elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return env;
}

/**
 * Git with only `extra` and none of the machine's or user's git config: no filter drivers, filesystem
 * monitor, hooks or global excludes of theirs run against (or decide about) the folder; the folder's
 * own .gitignore files still apply.
 */
export function isolatedGitEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_CONFIG_PARAMETERS: "'core.fsmonitor'='false' 'core.hooksPath'='/dev/null'",
    ...extra,
  };
}

/** Commits the folder's files on top of the previous deploy and returns the commit's sha. */
export async function snapshotFolder(o: SnapshotOptions): Promise<string> {
  fs.mkdirSync(o.scratch, { recursive: true, mode: 0o700 });
  const index = path.join(o.scratch, `index-${randomBytes(6).toString('hex')}`);
  // Symlinks in the folder are committed as links (their target's path), never followed: a link
  // to /etc/shadow or to DEIS_HOME deploys a dangling link, not the file.
  const env = isolatedGitEnv({
    GIT_DIR: o.repo,
    GIT_WORK_TREE: o.folder,
    GIT_INDEX_FILE: index,
    GIT_AUTHOR_NAME: o.author.name,
    GIT_AUTHOR_EMAIL: o.author.email,
    GIT_COMMITTER_NAME: o.author.name,
    GIT_COMMITTER_EMAIL: o.author.email,
  });
  try {
    await git(['add', '--all', '--', '.'], env, o.folder);
    const tree = await git(['write-tree'], env, o.folder);
    const parent = await git(['rev-parse', '--verify', '--quiet', DEPLOY_REF], env, o.folder).catch(() => '');
    const args = ['commit-tree', '-m', o.message];
    if (parent) args.push('-p', parent);
    return await git([...args, '--end-of-options', tree], env, o.folder);
  } finally {
    fs.rmSync(index, { force: true });
  }
}

/** Records a deployed commit so its objects stay and the next deploy builds on it. */
export async function recordDeploy(repo: string, sha: string): Promise<void> {
  await git(['--git-dir', repo, 'update-ref', '--end-of-options', DEPLOY_REF, sha], cleanEnv(), repo);
}
