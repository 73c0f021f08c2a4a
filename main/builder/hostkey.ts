/** The builder's SSH host key: an ed25519 key made once and kept, so users' known_hosts stay valid. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';

// ssh2 is CommonJS; its named exports are not visible to Node's ESM loader.
const { utils } = ssh2;

/** The builder's host key file under `dir`. */
export const hostKeyFile = (dir: string): string => path.join(dir, 'ssh_host_key');

/**
 * A key file that is there but unreadable as a private key stops the core: making a new one would
 * change the host key every user's known_hosts holds, and the file may be one a backup can restore.
 */
function checked(file: string, text: string): string {
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error || !key.isPrivateKey())
    throw new Error(
      `The builder's SSH host key ${file} is damaged (${key instanceof Error ? key.message : 'not a private key'}); ` +
        'the core stopped without changing it. Restore it from a backup, or move it away to have a new key made ' +
        '(git clients will then warn that the host key changed).',
    );
  // Only the owner may read it, whatever mode it was given before.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return text;
}

/** Reads `<dir>/ssh_host_key`, creating it (OpenSSH format, mode 0600) the first time. */
export function loadOrCreateHostKey(dir: string): string {
  const file = hostKeyFile(dir);
  try {
    return checked(file, fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = newEd25519Key();
  // 'wx' so two cores starting on one home never overwrite each other's key; the loser reads the winner's.
  try {
    fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return checked(file, fs.readFileSync(file, 'utf8'));
  }
  return key;
}

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * An unencrypted `openssh-key-v1` private key. Node writes ed25519 keys only as PKCS#8, which ssh2 does
 * not read, so we lay out OpenSSH's format (PROTOCOL.key) from the raw key bytes ourselves.
 */
export function newEd25519Key(comment = 'deis-desktop-builder'): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join(
    '\n',
  );
}

/** The key's fingerprint as ssh shows it when it asks whether to trust a host: `SHA256:<base64>`. */
export function hostKeyFingerprint(privateKey: string): string {
  const parsed = utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) throw new Error('not a key');
  const digest = createHash('sha256').update(key.getPublicSSH()).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}
