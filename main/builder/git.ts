/** Reading a pushed commit from the app's bare repository with the real git. */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Where a commit lives: the bare repo and, during a push, git's quarantine environment. */
export interface RepoRef {
  repo: string;
  gitEnv?: Record<string, string>;
}

const envOf = (r: RepoRef): NodeJS.ProcessEnv => ({ ...process.env, ...r.gitEnv });

function git(r: RepoRef, args: string[]): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const options = { encoding: 'buffer' as const, maxBuffer: 16 * 1024 * 1024, cwd: r.repo, env: envOf(r) };
    execFile('git', ['--git-dir', r.repo, ...args], options, (err, stdout) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout });
    });
  });
}

/** The file's content at `sha`, or undefined when the commit has no such file. */
export async function readFileAt(repo: RepoRef, sha: string, file: string): Promise<string | undefined> {
  const r = await git(repo, ['cat-file', 'blob', '--end-of-options', `${sha}:${file}`]);
  return r.code === 0 ? r.stdout.toString('utf8') : undefined;
}

export async function hasFileAt(repo: RepoRef, sha: string, file: string): Promise<boolean> {
  return (await git(repo, ['cat-file', '-e', '--end-of-options', `${sha}:${file}`])).code === 0;
}

/** A tar stream of the commit's tree (`git archive`), optionally under a directory prefix. */
export function archive(repo: RepoRef, sha: string, prefix?: string): Readable {
  const args = ['--git-dir', repo.repo, 'archive', '--format=tar'];
  if (prefix) args.push(`--prefix=${prefix}`);
  const child = spawn('git', [...args, '--end-of-options', sha], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repo.repo,
    env: envOf(repo),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('close', (code) => {
    if (code !== 0)
      child.stdout.destroy(new Error(`git archive ${sha} failed: ${stderr.trim() || `exit ${code}`}`));
  });
  return child.stdout;
}
