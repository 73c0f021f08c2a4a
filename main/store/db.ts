/**
 * The SQLite store: opens the database under DEIS_HOME, readable by its owner only, and applies
 * pending migrations. A store that is there but damaged (empty, not SQLite, failing its integrity
 * check, another program's database) stops the core with a message naming the file, before anything
 * is written: it is never taken for a fresh install, so first-run registration does not open and the
 * target does not see every container as an orphan.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { timestamp, uuid } from './clock';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export interface Store {
  readonly db: Db;
  /** True when the file did not exist before this open: a fresh install. */
  readonly fresh: boolean;
  /** Runs `fn` in one transaction: every state change is all or nothing. */
  tx<T>(fn: () => T): T;
  close(): void;
}

/** The store file is there but cannot be used; the message names it and says what to do. */
export class StoreDamaged extends Error {
  constructor(file: string, why: string) {
    super(
      `The store ${file} is damaged (${why}); the core stopped without changing it. ` +
        'Restore it from a backup, or move it away to start with an empty store.',
    );
    this.name = 'StoreDamaged';
  }
}

/** Only the owner may read the store and its journal files, whatever the folder's or umask's mode. */
function makePrivate(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Refuses a store that exists but is not a sound Deis Desktop store; reads only. */
function checkExisting(db: Db, file: string): void {
  let problems: string[];
  try {
    problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    throw new StoreDamaged(file, (err as Error).message);
  }
  if (problems.join() !== 'ok') {
    const what = problems
      .join('; ')
      .replace(/\*\*\* in database main \*\*\*/g, '')
      .replace(/\s+/g, ' ');
    throw new StoreDamaged(file, `its integrity check failed: ${what.trim().slice(0, 300)}`);
  }
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  ).map((t) => t.name);
  if (tables.length > 0 && !tables.includes('schema_migrations'))
    throw new StoreDamaged(file, 'it is not a Deis Desktop store');
}

export function openStore(file: string, migrations: readonly Migration[] = MIGRATIONS): Store {
  let fresh = true;
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat && !stat.isFile()) throw new StoreDamaged(file, 'it is not a file');
    // SQLite would take an empty file for a new database.
    if (stat && stat.size === 0) throw new StoreDamaged(file, 'it is empty (0 bytes)');
    fresh = !stat;
  }
  const db = new Database(file, { fileMustExist: !fresh });
  try {
    if (!fresh) checkExisting(db, file);
    if (file !== ':memory:') makePrivate(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    // Deleted rows (a token migrated away, a config value, a certificate's key) are zeroed, not left
    // readable in free pages of the file.
    db.pragma('secure_delete = ON');
    // Migrations may hash (tokens are stored hashed).
    db.function('sha256_hex', { deterministic: true }, (text: unknown) =>
      createHash('sha256').update(String(text), 'utf8').digest('hex'),
    );
    if (migrate(db, migrations) > 0) db.pragma('wal_checkpoint(TRUNCATE)');
    if (migrations === MIGRATIONS) giveAppsTheirFirstRows(db);
    db.pragma('foreign_keys = ON');
    // The journal files exist now; SQLite makes later ones with the database file's mode.
    if (file !== ':memory:') makePrivate(file);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    db,
    fresh,
    tx: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    close: () => db.close(),
  };
}

/**
 * Every app gets its first settings and TLS rows when it is made, and the code that reads them counts
 * on it. A store edited by hand (or an old one brought in) may lack them; such an app gets them, as
 * they are for a new app, owned by the app's owner, instead of failing every read of them.
 */
function giveAppsTheirFirstRows(db: Db): void {
  const now = timestamp();
  for (const table of ['app_settings', 'tls'] as const) {
    const lacking = db.prepare(
      `SELECT uuid, owner_id FROM apps WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE ${table}.app_uuid = apps.uuid)`,
    );
    // A plain read first: a store with nothing to mend (every one made through the API) takes no lock.
    if (lacking.all().length === 0) continue;
    const insert = db.prepare(
      `INSERT INTO ${table} (uuid, app_uuid, owner_id, created, updated) VALUES (?, ?, ?, ?, ?)`,
    );
    // Read again under the write lock, so a second process opening the store at once adds no second row.
    db.transaction(() => {
      for (const app of lacking.all() as { uuid: string; owner_id: number }[])
        insert.run(uuid(), app.uuid, app.owner_id, now, now);
    }).immediate();
  }
}

/**
 * Applies pending migrations, each in one transaction. Foreign keys are off meanwhile so a table can
 * be rebuilt (SQLite's documented way to change a column) without cascading; each migration must
 * still leave every reference valid. Answers how many were applied.
 */
function migrate(db: Db, migrations: readonly Migration[]): number {
  db.pragma('foreign_keys = OFF');
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => (row as { version: number }).version),
  );
  let count = 0;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    count++;
    db.transaction(() => {
      db.exec(m.sql);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0)
        throw new Error(`Migration ${m.version} (${m.name}) would leave ${broken.length} broken references.`);
      db.prepare('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    }).immediate();
  }
  return count;
}
