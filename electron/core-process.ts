/**
 * The core in an Electron utilityProcess (the same entry as `npm run serve`): started on a free port
 * with the desktop user, watched until it says it is ready, and stopped cleanly on quit.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { utilityProcess, type UtilityProcess } from 'electron';
import type { CoreAccess, CoreMessage, ShellMessage } from '../main/contract/ipc';

export type CoreState =
  | { state: 'starting' }
  | { state: 'ready'; access: CoreAccess; builderPort: number; routerPort: number }
  | { state: 'failed'; message: string }
  | { state: 'stopped' };

const STOP_GRACE_MS = 8_000;

/** A port nobody listens on now (the OS picks it), unless DEIS_API_PORT says which. */
function freePort(): Promise<number> {
  const wanted = Number(process.env.DEIS_API_PORT);
  if (Number.isInteger(wanted) && wanted > 0) return Promise.resolve(wanted);
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class CoreProcess {
  private child: UtilityProcess | undefined;
  private current: CoreState = { state: 'starting' };
  private readonly listeners = new Set<(s: CoreState) => void>();

  constructor(
    private readonly entry: string,
    private readonly home: string,
    private readonly uiDir: string,
  ) {}

  get state(): CoreState {
    return this.current;
  }

  onChange(fn: (s: CoreState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves with the address and token once the core is ready; rejects if it fails to start. */
  access(): Promise<CoreAccess> {
    const s = this.current;
    if (s.state === 'ready') return Promise.resolve(s.access);
    if (s.state === 'failed' || s.state === 'stopped')
      return Promise.reject(new Error(s.state === 'failed' ? s.message : 'The core is stopped.'));
    return new Promise((resolve, reject) => {
      const off = this.onChange((next) => {
        if (next.state === 'ready') resolve(next.access);
        else if (next.state === 'failed') reject(new Error(next.message));
        else return;
        off();
      });
    });
  }

  async start(): Promise<void> {
    this.set({ state: 'starting' });
    const port = await freePort();
    const child = utilityProcess.fork(this.entry, [], {
      serviceName: 'Deis Desktop core',
      stdio: 'inherit',
      env: {
        ...process.env,
        DEIS_HOME: this.home,
        DEIS_API_PORT: String(port),
        DEIS_UI_DIR: this.uiDir,
        DEIS_DESKTOP_USER: '1',
      },
    });
    this.child = child;
    child.on('message', (message: CoreMessage) => {
      if (message.type === 'failed') this.set({ state: 'failed', message: message.message });
      if (message.type !== 'ready') return;
      const token = message.tokenFile ? fs.readFileSync(message.tokenFile, 'utf8').trim() : '';
      this.set({
        state: 'ready',
        access: { apiUrl: message.apiUrl, token, cliProfile: message.cliProfile },
        builderPort: message.builderPort,
        routerPort: message.routerPort,
      });
    });
    child.on('exit', (code) => {
      this.child = undefined;
      if (this.current.state === 'starting' || this.current.state === 'ready')
        this.set({ state: 'failed', message: `The core stopped unexpectedly (exit code ${code}).` });
    });
  }

  /** Asks the core to stop (it finishes its work and closes its servers); kills it after a grace. */
  stop(): Promise<void> {
    const child = this.child;
    this.set({ state: 'stopped' });
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill(), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.postMessage({ type: 'stop' } satisfies ShellMessage);
    });
  }

  private set(s: CoreState): void {
    this.current = s;
    for (const fn of this.listeners) fn(s);
  }
}

/** Where the bundle keeps things, relative to out/electron/main.js. */
export const bundlePaths = (here: string) => ({
  coreEntry: path.join(here, 'core.js'),
  preload: path.join(here, '../preload/preload.cjs'),
  uiDir: path.join(here, '../renderer'),
  resources: path.join(here, '../../resources'),
});
