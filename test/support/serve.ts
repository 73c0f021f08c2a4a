/**
 * `npm run serve` in a child process on the fake target: a core whose memory can be measured apart
 * from the test's own, and whose refusal to start is what a user would see (exit code and message).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ServedCore {
  url: string;
  child: ChildProcess;
  /** Resident memory of the core's process in bytes (Linux /proc). */
  rss(): number;
  stop(): Promise<void>;
}

export interface ServeOutcome {
  /** Set when the core started. */
  core?: ServedCore;
  /** Set when it exited instead. */
  exitCode?: number | null;
  output: string;
}

/** Starts the core on `home`; resolves once it is ready, or once it has exited. */
export function serve(home: string, env: Record<string, string> = {}): Promise<ServeOutcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/serve.ts'], {
    env: {
      ...process.env,
      DEIS_TARGET: 'fake',
      DEIS_HOME: home,
      DEIS_API_PORT: '0',
      DEIS_BUILDER_PORT: '0',
      DEIS_ROUTER_PORT: '0',
      DEIS_ROUTER_TLS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /core ready: API (http:\/\/\S+)/.exec(output);
      if (!m) return;
      resolve({
        output,
        core: {
          url: m[1]!,
          child,
          rss: () =>
            Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => resolve({ exitCode: code, output }));
  });
}
