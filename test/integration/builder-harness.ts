/** A real builder on a temp home, real OpenSSH client keys, and git helpers for the builder's tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { startBuilder, type Build, type Builder, type BuildRequest } from '../../main/builder';
import type { SshLimits } from '../../main/builder/sshd';

export interface Harness {
  dir: string;
  home: string;
  builder: Builder;
  keys: Record<'alice' | 'bob' | 'stranger', string>;
  builds: BuildRecord[];
  log: string[];
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface BuildRecord {
  app: string;
  sha: string;
  started: number;
  ended?: number;
  aborted?: boolean;
}

/** Who may use which app: alice owns alpha, beta and gamma; bob owns nothing. */
const OWNERS: Record<string, string> = { alpha: 'alice', beta: 'alice', gamma: 'alice' };

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Prints a line per 100 ms and fails when the commit message says "fail"; "slow" makes it print 15
 * lines, "endless" 100 (10 s, longer than any test waits). It reads the message with `repo.env`, as a real build must to see the pushed commit.
 */
function fakeBuild(records: BuildRecord[]): Build {
  return async (req: BuildRequest, output) => {
    const record: BuildRecord = { app: req.app, sha: req.newSha, started: Date.now() };
    records.push(record);
    try {
      const { stdout } = await execFileAsync('git', ['log', '-1', '--format=%s', req.newSha], {
        cwd: req.repo.path,
        env: { ...process.env, ...req.repo.env },
      });
      const message = stdout.trim();
      output.line(`Building ${req.app} ${req.newSha.slice(0, 8)} for ${req.user}: ${message}`);
      const steps = message.includes('endless') ? 100 : message.includes('slow') ? 15 : 3;
      for (let i = 1; i <= steps; i++) {
        await sleep(100);
        if (req.signal.aborted) {
          record.aborted = true;
          return { ok: false, reason: 'aborted' };
        }
        output.line(`step ${i} of ${steps}`);
      }
      if (message.includes('fail')) return { ok: false, reason: 'Build failed: the commit asked for it.' };
      output.line('Build complete.');
      return { ok: true };
    } finally {
      record.ended = Date.now();
    }
  };
}

function md5Fingerprint(pubFile: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', pubFile], { encoding: 'utf8' });
  return /MD5:([0-9a-f:]+)/.exec(out)![1]!;
}

export async function startHarness(options: { limits?: Partial<SshLimits> } = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-builder-'));
  const home = path.join(dir, 'home');
  const keys = {} as Harness['keys'];
  const users = new Map<string, string>();
  for (const name of ['alice', 'bob', 'stranger'] as const) {
    keys[name] = path.join(dir, `${name}_key`);
    // bob's key is RSA, so logins with rsa-sha2-* signatures are covered too.
    const type = name === 'bob' ? ['-t', 'rsa', '-b', '2048'] : ['-t', 'ed25519'];
    execFileSync('ssh-keygen', ['-q', ...type, '-N', '', '-C', name, '-f', keys[name]]);
    // ssh-keygen's own MD5 fingerprint: the builder's must match it for a key to be found.
    if (name !== 'stranger') users.set(md5Fingerprint(`${keys[name]}.pub`), name);
  }
  const builds: BuildRecord[] = [];
  const log: string[] = [];
  const start = () =>
    startBuilder({
      home,
      port: 0,
      host: '127.0.0.1',
      lookupKey: (fp) => (users.has(fp) ? [users.get(fp)!] : []),
      // The harness names each app's repository after the app (the core uses the app's uuid).
      authorize: (holders, app) =>
        !OWNERS[app]
          ? { kind: 'no-app' }
          : holders.includes(OWNERS[app])
            ? { kind: 'ok', user: OWNERS[app], appUuid: app }
            : { kind: 'forbidden' },
      limits: options.limits,
      build: fakeBuild(builds),
      log: (line) => log.push(line),
    });
  const h: Harness = {
    dir,
    home,
    builder: await start(),
    keys,
    builds,
    log,
    restart: async () => {
      await h.builder.stop();
      h.builder = await start();
    },
    stop: async () => {
      await h.builder.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export function sshCommand(h: Harness, key: string): string {
  return [
    'ssh',
    `-i ${key}`,
    '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes',
    '-o BatchMode=yes -o LogLevel=ERROR',
    `-p ${h.builder.port}`,
  ].join(' ');
}

export function remote(h: Harness, app: string): string {
  return `ssh://git@127.0.0.1:${h.builder.port}/${app}.git`;
}

/** Git without the machine's or user's config, so the tests see git's defaults. */
export function gitEnv(h: Harness, key: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_SSH_COMMAND: sshCommand(h, key),
  };
}

/** A work tree with one commit whose message steers the fake build. */
export function workTree(h: Harness, name: string, message: string): string {
  const dir = fs.mkdtempSync(path.join(h.dir, `${name}-`));
  const env = gitEnv(h, h.keys.alice);
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env });
  fs.writeFileSync(path.join(dir, 'README'), `${name}: ${message}\n`);
  execFileSync('git', ['add', '.'], { cwd: dir, env });
  execFileSync('git', ['commit', '-q', '-m', message], { cwd: dir, env });
  return dir;
}

