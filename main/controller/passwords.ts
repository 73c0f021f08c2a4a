/**
 * Password hashing with scrypt on the thread pool, never on the event loop, a few at a time: a burst
 * of sign-ins waits its turn or is told to come back (429) instead of stalling the API. Checking a
 * password of a user who does not exist costs the same work and gives the same answer, so neither the
 * time nor the message says whether a username exists.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import { DeisError } from '../contract/errors';
import { PASSWORD_HASHES_AT_ONCE, PASSWORD_HASHES_WAITING } from '../contract/limits';

const KEY_LENGTH = 32;
/** Stands in for the salt of a user who does not exist. */
const DUMMY_SALT = randomBytes(16);

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$<salt hex>$<hash hex>` → its parts, or undefined when it is not of that shape. */
function parseStored(stored: string): { salt: Buffer; hash: Buffer } | undefined {
  const [scheme, saltHex, hashHex, extra] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex || extra !== undefined) return undefined;
  const hash = Buffer.from(hashHex, 'hex');
  return hash.length === KEY_LENGTH ? { salt: Buffer.from(saltHex, 'hex'), hash } : undefined;
}

export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  private readonly atOnce = Math.max(1, Math.min(PASSWORD_HASHES_AT_ONCE, os.availableParallelism() - 1));

  constructor(private readonly maxWaiting = PASSWORD_HASHES_WAITING) {}

  /** Runs `work` in one of the slots, waiting for one or refusing (429) when too many wait. */
  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.atOnce) this.running++;
    else {
      if (this.waiting.length >= this.maxWaiting)
        throw new DeisError(
          'too_many_requests',
          'The core is checking too many passwords at once; try again in a moment.',
        );
      // The slot is handed over by the one that finishes, so `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  hash(password: string): Promise<string> {
    return this.inSlot(async () => {
      const salt = randomBytes(16);
      const hash = await scryptAsync(password, salt);
      return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
    });
  }

  /** Whether `password` matches `stored`; with no (or an unreadable) stored hash, the same work and false. */
  check(password: string, stored: string | undefined): Promise<boolean> {
    return this.inSlot(async () => {
      const parsed = stored === undefined ? undefined : parseStored(stored);
      const actual = await scryptAsync(password, parsed?.salt ?? DUMMY_SALT);
      return parsed !== undefined && timingSafeEqual(actual, parsed.hash);
    });
  }
}
