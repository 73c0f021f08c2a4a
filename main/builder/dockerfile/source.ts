/**
 * The Dockerfile of a pushed commit, found as the Docker engine finds it in the build context:
 * `Dockerfile` at the root, symlinks followed inside the tree (an absolute target or `..` never
 * leaves the root), read whole up to a size limit.
 */
import { execFile } from 'node:child_process';
import { DOCKERFILE_MAX_BYTES, DOCKERFILE_MAX_SYMLINK_HOPS } from '../../contract/limits';
import type { RepoRef } from '../git';
import { BuildFailed } from '../types';

function git(r: RepoRef, args: string[], maxBuffer = 1024 * 1024): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const options = {
      encoding: 'buffer' as const,
      maxBuffer,
      cwd: r.repo,
      env: { ...process.env, ...r.gitEnv },
    };
    execFile('git', ['--literal-pathspecs', '--git-dir', r.repo, ...args], options, (err, stdout) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout });
    });
  });
}

interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
}

async function entryAt(repo: RepoRef, sha: string, path: string): Promise<TreeEntry | undefined> {
  const r = await git(repo, ['ls-tree', '-z', '--full-tree', sha, '--', path]);
  if (r.code !== 0) return undefined;
  const line = r.stdout.toString('utf8').split('\0')[0] ?? '';
  const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
  if (!m || m[4] !== path) return undefined;
  return { mode: m[1]!, type: m[2]!, oid: m[3]! };
}

async function blob(repo: RepoRef, oid: string, max: number): Promise<Buffer> {
  const size = await git(repo, ['cat-file', '-s', oid]);
  if (size.code !== 0) throw new BuildFailed('The Dockerfile could not be read from the pushed commit.');
  if (Number(size.stdout.toString().trim()) > max)
    throw new BuildFailed(`The Dockerfile is larger than ${max / 1024} KiB; make it smaller.`);
  const r = await git(repo, ['cat-file', 'blob', oid], max + 1);
  if (r.code !== 0) throw new BuildFailed('The Dockerfile could not be read from the pushed commit.');
  return r.stdout;
}

/** Reads `name` (default `Dockerfile`) of the commit; throws BuildFailed with a plain reason. */
export async function readDockerfile(repo: RepoRef, sha: string, name = 'Dockerfile'): Promise<string> {
  let parts = name.split('/');
  let done: string[] = [];
  for (let hops = 0; parts.length > 0;) {
    const part = parts.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const path = [...done, part].join('/');
    const entry = await entryAt(repo, sha, path);
    if (!entry) throw new BuildFailed(`The Dockerfile points to ${path}, which is not in the pushed commit.`);
    if (entry.mode === '120000') {
      if (++hops > DOCKERFILE_MAX_SYMLINK_HOPS)
        throw new BuildFailed('The Dockerfile is a chain of too many symlinks.');
      const target = (await blob(repo, entry.oid, 4096)).toString('utf8');
      if (target.startsWith('/')) done = [];
      parts = [...target.split('/'), ...parts];
      continue;
    }
    if (parts.some((p) => p !== '' && p !== '.') && entry.type !== 'tree')
      throw new BuildFailed(`The Dockerfile points into ${path}, which is not a folder.`);
    done.push(part);
    if (parts.length === 0 || parts.every((p) => p === '' || p === '.')) {
      if (entry.type === 'tree') throw new BuildFailed('The Dockerfile is a folder, not a file.');
      if (entry.type !== 'blob') throw new BuildFailed('The Dockerfile is not a file of the pushed commit.');
      const bytes = await blob(repo, entry.oid, DOCKERFILE_MAX_BYTES);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new BuildFailed('The Dockerfile is not valid UTF-8 text.');
      }
    }
  }
  throw new BuildFailed('The Dockerfile could not be found in the pushed commit.');
}
