/**
 * A real image registry for the cluster's tests: Debian's `docker-registry` (Distribution 2.8) on
 * 127.0.0.1 with htpasswd basic auth, storing into the state folder. Docker pushes to 127.0.0.1
 * over plain HTTP without extra setup; the private containerd is told to pull from it (hosts.toml).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Journal } from './journal';
import { startDaemon } from './processes';
import { haveCommand, run } from './run';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface Registry {
  /** host:port, as image names and DEIS_REGISTRY use it. */
  address: string;
  username: string;
  password: string;
}

export function missingRegistryPackages(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(REGISTRY_BINARY)) missing.push('docker-registry');
  if (!haveCommand('htpasswd')) missing.push('apache2-utils');
  return missing;
}

export function startRegistry(journal: Journal, dir: string, port: number, logDir: string): Registry {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const username = 'deis-test';
  const password = crypto.randomBytes(18).toString('base64url');
  // Distribution accepts only bcrypt entries.
  const htpasswd = path.join(dir, 'htpasswd');
  fs.writeFileSync(htpasswd, run('htpasswd', ['-nbB', username, password]).trim() + '\n', { mode: 0o600 });
  const address = `127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      `  secret: ${crypto.randomBytes(16).toString('hex')}`,
      'auth:',
      '  htpasswd:',
      '    realm: deis-desktop-test',
      `    path: ${htpasswd}`,
      '',
    ].join('\n'),
  );
  const daemon = startDaemon('registry', REGISTRY_BINARY, ['serve', config], logDir);
  journal.record({ kind: 'daemon', daemon });
  return { address, username, password };
}

/** containerd's per-host config: pull from this registry over plain HTTP. */
export function writeContainerdHosts(certsDir: string, registry: string): void {
  const dir = path.join(certsDir, registry);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'hosts.toml'),
    `server = "http://${registry}"\n\n[host."http://${registry}"]\n  capabilities = ["pull", "resolve"]\n`,
  );
}

/** True once the registry answers its API root (401 without credentials is an answer). */
export async function registryAnswers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`);
    return res.status === 401 || res.status === 200;
  } catch {
    return false;
  }
}
