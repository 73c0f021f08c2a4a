/** Users, passwords and API tokens. The first user to register becomes the administrator. */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { User } from '../contract/objects';
import { conflict, forbidden, invalid, notFound, unauthenticated } from '../contract/errors';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';

export interface UserRow {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  password_hash: string;
  is_superuser: number;
  is_staff: number;
  is_active: number;
  last_login: string | null;
  date_joined: string;
  token: string;
}

export type RegistrationMode = 'enabled' | 'admin_only' | 'disabled';

export const newToken = (): string => randomBytes(20).toString('hex');

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = scryptSync(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

export function userJson(u: UserRow): User {
  return {
    email: u.email,
    username: u.username,
    first_name: u.first_name,
    last_name: u.last_name,
    is_superuser: u.is_superuser === 1,
    is_staff: u.is_staff === 1,
    groups: [],
    user_permissions: [],
    last_login: u.last_login,
    date_joined: u.date_joined,
    is_active: u.is_active === 1,
  };
}

export class Users {
  constructor(private readonly store: Store) {}

  byToken(token: string): UserRow | undefined {
    return this.store.db.prepare('SELECT * FROM users WHERE token = ? AND is_active = 1').get(token) as
      UserRow | undefined;
  }

  byName(username: string): UserRow | undefined {
    return this.store.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      UserRow | undefined;
  }

  /** The user named `username`, or the 404 Deis gives for an unknown one. */
  get(username: string): UserRow {
    const u = this.byName(username);
    if (!u) throw notFound('User');
    return u;
  }

  count(): number {
    return (this.store.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  list(): UserRow[] {
    return this.store.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[];
  }

  registrationMode(): RegistrationMode {
    const row = this.store.db
      .prepare("SELECT value FROM platform_settings WHERE key = 'registration_mode'")
      .get() as { value: string } | undefined;
    const mode = row?.value ?? process.env.DEIS_REGISTRATION_MODE ?? 'admin_only';
    return mode === 'enabled' || mode === 'disabled' ? mode : 'admin_only';
  }

  /**
   * Registers a user. The first one becomes superuser; after that the registration mode decides:
   * `admin_only` lets only an administrator (`actor`) register others.
   */
  register(
    input: { username: string; password: string; email: string; first_name?: string; last_name?: string },
    actor: UserRow | undefined,
  ): UserRow {
    return this.store.tx(() => {
      const first = this.count() === 0;
      if (!first) {
        const mode = this.registrationMode();
        if (mode === 'disabled') throw forbidden('User registration is disabled');
        if (mode === 'admin_only' && !actor?.is_superuser)
          throw forbidden('You do not have permission to perform this action.');
      }
      if (this.byName(input.username)) throw invalid('username', 'A user with that username already exists.');
      const now = timestamp();
      const info = this.store.db
        .prepare(
          `INSERT INTO users (username, email, first_name, last_name, password_hash, is_superuser, is_staff, date_joined, token)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.username,
          input.email,
          input.first_name ?? '',
          input.last_name ?? '',
          hashPassword(input.password),
          first ? 1 : 0,
          first ? 1 : 0,
          now,
          newToken(),
        );
      return this.store.db.prepare('SELECT * FROM users WHERE id = ?').get(info.lastInsertRowid) as UserRow;
    });
  }

  /** Checks credentials and records the login; returns the user's token. */
  login(username: string, password: string): string {
    const u = this.byName(username);
    if (!u || !u.is_active || !checkPassword(password, u.password_hash))
      throw invalid('non_field_errors', 'Unable to log in with provided credentials.');
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET last_login = ? WHERE id = ?').run(timestamp(), u.id);
    });
    return u.token;
  }

  /** Changes a password: users give their current one; an admin may set anyone's without it. */
  passwd(actor: UserRow, input: { username?: string; password?: string; new_password: string }): void {
    const target = input.username ? this.get(input.username) : actor;
    const adminForOther = actor.is_superuser === 1 && target.id !== actor.id;
    if (target.id !== actor.id && !actor.is_superuser) throw forbidden();
    if (!adminForOther) {
      if (input.password === undefined) throw invalid('password', 'This field is required.');
      if (!checkPassword(input.password, target.password_hash))
        throw unauthenticated('Current password does not match');
    }
    this.store.tx(() => {
      this.store.db
        .prepare('UPDATE users SET password_hash = ? WHERE id = ?')
        .run(hashPassword(input.new_password), target.id);
    });
  }

  /** Regenerates one user's token (self, or anyone for an admin) or, with `all`, everyone's. */
  regenerateToken(actor: UserRow, input: { username?: string; all?: boolean }): string {
    if ((input.all || (input.username && input.username !== actor.username)) && !actor.is_superuser)
      throw forbidden();
    return this.store.tx(() => {
      if (input.all) {
        for (const u of this.list())
          this.store.db.prepare('UPDATE users SET token = ? WHERE id = ?').run(newToken(), u.id);
        return '';
      }
      const target = input.username ? this.get(input.username) : actor;
      const token = newToken();
      this.store.db.prepare('UPDATE users SET token = ? WHERE id = ?').run(token, target.id);
      return token;
    });
  }

  /** Deletes an account (self, or anyone for an admin) that owns no apps. */
  cancel(actor: UserRow, username: string | undefined): void {
    const target = username ? this.get(username) : actor;
    if (target.id !== actor.id && !actor.is_superuser) throw forbidden();
    this.store.tx(() => {
      const owned = this.store.db
        .prepare('SELECT COUNT(*) AS n FROM apps WHERE owner_id = ?')
        .get(target.id) as {
        n: number;
      };
      if (owned.n > 0)
        throw conflict(`${target.username} still has applications assigned. Delete or transfer ownership`);
      // Rows the user created on other people's apps stay with those apps: hand them to each app's owner.
      for (const table of ['builds', 'configs', 'releases', 'domains', 'app_settings', 'tls'])
        this.store.db
          .prepare(
            `UPDATE ${table} SET owner_id = (SELECT owner_id FROM apps WHERE apps.uuid = ${table}.app_uuid) WHERE owner_id = ?`,
          )
          .run(target.id);
      this.store.db.prepare('DELETE FROM certificates WHERE owner_id = ?').run(target.id);
      this.store.db.prepare('DELETE FROM users WHERE id = ?').run(target.id);
    });
  }

  setSuperuser(username: string, value: boolean): UserRow {
    const u = this.get(username);
    this.store.tx(() => {
      this.store.db
        .prepare('UPDATE users SET is_superuser = ?, is_staff = ? WHERE id = ?')
        .run(value ? 1 : 0, value ? 1 : 0, u.id);
    });
    return this.get(username);
  }
}
