/**
 * The checks a folder passes before it is deployed: a real folder the core may read, neither Deis
 * Desktop's data folder nor inside or above it (compared by real paths, so no symlink or `..` gets
 * round it), and within the size limit — counted the way the snapshot would commit it (its .gitignore
 * applied, symlinks as links), before anything is written into DEIS_HOME.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FOLDER_DEPLOY_MAX_BYTES, FOLDER_DEPLOY_MAX_FILES } from '../contract/limits';
import { invalid } from '../contract/errors';
import { isolatedGitEnv } from './snapshot';

const MB = 1024 * 1024;
const LSTAT_BATCH = 64;

/** True when `inner` is `outer` or inside it (both real, absolute paths). */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The folder's real path, or a field error the user can act on. */
export async function checkFolder(folder: string, home: string): Promise<string> {
  if (/[\x00-\x1f\x7f]/.test(folder))
    throw invalid('path', 'The path has a control character (such as a NUL byte) that no folder name has.');
  if (!path.isAbsolute(folder))
    throw invalid('path', 'Give the folder as an absolute path, such as /home/me/myapp.');
  let real: string;
  try {
    real = await fs.promises.realpath(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES')
      throw invalid('path', `Deis Desktop may not read ${folder}; check its permissions.`);
    throw invalid('path', `There is no folder at ${folder}.`);
  }
  const stat = await fs.promises.stat(real);
  if (!stat.isDirectory()) throw invalid('path', `${folder} is a file; give the folder that holds the app.`);
  try {
    await fs.promises.access(real, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw invalid('path', `Deis Desktop may not read ${folder}; check its permissions.`);
  }
  const data = fs.realpathSync(home);
  if (within(real, data))
    throw invalid(
      'path',
      `${folder} is inside Deis Desktop's own data folder (${data}); deploy the folder that holds your app.`,
    );
  if (within(data, real))
    throw invalid(
      'path',
      `${folder} holds Deis Desktop's own data folder (${data}), which must never be deployed; deploy the folder that holds your app.`,
    );
  return real;
}

/**
 * Device and inode of Deis Desktop's data files: a hard link or bind mount of one inside a folder
 * is caught even where paths do not show it.
 */
function dataFiles(home: string): Set<string> {
  const ids = new Set<string>();
  for (const dir of [home, path.join(home, 'builder')]) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const st = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
      if (st?.isFile()) ids.add(`${st.dev}:${st.ino}`);
    }
  }
  return ids;
}

/** The limit a folder passed, with the numbers and what to do; counting stopped when it passed. */
function tooBig(folder: string, files: number, bytes: number): Error {
  const limit = `the limit is ${FOLDER_DEPLOY_MAX_FILES} files and ${FOLDER_DEPLOY_MAX_BYTES / MB} MB`;
  const what =
    files > FOLDER_DEPLOY_MAX_FILES
      ? `more than ${FOLDER_DEPLOY_MAX_FILES} files to deploy`
      : `more than ${FOLDER_DEPLOY_MAX_BYTES / MB} MB to deploy (${Math.ceil(bytes / MB)} MB in its first ${files} files)`;
  return invalid(
    'path',
    `${folder} has ${what}; ${limit}. Add what the app does not need to run (dependencies, build output, data) to its .gitignore, or push the app with git.`,
  );
}

/**
 * Counts what a snapshot of `folder` would commit (git's own list: .gitignore applied, symlinks not
 * followed) and refuses it beyond FOLDER_DEPLOY_MAX_FILES or FOLDER_DEPLOY_MAX_BYTES. Stops counting
 * at the first limit passed, so a huge folder costs no more than a folder at the limit. Writes
 * nothing under DEIS_HOME: git runs against a scratch repository in the system's temp folder.
 */
export async function measureFolder(folder: string, home: string): Promise<{ files: number; bytes: number }> {
  const own = dataFiles(home);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-measure-'));
  try {
    const gitDir = path.join(scratch, 'repo.git');
    fs.mkdirSync(gitDir);
    await gitExit(['init', '--quiet', '--bare', '--template=', gitDir], scratch);
    const child = spawn('git', ['ls-files', '-z', '--others', '--exclude-standard'], {
      cwd: folder,
      env: isolatedGitEnv({
        GIT_DIR: gitDir,
        GIT_WORK_TREE: folder,
        GIT_INDEX_FILE: path.join(scratch, 'index'),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let files = 0;
    let bytes = 0;
    let rest = '';
    let failure: Error | undefined;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        const names = (rest + chunk.toString('utf8')).split('\0');
        rest = names.pop() ?? '';
        // A few at a time: lstat goes to libuv's threads, the event loop stays free.
        for (let i = 0; i < names.length; i += LSTAT_BATCH) {
          const batch = names.slice(i, i + LSTAT_BATCH);
          const stats = await Promise.all(
            batch.map((name) => fs.promises.lstat(path.join(folder, name)).catch(() => undefined)),
          );
          stats.forEach((st, j) => {
            if (!st) return;
            if (own.has(`${st.dev}:${st.ino}`))
              throw invalid(
                'path',
                `${folder} holds a file of Deis Desktop's own data (${batch[j]}), which must never be deployed.`,
              );
            files++;
            bytes += st.isDirectory() ? 0 : st.size;
          });
          if (files > FOLDER_DEPLOY_MAX_FILES || bytes > FOLDER_DEPLOY_MAX_BYTES)
            throw tooBig(folder, files, bytes);
        }
      }
    } catch (err) {
      failure = err as Error;
      child.kill('SIGKILL');
    }
    const code = await exited;
    if (failure) throw failure;
    if (code !== 0)
      throw invalid(
        'path',
        `Deis Desktop could not list the files of ${folder}: ${stderr.trim() || `git exited ${code}`}`,
      );
    return { files, bytes };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function gitExit(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: isolatedGitEnv({}), stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited ${code}`)),
    );
  });
}
