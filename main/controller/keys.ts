/**
 * SSH public keys: each user's own, and the fingerprint lookup the builder authenticates pushes with.
 * A public key is public, so anyone can paste anyone's: key material is unique per user only, and
 * registering someone else's key gains nothing (pushing needs the private key, and the builder
 * attributes a push to the holder with the strongest claim on the app, see builder/service.ts).
 */
import type { Key } from '../contract/objects';
import { badRequest, invalid, notFound } from '../contract/errors';
import { MAX_KEYS_PER_USER } from '../contract/limits';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import { checkPublicKey, normalizeFingerprint } from './ssh-key';
import type { UserRow } from './users';

export interface KeyRow {
  uuid: string;
  owner_id: number;
  id: string;
  public: string;
  fingerprint: string;
  created: string;
  updated: string;
  /** username */
  owner: string;
}

const SELECT_KEY = 'SELECT keys.*, users.username AS owner FROM keys JOIN users ON users.id = keys.owner_id';

export function keyJson(k: KeyRow): Key {
  return {
    uuid: k.uuid,
    created: k.created,
    updated: k.updated,
    owner: k.owner,
    id: k.id,
    public: k.public,
    fingerprint: k.fingerprint,
  };
}

export class Keys {
  constructor(private readonly store: Store) {}

  /** A user sees and manages only their own keys, admins included (as in Deis). */
  list(user: UserRow): KeyRow[] {
    return this.store.db
      .prepare(`${SELECT_KEY} WHERE keys.owner_id = ? ORDER BY keys.created, keys.rowid`)
      .all(user.id) as KeyRow[];
  }

  get(user: UserRow, id: string): KeyRow {
    const key = this.store.db
      .prepare(`${SELECT_KEY} WHERE keys.owner_id = ? AND keys.id = ?`)
      .get(user.id, id) as KeyRow | undefined;
    if (!key) throw notFound('Key');
    return key;
  }

  add(user: UserRow, input: { id: string; public: string }): KeyRow {
    const checked = checkPublicKey(input.public);
    if (!checked.ok) throw invalid('public', checked.message);
    return this.store.tx(() => {
      const db = this.store.db;
      if (db.prepare('SELECT 1 FROM keys WHERE owner_id = ? AND id = ?').get(user.id, input.id))
        throw invalid('id', 'SSH Key with this Id already exists.');
      // The same key material under another comment is still the same key. Only the caller's own
      // keys count: another user having registered it first must not lock its owner out.
      if (
        db
          .prepare('SELECT 1 FROM keys WHERE owner_id = ? AND (public = ? OR fingerprint = ?)')
          .get(user.id, input.public, checked.fingerprint)
      )
        throw invalid('public', 'Public Key is already in use');
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM keys WHERE owner_id = ?').get(user.id) as {
        n: number;
      };
      if (n >= MAX_KEYS_PER_USER)
        throw badRequest(
          `You have ${MAX_KEYS_PER_USER} SSH keys, the most one user may have; remove one you no longer use before adding another.`,
        );
      const now = timestamp();
      const id = uuid();
      db.prepare(
        'INSERT INTO keys (uuid, owner_id, id, public, fingerprint, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(id, user.id, input.id, input.public, checked.fingerprint, now, now);
      return db.prepare(`${SELECT_KEY} WHERE keys.uuid = ?`).get(id) as KeyRow;
    });
  }

  remove(user: UserRow, id: string): void {
    this.store.tx(() => {
      const key = this.get(user, id);
      this.store.db.prepare('DELETE FROM keys WHERE uuid = ?').run(key.uuid);
    });
  }

  /**
   * Every registration of the key with this MD5 fingerprint, earliest first: the users who hold it,
   * for the builder's SSH authentication.
   */
  holders(fingerprint: string): KeyRow[] {
    return this.store.db
      .prepare(`${SELECT_KEY} WHERE keys.fingerprint = ? ORDER BY keys.created, keys.rowid`)
      .all(normalizeFingerprint(fingerprint)) as KeyRow[];
  }
}
