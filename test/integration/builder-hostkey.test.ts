// The builder's host key: a valid OpenSSH key, made once and served again after a restart.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssh, start, startHarness, type Harness } from './builder-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

/** The host key as an SSH client sees it on the wire. */
async function servedKey(): Promise<string> {
  const r = await start('ssh-keyscan', ['-t', 'ed25519', '-p', String(h.builder.port), '127.0.0.1'], {
    env: process.env,
  }).done;
  return r.stdout.trim().split(/\s+/).slice(1, 3).join(' ');
}

describe('the builder host key', () => {
  it('is kept in <home>/builder/ssh_host_key, private, and is what the server presents', async () => {
    const file = path.join(h.home, 'builder', 'ssh_host_key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const pub = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    expect(pub).toMatch(/^ssh-ed25519 /);
    expect(pub.startsWith(await servedKey())).toBe(true);
  });

  it('stays the same across a restart, so known_hosts entries stay valid', async () => {
    const file = path.join(h.home, 'builder', 'ssh_host_key');
    const before = fs.readFileSync(file, 'utf8');
    const served = await servedKey();
    await h.restart();
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(await servedKey()).toBe(served);
    expect((await ssh(h, h.keys.alice, 'ping')).stdout).toBe('pong\n');
  });
});
