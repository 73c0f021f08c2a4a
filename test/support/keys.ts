/** Real key material for tests: OpenSSH public keys and self-signed certificates made on the spot. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** A fresh `ssh-ed25519 AAAA... comment` public key line. */
export function sshPublicKey(comment = 'test@deis'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

export interface TestCertificate {
  certificate: string;
  key: string;
}

/** A self-signed certificate for `commonName` (with it as a SAN too), made with openssl. */
export function selfSignedCertificate(commonName: string, days = 30): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deis-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        String(days),
      ].concat(['-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`]),
      { stdio: 'ignore' },
    );
    return { certificate: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
