/**
 * known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed names,
 * `[host]:port`, patterns and negation, @revoked; keys accepted only into our own file; ssh://
 * addresses checked before anything connects.
 */
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSshUrl } from '../../cluster/ssh/address';
import {
  checkHostKey,
  fingerprint,
  hostMatches,
  keyType,
  presented,
  trustHostKey,
} from '../../cluster/ssh/known-hosts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-known-hosts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real key pair's public blob, and its line's type and base64. */
function hostKey(name: string): { blob: Buffer; type: string; b64: string; pub: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const [type, b64] = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/) as [string, string];
  return { blob: Buffer.from(b64, 'base64'), type, b64, pub: `${file}.pub` };
}

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const hashed = (name: string) => {
  const salt = Buffer.from('0123456789abcdef0123');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

describe('known_hosts', () => {
  const a = hostKey('a');
  const b = hostKey('b');

  it('reads the key type and prints the fingerprint as ssh-keygen does', () => {
    expect(keyType(a.blob)).toBe('ssh-ed25519');
    const printed = execFileSync('ssh-keygen', ['-lf', a.pub], { encoding: 'utf8' }).split(/\s+/)[1];
    expect(fingerprint(a.blob)).toBe(printed);
  });

  it('matches plain, hashed, [host]:port, wildcard and negated names', () => {
    expect(hostMatches('build.example,10.0.0.5', 'build.example')).toBe(true);
    expect(hostMatches('[build.example]:2222', '[build.example]:2222')).toBe(true);
    expect(hostMatches('build.example', '[build.example]:2222')).toBe(false);
    expect(hostMatches(hashed('[10.0.0.5]:2222'), '[10.0.0.5]:2222')).toBe(true);
    expect(hostMatches(hashed('10.0.0.5'), '10.0.0.6')).toBe(false);
    expect(hostMatches('*.example,!evil.example', 'build.example')).toBe(true);
    expect(hostMatches('*.example,!evil.example', 'evil.example')).toBe(false);
    expect(hostMatches('build?.example', 'build1.example')).toBe(true);
    expect(hostMatches('build.example', 'build.examplexx')).toBe(false);
  });

  it('says known, unknown, changed (with the line) or revoked', () => {
    const f = file(
      'kh1',
      `# comment\n@cert-authority *.example ${b.type} ${b.b64}\n[h.example]:2222 ${a.type} ${a.b64}\n`,
    );
    expect(checkHostKey([f], 'h.example', 2222, a.blob)).toEqual({ state: 'known', file: f });
    expect(checkHostKey([f], 'h.example', 22, a.blob)).toEqual({ state: 'unknown', otherTypes: [] });
    // A cert-authority line is not a host key of the host.
    expect(checkHostKey([f], 'x.example', 22, b.blob).state).toBe('unknown');
    expect(checkHostKey([f], 'h.example', 2222, b.blob)).toEqual({
      state: 'changed',
      file: f,
      line: 3,
      knownFingerprint: fingerprint(a.blob),
    });
    const revoked = file('kh2', `@revoked * ${b.type} ${b.b64}\n`);
    expect(checkHostKey([f, revoked], 'h.example', 2222, b.blob)).toEqual({
      state: 'revoked',
      file: revoked,
      line: 1,
    });
    // A missing file is an empty one.
    expect(checkHostKey([path.join(dir, 'none')], 'h.example', 22, a.blob).state).toBe('unknown');
  });

  it('accepts an unknown key into our file only, and refuses to accept over a changed one', () => {
    const users = file('user', `other.example ${b.type} ${b.b64}\n`);
    const ours = path.join(dir, 'deis', 'ssh', 'known_hosts');
    trustHostKey([users], ours, presented('new.example', 2200, a.blob));
    expect(fs.readFileSync(ours, 'utf8')).toBe(`[new.example]:2200 ${a.type} ${a.b64}\n`);
    expect(fs.readFileSync(users, 'utf8')).toBe(`other.example ${b.type} ${b.b64}\n`);
    // Twice is once.
    trustHostKey([users], ours, presented('new.example', 2200, a.blob));
    expect(fs.readFileSync(ours, 'utf8').split('\n')).toHaveLength(2);
    expect(() => trustHostKey([users], ours, presented('other.example', 22, a.blob))).toThrow(
      `The host key of other.example is not accepted: ${users} line 1 holds another key for it; if you know why it changed, edit that line yourself.`,
    );
    expect(() =>
      trustHostKey([users], ours, {
        ...presented('x.example', 22, a.blob),
        key: 'AAAA\nevil.example ssh-rsa AAAA',
      }),
    ).toThrow(/not a key ssh printed/);
  });
});

describe('ssh:// addresses', () => {
  it('takes user@host[:port] and IPv6 literals', () => {
    expect(parseSshUrl('ssh://deploy@build.example')).toEqual({
      user: 'deploy',
      host: 'build.example',
      port: 22,
    });
    expect(parseSshUrl('ssh://root@[::1]:2222')).toEqual({ user: 'root', host: '::1', port: 2222 });
  });

  it('refuses what is not one, saying what to fix and never repeating a password', () => {
    const bad = (raw: string) => () => parseSshUrl(raw, 'The Docker host');
    expect(bad('tcp://deploy@build.example')).toThrow('is not an ssh:// address');
    expect(bad('ssh://build.example')).toThrow('names no user');
    expect(bad('ssh://-oProxyCommand=x@build.example')).toThrow('names a user that is not a login name');
    expect(bad('ssh://deploy:hunter2@build.example')).toThrow(
      'The Docker host "ssh://deploy:***@build.example" holds a password (use a key or the SSH agent); write it as ssh://user@host[:port].',
    );
    expect(bad('ssh://deploy@build.example/var/run/docker.sock')).toThrow('has a path or query');
    expect(bad(`ssh://deploy@${'a'.repeat(600)}.example`)).toThrow('is longer than 512 characters');
  });
});
