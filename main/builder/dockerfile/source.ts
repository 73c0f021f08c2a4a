/**
 * The Dockerfile of a pushed commit, found as the Docker engine finds it in the build context:
 * `Dockerfile` at the root, symlinks followed inside the tree (an absolute target or `..` never
 * leaves the root), read whole up to a size limit.
 */
import { DOCKERFILE_MAX_BYTES, DOCKERFILE_MAX_SYMLINK_HOPS } from '../../contract/limits';
import { commitFiles, type CommitFiles, type RepoRef, type TreeEntry } from '../git';
import { BuildFailed } from '../types';

async function blob(files: CommitFiles, entry: TreeEntry, max: number): Promise<Buffer> {
  if (entry.size === undefined)
    throw new BuildFailed('The Dockerfile could not be read from the pushed commit.');
  if (entry.size > max)
    throw new BuildFailed(`The Dockerfile is larger than ${max / 1024} KiB; make it smaller.`);
  try {
    return await files.blob(entry);
  } catch {
    throw new BuildFailed('The Dockerfile could not be read from the pushed commit.');
  }
}

/** Reads `name` (default `Dockerfile`) of the commit; throws BuildFailed with a plain reason. */
export async function readDockerfile(repo: RepoRef, sha: string, name = 'Dockerfile'): Promise<string> {
  const files = commitFiles(repo, sha);
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
    const entry = await files.entry(path);
    if (!entry) throw new BuildFailed(`The Dockerfile points to ${path}, which is not in the pushed commit.`);
    if (entry.mode === '120000') {
      if (++hops > DOCKERFILE_MAX_SYMLINK_HOPS)
        throw new BuildFailed('The Dockerfile is a chain of too many symlinks.');
      const target = (await blob(files, entry, 4096)).toString('utf8');
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
      const bytes = await blob(files, entry, DOCKERFILE_MAX_BYTES);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new BuildFailed('The Dockerfile is not valid UTF-8 text.');
      }
    }
  }
  throw new BuildFailed('The Dockerfile could not be found in the pushed commit.');
}
