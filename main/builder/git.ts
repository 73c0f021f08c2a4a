/** Reading a pushed commit from the app's bare repository with the real git. */
import { execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { COMMIT_FILE_MAX_BYTES, COMMIT_LISTING_MAX_BYTES, COMMIT_READERS_KEPT } from '../contract/limits';
import { BuildFailed } from './types';

/** Where a commit lives: the bare repo and, during a push, git's quarantine environment. */
export interface RepoRef {
  repo: string;
  gitEnv?: Record<string, string>;
}

const envOf = (r: RepoRef): NodeJS.ProcessEnv => ({ ...process.env, ...r.gitEnv });

function git(r: RepoRef, args: string[], maxBuffer: number): Promise<{ code: number; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const options = { encoding: 'buffer' as const, maxBuffer, cwd: r.repo, env: envOf(r) };
    execFile('git', ['--git-dir', r.repo, ...args], options, (err, stdout) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout });
    });
  });
}

/** One entry of a commit's tree, as `git ls-tree -l` lists it; `size` only for blobs. */
export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  size?: number;
}

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function parseListing(out: Buffer): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  for (const record of out.toString('utf8').split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.*)$/s.exec(record);
    if (!m) continue;
    entries.set(m[5]!, {
      mode: m[1]!,
      type: m[2]!,
      oid: m[3]!,
      ...(m[4] === '-' ? {} : { size: Number(m[4]) }),
    });
  }
  return entries;
}

/**
 * What the builder reads of one pushed commit, with as few git processes as possible (each costs
 * tens of milliseconds of a push): the top folder listed once (`git ls-tree -l`, which gives the
 * sizes, so limits apply before anything is read), and the blobs asked for together read by one
 * `git cat-file --batch`.
 */
export class CommitFiles {
  private root?: Promise<Map<string, TreeEntry>>;
  private readonly blobs = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly repo: RepoRef,
    private readonly sha: string,
  ) {}

  /** The commit's top folder, by name. */
  top(): Promise<Map<string, TreeEntry>> {
    this.root ??= (async () => {
      const r = await git(
        this.repo,
        ['ls-tree', '-z', '-l', '--full-tree', '--end-of-options', this.sha],
        COMMIT_LISTING_MAX_BYTES,
      ).catch((err: unknown) => {
        if ((err as { code?: unknown }).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          throw new BuildFailed(
            `The top folder of the pushed commit lists more than ${COMMIT_LISTING_MAX_BYTES / 1024 / 1024} MiB of names; move files into folders.`,
          );
        throw err;
      });
      if (r.code !== 0) throw new BuildFailed('The pushed commit could not be read.');
      return parseListing(r.stdout);
    })();
    return this.root;
  }

  /**
   * Reads, with one git process, the named files of the top folder that are files no larger than
   * their limit: what a build is about to read (the rest is left to `blob`, which checks again).
   */
  async prefetchTop(limits: Record<string, number>): Promise<void> {
    const top = await this.top();
    const entries: TreeEntry[] = [];
    for (const [name, max] of Object.entries(limits)) {
      const e = top.get(name);
      if (e?.type === 'blob' && e.size !== undefined && e.size <= max) entries.push(e);
    }
    this.prefetch(entries);
  }

  /** The entry at `path` (slash-separated, no `.` or `..`), or undefined when there is none. */
  async entry(path: string): Promise<TreeEntry | undefined> {
    if (!path.includes('/')) return (await this.top()).get(path);
    const r = await git(
      this.repo,
      ['--literal-pathspecs', 'ls-tree', '-z', '-l', '--full-tree', '--end-of-options', this.sha, '--', path],
      COMMIT_LISTING_MAX_BYTES,
    );
    if (r.code !== 0) return undefined;
    return parseListing(r.stdout).get(path);
  }

  /**
   * The blobs of these entries (their sizes checked by the caller), read by one git process; each is
   * remembered, so a later `blob` of one of them starts none.
   */
  prefetch(entries: TreeEntry[]): void {
    const wanted = [...new Set(entries.filter((e) => e.type === 'blob' && !this.blobs.has(e.oid)))];
    if (wanted.length === 0) return;
    const all = readBlobs(this.repo, wanted);
    for (const e of wanted)
      this.blobs.set(
        e.oid,
        all.then((m) => {
          const b = m.get(e.oid);
          if (!b) throw new BuildFailed('A file of the pushed commit could not be read.');
          return b;
        }),
      );
    // Read or not, a failure is reported to whoever asks for the blob.
    all.catch(() => undefined);
  }

  /** The content of a blob entry of this commit; its size must be known (as `ls-tree -l` gives it). */
  blob(entry: TreeEntry): Promise<Buffer> {
    this.prefetch([entry]);
    return this.blobs.get(entry.oid)!;
  }
}

