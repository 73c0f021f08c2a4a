// The builder's small rules: which exec commands run, which refs build, fingerprints, pkt-lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintMd5 } from '../../main/builder/auth';
import { parseExecCommand } from '../../main/builder/command';
import { pktLine } from '../../main/builder/git-session';
import { quarantineEnv } from '../../main/builder/prereceive';
import { parseRefUpdates, updatesToBuild } from '../../main/builder/refs';

const ZERO = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('exec commands', () => {
  it('reads the repo path the ways git clients send it', () => {
    for (const path of ["'myapp.git'", "'/myapp.git'", '"myapp.git"', 'myapp.git', '/myapp.git/', "'myapp'"])
      expect(parseExecCommand(`git-receive-pack ${path}`), path).toEqual({
        kind: 'git',
        service: 'git-receive-pack',
        app: 'myapp',
      });
    expect(parseExecCommand("git upload-pack 'my-app-2.git'")).toEqual({
      kind: 'git',
      service: 'git-upload-pack',
      app: 'my-app-2',
    });
  });

  it('refuses repo paths that are not an app name', () => {
    for (const path of [
      "'../etc.git'",
      "'a/b.git'",
      "'My-App.git'",
      "''",
      "'.git'",
      "'a..b.git'",
      "'/x/../y.git'",
    ])
      expect(parseExecCommand(`git-receive-pack ${path}`).kind, path).toBe('bad-repo');
  });

  it('knows ping and nothing else', () => {
    expect(parseExecCommand('ping')).toEqual({ kind: 'ping' });
    for (const command of [
      'ls',
      'git-upload-archive myapp.git',
      'ping; ls',
      'sh -c ping',
      'git-receive-pack',
    ])
      expect(parseExecCommand(command).kind, command).toBe('unknown');
  });
});

describe('ref updates', () => {
  it('builds new and updated branches, and neither tags nor deletions', () => {
    const updates = parseRefUpdates(
      [
        `${ZERO} ${A} refs/heads/main`,
        `${A} ${B} refs/heads/dev`,
        `${A} ${ZERO} refs/heads/old`,
        `${ZERO} ${B} refs/tags/v1`,
        '',
      ].join('\n'),
    );
    expect(updates).toHaveLength(4);
    expect(updatesToBuild(updates)).toEqual([
      { oldSha: ZERO, newSha: A, ref: 'refs/heads/main' },
      { oldSha: A, newSha: B, ref: 'refs/heads/dev' },
    ]);
  });

  it('throws on a line git would never send', () => {
    expect(() => parseRefUpdates(`${A} ${B}`)).toThrow(/Unexpected ref update line/);
  });
});

describe('MD5 fingerprints', () => {
  it('match ssh-keygen -E md5 -l', () => {
    const blob = (line: string) => Buffer.from(line.split(' ')[1]!, 'base64');
    expect(
      fingerprintMd5(
        blob('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF7rD3hoE0Cg0Pda3OYhEnXiTbO5wh23492+B+EHl7/i'),
      ),
    ).toBe('4f:c2:ff:a5:aa:26:12:63:40:d7:28:a3:f2:99:f3:a1');
    expect(
      fingerprintMd5(
        blob(
          'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC4N04j+s5fWrMJz30ahsNsWRnUgX9kAzhtP+kCmvEae4vQerR4Ek5fZlEaq687PdktHnKr0JR8KzI5wK4sCtg64IyPJR3QZ7KP3Ky3sRhZm/MkJUO8OJamLctzvT3Y0zQV1ukgu2wXeg6EDXfCUH2xfOHR+op0X/Q6ZmWH2o7ZxQ==',
        ),
      ),
    ).toBe('0f:23:ad:9f:b7:b4:dd:ce:fc:1e:5e:94:da:ac:a4:1c');
  });
});

describe('pkt-lines', () => {
  it('count the 4 length bytes and the text in bytes', () => {
    expect(pktLine('ERR x\n')).toBe('000aERR x\n');
    expect(pktLine('é\n')).toBe('0007é\n');
  });
});

describe("git's quarantine paths from the hook", () => {
  it('are passed on only when they point inside the repo’s objects', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-q-'));
    const objects = path.join(fs.realpathSync(repo), 'objects');
    const incoming = path.join(objects, 'incoming-abc');
    const logged: string[] = [];
    const env = quarantineEnv(
      {
        GIT_OBJECT_DIRECTORY: incoming,
        GIT_QUARANTINE_PATH: incoming,
        GIT_ALTERNATE_OBJECT_DIRECTORIES: `${objects}${path.delimiter}/etc`,
        GIT_DIR: '/elsewhere',
      },
      repo,
      (l) => logged.push(l),
    );
    expect(env).toEqual({ GIT_OBJECT_DIRECTORY: incoming, GIT_QUARANTINE_PATH: incoming });
    expect(logged.join()).toContain('GIT_ALTERNATE_OBJECT_DIRECTORIES');
    expect(quarantineEnv({ GIT_OBJECT_DIRECTORY: `${objects}/../../x` }, repo, () => {})).toEqual({});
    fs.rmSync(repo, { recursive: true });
  });
});
