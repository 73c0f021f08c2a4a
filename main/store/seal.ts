/**
 * Secrets the core must read back (a service's generated password) are sealed before they reach the
 * store: AES-256-GCM with a key kept in its own file in DEIS_HOME (mode 0600), so a copy of the
 * store alone reveals none of them, and a changed ciphertext is refused rather than misread.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('A sealing key is 32 bytes.');
  }

  /** A key for this process only (tests, a store in memory): what it seals dies with it. */
  static ephemeral(): Sealer {
    return new Sealer(randomBytes(32));
  }

  /**
   * The key in `<home>/secrets.key`, made on first use. A key file of the wrong size stops the core:
   * making a new one would make every sealed secret unreadable.
   */
  static open(home: string): Sealer {
    const file = path.join(home, 'secrets.key');
    try {
      fs.writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
    const key = fs.readFileSync(file);
    if (key.length !== 32)
      throw new Error(
        `The key file ${file} is damaged (${key.length} bytes, not 32); restore it from a backup: the services' credentials cannot be read without it.`,
      );
    return new Sealer(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    const [version, data] = sealed.split(':');
    if (version !== VERSION || !data) throw new Error('Not a sealed secret.');
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