/** `git cat-file --batch` of blobs whose sizes are known: the output is bounded by them. */
function readBlobs(repo: RepoRef, entries: TreeEntry[]): Promise<Map<string, Buffer>> {
  const max = entries.reduce((n, e) => n + (e.size ?? 0) + 256, 0);
  return new Promise((resolve, reject) => {
    if (entries.some((e) => !OID.test(e.oid) || e.size === undefined)) {
      reject(new Error('readBlobs: only blobs of a listing can be read'));
      return;
    }
    const child = spawn('git', ['--git-dir', repo.repo, 'cat-file', '--batch'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      cwd: repo.repo,
      env: envOf(repo),
    });
    const chunks: Buffer[] = [];
    let length = 0;
    child.stdout.on('data', (d: Buffer) => {
      length += d.length;
      if (length > max) child.kill();
      else chunks.push(d);
    });
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.on('close', () => {
      if (length > max) return reject(new Error('git cat-file sent more than the blobs it was asked for'));
      const out = Buffer.concat(chunks);
      const blobs = new Map<string, Buffer>();
      let at = 0;
      for (const e of entries) {
        const eol = out.indexOf(0x0a, at);
        if (eol < 0) break;
        const header = out.subarray(at, eol).toString('latin1').split(' ');
        if (header[0] !== e.oid || header[1] !== 'blob' || Number(header[2]) !== e.size) break;
        blobs.set(e.oid, out.subarray(eol + 1, eol + 1 + e.size!));
        at = eol + 1 + e.size! + 1;
      }
      resolve(blobs);
    });
    child.stdin.end(entries.map((e) => `${e.oid}\n`).join(''));
  });
}

/**
 * The readers of recent commits: a push reads the Procfile, the Dockerfile and (through it) the
 * same top folder in several places; git objects never change, so what was read stays right.
 */
const recent = new Map<string, CommitFiles>();

export function commitFiles(repo: RepoRef, sha: string): CommitFiles {
  const key = JSON.stringify([repo.repo, sha, repo.gitEnv ?? {}]);
  let files = recent.get(key);
  if (files) recent.delete(key);
  else files = new CommitFiles(repo, sha);
  recent.set(key, files);
  while (recent.size > COMMIT_READERS_KEPT) recent.delete(recent.keys().next().value!);
  return files;
}

/**
 * The content of a file at the top of the commit, or undefined when it has none (or it is a folder);
 * a symlink reads as its target, as `git cat-file blob` reads it.
 */
export async function readFileAt(
  repo: RepoRef,
  sha: string,
  file: string,
  max = COMMIT_FILE_MAX_BYTES,
): Promise<string | undefined> {
  const files = commitFiles(repo, sha);
  const entry = await files.entry(file);
  if (!entry || entry.type !== 'blob') return undefined;
  if ((entry.size ?? Infinity) > max)
    throw new BuildFailed(`The ${file} is larger than ${Math.floor(max / 1024)} KiB; make it smaller.`);
  return (await files.blob(entry)).toString('utf8');
}

export async function hasFileAt(repo: RepoRef, sha: string, file: string): Promise<boolean> {
  return (await commitFiles(repo, sha).entry(file)) !== undefined;
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
