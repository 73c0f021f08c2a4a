/**
 * Users, passwords and API tokens. The first user to register becomes the administrator. Tokens are
 * kept only as SHA-256 hashes (they are 160 random bits, so a hash cannot be searched back): each
 * login issues a new one, so several sessions work side by side, up to TOKENS_PER_USER, past which the
 * oldest is revoked.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { User } from '../contract/objects';
import { conflict, forbidden, invalid, notFound, unauthenticated } from '../contract/errors';
import { TOKENS_PER_USER } from '../contract/limits';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import { PasswordHasher } from './passwords';

/**
 * Deis's sentence, then what to do: after the first user (often made in the UI) only an
 * administrator registers others. Both CLIs' users see it (ours prints the detail; README for Go's).
 */
export const ADMIN_ONLY_REFUSAL =
  'You do not have permission to perform this action. Only an administrator may register users here: ' +
  'log in as the administrator (deis login <controller URL>) and run deis register from there, ' +
  'or start Deis Desktop with DEIS_REGISTRATION_MODE=enabled to let anyone register.';

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
}

export type RegistrationMode = 'enabled' | 'admin_only' | 'disabled';

export const newToken = (): string => randomBytes(20).toString('hex');

/** What the store keeps of a token. */
export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

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
  readonly passwords = new PasswordHasher();

  constructor(private readonly store: Store) {}

  /** The active user a token belongs to. */
  byToken(token: string): UserRow | undefined {
    return this.store.db
      .prepare(
        'SELECT users.* FROM tokens JOIN users ON users.id = tokens.user_id WHERE tokens.hash = ? AND users.is_active = 1',
      )
      .get(tokenHash(token)) as UserRow | undefined;
  }

  /** A new token for `user` (a session); past TOKENS_PER_USER the oldest of theirs is revoked. */
  issueToken(user: UserRow): string {
    const token = newToken();
    this.store.tx(() => {
      const db = this.store.db;
      db.prepare('INSERT INTO tokens (user_id, hash, created) VALUES (?, ?, ?)').run(
        user.id,
        tokenHash(token),
        timestamp(),
      );
      db.prepare(
        'DELETE FROM tokens WHERE user_id = ? AND id NOT IN (SELECT id FROM tokens WHERE user_id = ? ORDER BY id DESC LIMIT ?)',
      ).run(user.id, user.id, TOKENS_PER_USER);
    });
    return token;
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

  /** Refuses a registration the mode does not allow: `admin_only` lets only an administrator register others. */
  private mayRegister(actor: UserRow | undefined): void {
    if (this.count() === 0) return;
    const mode = this.registrationMode();
    if (mode === 'disabled') throw forbidden('User registration is disabled');
    if (mode === 'admin_only' && !actor?.is_superuser) throw forbidden(ADMIN_ONLY_REFUSAL);
  }

  /**
   * Registers a user. The first one becomes superuser; after that the registration mode decides.
   * No token is made: the client logs in for one, as Deis's CLI does.
   */
  async register(
    input: { username: string; password: string; email: string; first_name?: string; last_name?: string },
    actor: UserRow | undefined,
  ): Promise<UserRow> {
    // Refused before the password is hashed (that work is the scarce part), and again in the
    // transaction, where a registration that raced this one has become visible.
    this.mayRegister(actor);
    if (this.byName(input.username)) throw invalid('username', 'A user with that username already exists.');
    const passwordHash = await this.passwords.hash(input.password);
    return this.store.tx(() => {
      const first = this.count() === 0;
      this.mayRegister(actor);
      if (this.byName(input.username)) throw invalid('username', 'A user with that username already exists.');
      const info = this.store.db
        .prepare(
          `INSERT INTO users (username, email, first_name, last_name, password_hash, is_superuser, is_staff, date_joined)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.username,
          input.email,
          input.first_name ?? '',
          input.last_name ?? '',
          passwordHash,
          first ? 1 : 0,
          first ? 1 : 0,
          timestamp(),
        );
      return this.store.db.prepare('SELECT * FROM users WHERE id = ?').get(info.lastInsertRowid) as UserRow;
    });
  }

  /**
   * Checks credentials, records the login and issues a new token. An unknown or inactive user costs
   * the same hash and gets the same answer as a wrong password.
   */
  async login(username: string, password: string): Promise<string> {
    const found = this.byName(username);
    const u = found?.is_active ? found : undefined;
    if (!(await this.passwords.check(password, u?.password_hash)) || !u)
      throw invalid('non_field_errors', 'Unable to log in with provided credentials.');
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET last_login = ? WHERE id = ?').run(timestamp(), u.id);
    });
    return this.issueToken(u);
  }

  /** Changes a password: users give their current one; an admin may set anyone's without it. */
  async passwd(
    actor: UserRow,
    input: { username?: string; password?: string; new_password: string },
  ): Promise<void> {
    const target = input.username ? this.get(input.username) : actor;
    const adminForOther = actor.is_superuser === 1 && target.id !== actor.id;
    if (target.id !== actor.id && !actor.is_superuser) throw forbidden();
    if (!adminForOther) {
      if (input.password === undefined) throw invalid('password', 'This field is required.');
      if (!(await this.passwords.check(input.password, target.password_hash)))
        throw unauthenticated('Current password does not match');
    }
    const passwordHash = await this.passwords.hash(input.new_password);
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, target.id);
    });
  }

  /**
   * Revokes every token of one user (self, or anyone for an admin) and returns a new one; with `all`
   * (admins), revokes everyone's, the caller's too, and returns "" as Deis did: all must log in again.
   */
  regenerateToken(actor: UserRow, input: { username?: string; all?: boolean }): string {
    if ((input.all || (input.username && input.username !== actor.username)) && !actor.is_superuser)
      throw forbidden();
    if (input.all) {
      this.store.tx(() => this.store.db.prepare('DELETE FROM tokens').run());
      return '';
    }
    const target = input.username ? this.get(input.username) : actor;
    return this.store.tx(() => {
      this.store.db.prepare('DELETE FROM tokens WHERE user_id = ?').run(target.id);
      return this.issueToken(target);
    });
  }

  /** Deletes an account (self, or anyone for an admin) that owns no apps and is not the last administrator. */
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
      if (target.is_superuser === 1 && this.activeAdmins() <= 1)
        throw conflict(
          `${target.username} is the only administrator; make another user an administrator first.`,
        );
      // Services hold data and run containers: they are not handed to anyone silently, nor orphaned.
      const services = (
        this.store.db
          .prepare('SELECT name FROM services WHERE owner_id = ? ORDER BY name LIMIT 4')
          .all(target.id) as { name: string }[]
      ).map((s) => s.name);
      if (services.length > 0)
        throw conflict(
          `${target.username} still owns the backing service${services.length > 1 ? 's' : ''} ${services.slice(0, 3).join(', ')}${services.length > 3 ? ', …' : ''}; destroy ${services.length > 1 ? 'them' : 'it'} first (deis services:destroy ${services[0]} --confirm ${services[0]}).`,
        );
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

  private activeAdmins(): number {
    return (
      this.store.db
        .prepare('SELECT COUNT(*) AS n FROM users WHERE is_superuser = 1 AND is_active = 1')
        .get() as { n: number }
    ).n;
  }

  /** Makes or unmakes an administrator; the last one stays, or nobody could manage users again. */
  setSuperuser(username: string, value: boolean): UserRow {
    const u = this.get(username);
    this.store.tx(() => {
      if (!value && u.is_superuser === 1 && this.activeAdmins() <= 1)
        throw conflict(`${u.username} is the only administrator; make another user an administrator first.`);
      this.store.db
        .prepare('UPDATE users SET is_superuser = ?, is_staff = ? WHERE id = ?')
        .run(value ? 1 : 0, value ? 1 : 0, u.id);
    });
    return this.get(username);
  }
}
