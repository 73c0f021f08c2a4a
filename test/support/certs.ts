/** Real test certificates, made with openssl at test time so none ever expire in the repository. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCert {
  certificate: string;
  key: string;
}

/** A self-signed certificate for `cn` with the given DNS names (and one IP, which must be ignored). */
export function makeCert(
  cn: string,
  dnsNames: string[] = [],
  subject = `/C=US/ST=CA/O=Acme/CN=${cn}`,
): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-cert-'));
  try {
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', subject];
    args.push('-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'));
    if (dnsNames.length > 0)
      args.push('-addext', `subjectAltName=${[...dnsNames.map((d) => `DNS:${d}`), 'IP:10.0.0.1'].join(',')}`);
    execFileSync('openssl', args, { stdio: 'ignore' });
    return {
      certificate: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An SSH public key line of the given type, made with ssh-keygen. */
export function makeSshKey(type: 'rsa' | 'ed25519' | 'ecdsa' | 'dsa', comment = 'me@laptop'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-key-'));
  try {
    const file = path.join(dir, 'id');
    const bits = type === 'rsa' ? ['-b', '2048'] : [];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', comment, '-f', file], {
      stdio: 'ignore',
    });
    return fs.readFileSync(`${file}.pub`, 'utf8').trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `ssh-keygen -l -E md5` of a public key line, without the `MD5:` prefix. */
export function sshKeygenMd5(publicKey: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-key-'));
  try {
    fs.writeFileSync(path.join(dir, 'k.pub'), publicKey + '\n');
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', path.join(dir, 'k.pub')], {
      encoding: 'utf8',
    });
    return /MD5:([0-9a-f:]+)/.exec(out)![1]!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** A fresh `ssh-ed25519 AAAA... comment` line made in-process: for sweeps that need hundreds. */
export function quickEd25519Key(comment = 'test@deis'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
