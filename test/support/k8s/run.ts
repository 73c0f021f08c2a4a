/** Small helpers to run host commands for the test cluster, with the output kept for errors. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr here instead of keeping them (long builds). */
  logFd?: number;
  input?: string;
}

/** Runs a command to its end; throws with the command and the tail of its output when it fails. */
export function run(cmd: string, args: string[], options: RunOptions = {}): string {
  const result = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
    stdio: options.logFd === undefined ? 'pipe' : ['ignore', options.logFd, options.logFd],
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (result.error) throw new Error(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}\n${tail}`);
  }
  return result.stdout ?? '';
}

/** Like run, but never throws: for undo steps where "already gone" is fine. */
export function tryRun(cmd: string, args: string[], options: RunOptions = {}): boolean {
  try {
    run(cmd, args, options);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a long command without blocking the event loop (builds), output to logFd. With `nice`, it
 * runs in a session of its own whose autogroup gets that niceness too: where the kernel groups tasks
 * by session (sched_autogroup), a task's own niceness only ranks it within its session, and only the
 * autogroup's makes a build yield to other people's work.
 */
export function runAsync(
  cmd: string,
  args: string[],
  options: RunOptions & { logFd: number; nice?: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv =
      options.nice === undefined ? [cmd, ...args] : ['nice', '-n', String(options.nice), cmd, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', options.logFd, options.logFd],
      detached: options.nice !== undefined,
    });
    if (options.nice !== undefined && child.pid !== undefined) {
      try {
        fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(options.nice));
      } catch {
        // no autogroup on this kernel: plain niceness is what counts there
      }
    }
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

/** True when the command is on PATH. */
export function haveCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', name], { stdio: 'ignore' }).status === 0;
}