export function commit(h: Harness, dir: string, message: string): string {
  const env = gitEnv(h, h.keys.alice);
  fs.appendFileSync(path.join(dir, 'README'), `${message}\n`);
  execFileSync('git', ['commit', '-q', '-am', message], { cwd: dir, env });
  return head(dir);
}

export function head(dir: string, ref = 'HEAD'): string {
  return execFileSync('git', ['rev-parse', ref], { cwd: dir, encoding: 'utf8' }).trim();
}

/** The app's ref in the builder's bare repo, or undefined if it does not exist. */
export function builderRef(h: Harness, app: string, ref = 'refs/heads/main'): string | undefined {
  try {
    return execFileSync(
      'git',
      ['--git-dir', path.join(h.home, 'repos', `${app}.git`), 'rev-parse', '-q', '--verify', ref],
      {
        encoding: 'utf8',
      },
    ).trim();
  } catch {
    return undefined;
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each stderr line with the milliseconds since the start at which it arrived. */
  lines: { at: number; text: string }[];
  ms: number;
}

export interface Running {
  pid: number;
  /** Resolves at the first stderr line matching. */
  waitFor(pattern: RegExp): Promise<void>;
  done: Promise<Run>;
}

/** Starts a command in its own process group, so a test can Ctrl-C it like a terminal would. */
export function start(
  cmd: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Running {
  const t0 = Date.now();
  const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const run: Run = { code: null, stdout: '', stderr: '', lines: [], ms: 0 };
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    run.stderr += d.toString();
    partial += d.toString();
    const parts = partial.split(/\r?\n|\r/);
    partial = parts.pop()!;
    for (const text of parts) {
      run.lines.push({ at: Date.now() - t0, text: text.trimEnd() });
      for (const w of waiters.filter((w) => w.pattern.test(text))) w.resolve();
    }
  });
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      run.code = code;
      run.ms = Date.now() - t0;
      resolve(run);
    }),
  );
  return {
    pid: child.pid!,
    waitFor: (pattern) =>
      run.lines.some((l) => pattern.test(l.text))
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ pattern, resolve })),
    done,
  };
}

export function push(h: Harness, dir: string, app: string, key = h.keys.alice, ...args: string[]): Running {
  return start('git', ['push', remote(h, app), 'main', ...args], { cwd: dir, env: gitEnv(h, key) });
}

export function ssh(h: Harness, key: string, ...args: string[]): Promise<Run> {
  const [cmd, ...base] = sshCommand(h, key).split(/\s+/);
  return start(cmd!, [...base, 'git@127.0.0.1', ...args], { env: process.env }).done;
}

/** Clones an app from the builder (never with a sync exec: the builder answers from this process). */
export async function clone(h: Harness, app: string, key = h.keys.alice): Promise<string> {
  const dir = path.join(fs.mkdtempSync(path.join(h.dir, `clone-${app}-`)), app);
  const r = await start('git', ['clone', '-q', remote(h, app), dir], { env: gitEnv(h, key) }).done;
  if (r.code !== 0) throw new Error(`git clone ${app} failed: ${r.stderr}`);
  return dir;
}
