/** `git push` over real OpenSSH to the core's builder, as a user would run it (always asynchronous:
 * the core answers from the test's own process, so a synchronous git would deadlock). */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Api } from './core';

export interface PushResult {
  code: number | null;
  output: string;
  /** Lines the builder sent, without the `remote: ` prefix. */
  remote: string[];
  ms: number;
}

export class Pusher {
  readonly keyFile: string;
  private readonly dir: string;

  constructor(
    private readonly builderPort: number,
    name = 'pusher',
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `deis-${name}-`));
    this.keyFile = path.join(this.dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', this.keyFile]);
  }

  /** Registers this pusher's public key with the user behind `api`. */
  async addKeyTo(api: Api, id = 'test-key'): Promise<void> {
    const r = await api.post('/v2/keys/', {
      id,
      public: fs.readFileSync(`${this.keyFile}.pub`, 'utf8').trim(),
    });
    if (r.status !== 201) throw new Error(`keys:add: ${r.status} ${r.text}`);
  }

  remoteUrl(app: string): string {
    return `ssh://git@127.0.0.1:${this.builderPort}/${app}.git`;
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      GIT_SSH_COMMAND: `ssh -i ${this.keyFile} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR`,
      GIT_TERMINAL_PROMPT: '0',
    };
  }

  /** Pushes HEAD of `work` to the app's builder; `onSpawn` gets the child (to kill it half-way). */
  push(work: string, app: string, onSpawn?: (child: ReturnType<typeof spawn>) => void): Promise<PushResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['push', this.remoteUrl(app), 'HEAD:refs/heads/main'], {
        cwd: work,
        env: this.env(),
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({
          code,
          output,
          remote: output
            .split('\n')
            .filter((l) => l.startsWith('remote: '))
            .map((l) => l.slice('remote: '.length).trimEnd()),
          ms: Date.now() - started,
        }),
      );
      onSpawn?.(child);
    });
  }

  /** Runs git with this pusher's key (e.g. `ls-remote`, `clone`), in `cwd`. */
  run(args: string[], cwd = this.dir): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd, env: this.env() });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
