/** Runs the real `deis` CLI (through resources/bin/deis) as a child process with its own HOME. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEIS_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../resources/bin/deis',
);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Written to stdin, which is then closed. */
  input?: string;
  env?: Record<string, string | undefined>;
}

/** A user's machine: a HOME folder and a working folder, and `deis` run as that user. */
export class CliUser {
  readonly home: string;
  readonly work: string;

  constructor(root = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-cli-'))) {
    this.home = path.join(root, 'home');
    this.work = path.join(root, 'work');
    fs.mkdirSync(this.home, { recursive: true });
    fs.mkdirSync(this.work, { recursive: true });
  }

  run(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: this.home,
      DEIS_PROFILE: undefined,
      ...options.env,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    return new Promise((resolve, reject) => {
      const child = spawn(DEIS_BIN, args, { cwd: options.cwd ?? this.work, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(options.input ?? '');
    });
  }

  /** A fresh git repository under the working folder. */
  gitRepo(name: string): string {
    const dir = path.join(this.work, name);
    fs.mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q');
    return dir;
  }

  remove(): void {
    fs.rmSync(path.dirname(this.home), { recursive: true, force: true });
  }
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}
