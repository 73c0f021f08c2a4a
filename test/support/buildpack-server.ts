/**
 * A git server for BUILDPACK_URL tests. Builds fetch their buildpack inside the build container, whose
 * 127.0.0.1 is its own, so a server on the host's loopback is out of reach (as it should be). This one
 * runs in a container of the stack image on Docker's default bridge, serving bare repositories over
 * git:// (git daemon, port 9418) and dumb HTTP (python's http.server, port 8000, which ignores any
 * credentials in the URL); a build container reaches it at its bridge address, as it would a git host.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_STACK_IMAGE } from '../../main/builder/stack';
import { docker, instanceName, sleep } from './run-stage';
import { git } from './git';

export interface BuildpackServer {
  /** The server's address on the bridge. */
  ip: string;
  gitUrl(repo: string): string;
  httpUrl(repo: string, credentials?: string): string;
  stop(): Promise<void>;
}

function portOpen(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Serves each `name → work tree` as `/srv/<name>.git`. */
export async function startBuildpackServer(
  label: string,
  repos: Record<string, string>,
): Promise<BuildpackServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-bpserver-'));
  const srv = path.join(dir, 'srv');
  fs.mkdirSync(srv);
  for (const [name, work] of Object.entries(repos)) {
    const bare = path.join(srv, `${name}.git`);
    git(dir, 'clone', '-q', '--bare', work, bare);
    git(bare, 'update-server-info');
  }
  const name = instanceName(`bpserver-${label}`);
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  const container = await docker.createContainer({
    name,
    Image: DEFAULT_STACK_IMAGE,
    Cmd: [
      'bash',
      '-c',
      'git daemon --reuseaddr --export-all --base-path=/srv /srv & cd /srv && exec python3 -m http.server 8000',
    ],
  });
  const tar = spawn('tar', ['-c', '-C', dir, 'srv'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await container.putArchive(tar.stdout, { path: '/' });
  await container.start();
  const ip = (await container.inspect()).NetworkSettings.Networks.bridge?.IPAddress ?? '';
  for (let i = 0; i < 100 && !((await portOpen(ip, 9418)) && (await portOpen(ip, 8000))); i++)
    await sleep(100);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    ip,
    gitUrl: (repo) => `git://${ip}/${repo}.git`,
    httpUrl: (repo, credentials) => `http://${credentials ? `${credentials}@` : ''}${ip}:8000/${repo}.git`,
    stop: async () => {
      await container.remove({ force: true }).catch(() => undefined);
    },
  };
}

/** `git ls-remote` from the host, to check the server before a test relies on it. */
export function lsRemote(url: string): string {
  return execFileSync('git', ['ls-remote', url], { encoding: 'utf8' });
}
