/**
 * A real image registry for tests on a machine that reaches none: Debian's `docker-registry` (the
 * Distribution registry) on 127.0.0.1 with basic auth, storage in a temp folder. Docker pulls from
 * 127.0.0.0/8 over plain HTTP by default (those addresses are insecure-allowed), so no daemon change.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { dockerEngine } from '../../cluster/docker/engine';
import { freePort } from './run-stage';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  username: string;
  password: string;
  /** Env for a core that may pull from it (DEIS_REGISTRY, DEIS_REGISTRY_USERNAME, DEIS_REGISTRY_PASSWORD). */
  env: Record<string, string>;
  /** Tags `source` as `<host>/<name>`, pushes it, and removes that tag from the engine again. */
  push(source: string, name: string): Promise<string>;
  /**
   * Holds every manifest request until `release`: a pull starts (the engine's registry check passes,
   * which gives up after 15 s) and then waits, as on a slow line, for as long as a test needs.
   */
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

/** Whether `docker-registry` and `htpasswd` are installed (.ci/run installs them). */
export function registryAvailable(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker-registry && command -v htpasswd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    return res.status === 401 || res.status === 200;
  } catch {
    return false;
  }
}

export async function startRegistry(
  username = 'deis-test',
  password = 'test-registry-pw',
): Promise<TestRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-registry-'));
  const port = await freePort();
  const htpasswd = path.join(dir, 'htpasswd');
  fs.writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', username, password]));
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}" }`,
      `auth: { htpasswd: { realm: deis-test, path: ${htpasswd} } }`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await answers(`http://127.0.0.1:${port}/v2/`))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // In front of it, a proxy that can hold manifest requests.
  let held: (() => void)[] | undefined;
  const proxy = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (held && req.url?.includes('/manifests/')) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
  const docker = dockerEngine();
  const authconfig = { username, password, serveraddress: host };
  return {
    host,
    username,
    password,
    env: { DEIS_REGISTRY: host, DEIS_REGISTRY_USERNAME: username, DEIS_REGISTRY_PASSWORD: password },
    async push(source, name) {
      const ref = `${host}/${name}`;
      const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
      await docker.getImage(source).tag({ repo, tag });
      try {
        const stream = (await docker.getImage(ref).push({ authconfig })) as NodeJS.ReadableStream;
        const error = await new Promise<string | undefined>((resolve, reject) => {
          let failure: string | undefined;
          docker.modem.followProgress(
            stream,
            (err: Error | null) => (err ? reject(err) : resolve(failure)),
            (m: { error?: string }) => {
              if (m.error) failure = m.error;
            },
          );
        });
        if (error) throw new Error(`push ${ref}: ${error}`);
      } finally {
        // The engine must not have it: the core under test pulls it.
        await docker.getImage(ref).remove({ noprune: true });
      }
      return ref;
    },
    hold: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const forward of waiting) forward();
    },
    async stop() {
      const waiting = held ?? [];
      held = undefined;
      for (const forward of waiting) forward();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
