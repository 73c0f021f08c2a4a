/**
 * The cluster's daemons: started detached with their logs in the state folder, and stopped only by
 * the pid recorded at start, and only while that pid still runs the recorded program.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Daemon {
  name: string;
  pid: number;
  /** The program the pid ran when started; a pid running anything else is not ours any more. */
  exe: string;
  log: string;
}

export function startDaemon(
  name: string,
  exe: string,
  args: string[],
  logDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Daemon {
  const log = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(log, 'a');
  try {
    const child = spawn(exe, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${exe}`);
    child.unref();
    return { name, pid: child.pid, exe, log };
  } finally {
    fs.closeSync(fd);
  }
}

/** The pid's command line, or undefined when it is gone or a zombie (already stopped, not yet reaped). */
export function commandLine(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** True while the pid runs the program it was started with. */
export function isOurs(daemon: Pick<Daemon, 'pid' | 'exe'>): boolean {
  const argv = commandLine(daemon.pid);
  return argv !== undefined && argv[0] === daemon.exe;
}

export function isRunning(daemon: Daemon): boolean {
  return isOurs(daemon);
}

/** SIGTERM, then SIGKILL after graceMs; returns once the pid no longer runs our program. */
export async function stopDaemon(daemon: Pick<Daemon, 'pid' | 'exe'>, graceMs = 10_000): Promise<void> {
  if (!isOurs(daemon)) return;
  process.kill(daemon.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isOurs(daemon)) return;
  }
  if (isOurs(daemon)) process.kill(daemon.pid, 'SIGKILL');
  for (let i = 0; i < 50 && isOurs(daemon); i++) await sleep(100);
}

/** Pids of processes whose command line contains every one of the given words (containerd's shims). */
export function findProcesses(program: string, words: string[]): Array<{ pid: number; exe: string }> {
  const found: Array<{ pid: number; exe: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = commandLine(Number(entry));
    if (!argv?.[0] || path.basename(argv[0]) !== program) continue;
    if (words.every((w) => argv.includes(w))) found.push({ pid: Number(entry), exe: argv[0]! });
  }
  return found;
}

/** Resident memory of the pids, in MiB. */
export function residentMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kib += Number(m[1]);
    } catch {
      // gone
    }
  }
  return Math.round(kib / 1024);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
