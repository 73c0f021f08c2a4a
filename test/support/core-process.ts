/**
 * A core in its own process (`main/serve.ts`, as `npm run serve` starts it), so a test can kill it
 * with SIGKILL the way a crash would, and start another on the same DEIS_HOME.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CoreProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** SIGKILL: no cleanup of any kind. */
  kill(): Promise<void>;
}

export interface CoreProcessOptions {
  home: string;
  instance: string;
  apiPort: number;
  routerPort: number;
  routerBase: string;
  /** More environment (DEIS_TARGET=kubernetes and its settings). */
  env?: Record<string, string>;
}

export function startCoreProcess(o: CoreProcessOptions): Promise<CoreProcess> {
  // One process (tsx as a loader, not its CLI, which would run the core in a child SIGKILL misses).
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/serve.ts'], {
    env: {
      ...process.env,
      DEIS_HOME: o.home,
      DEIS_INSTANCE: o.instance,
      DEIS_API_PORT: String(o.apiPort),
      DEIS_ROUTER_PORT: String(o.routerPort),
      DEIS_ROUTER_TLS_PORT: '0',
      DEIS_BUILDER_PORT: '0',
      DEIS_ROUTER_BASE: o.routerBase,
      DEIS_TARGET: 'docker',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const text = output.join('');
      const m = /core ready: API (http:\/\/\S+)/.exec(text);
      // The API answers at once; the target adopts what runs in the background: wait for both.
      if (m && /target: (ready|not ready)/.test(text))
        resolve({
          url: m[1]!,
          child,
          output,
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`core exited with ${code}: ${output.join('')}`)));
  });
}
