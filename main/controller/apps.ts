/** Apps: creation (with v1 release, config, settings, TLS and default domain), access, transfer, destroy. */
import type { App } from '../contract/objects';
import { badRequest, conflict, forbidden, invalid, notFound } from '../contract/errors';
import { MAX_APPS, MAX_APPS_PER_USER } from '../contract/limits';
import { LOCAL_TARGET } from '../contract/targets';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import { hostName } from './domain-name';
import { randomAppName } from './names';
import type { UserRow } from './users';

export interface AppRow {
  uuid: string;
  id: string;
  owner_id: number;
  owner: string;
  structure: string;
  /** The target it runs on (`local` unless it was created elsewhere). */
  target: string;
  /** The uuid of the app this one is the copy of on another target (promotions), else null. */
  promoted_from: string | null;
  created: string;
  updated: string;
}

// The rule lives in the contract so the UI can check a name as it is typed.
import { APP_ID_MESSAGE, APP_ID_RE } from '../contract/apps';
export { APP_ID_MESSAGE, APP_ID_RE };

const SELECT_APP = 'SELECT apps.*, users.username AS owner FROM apps JOIN users ON users.id = apps.owner_id';

export function appJson(a: AppRow): App {
  return {
    uuid: a.uuid,
    id: a.id,
    owner: a.owner,
    structure: JSON.parse(a.structure) as Record<string, number>,
    target: a.target,
    created: a.created,
    updated: a.updated,
  };
}

export function reservedNames(): string[] {
  return (process.env.RESERVED_NAMES ?? 'deis, deis-builder, deis-workflow-manager, grafana')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Work to do once an app is gone, by whoever keeps things of it outside the store (the builder). */
export type AppDestroyed = (app: AppRow) => Promise<void>;

export class Apps {
  private readonly destroyedListeners = new Set<AppDestroyed>();

  constructor(
    private readonly store: Store,
    /** In stored form: an app `x` is served at `x.<platformDomain>`. */
    private readonly platformDomain: string,
  ) {}

  /** `fn` runs after each app is destroyed (it logs its own failures); returns how to stop. */
  onDestroyed(fn: AppDestroyed): () => void {
    this.destroyedListeners.add(fn);
    return () => this.destroyedListeners.delete(fn);
  }

  find(id: string): AppRow | undefined {
    return this.store.db.prepare(`${SELECT_APP} WHERE apps.id = ?`).get(id) as AppRow | undefined;
  }

  isCollaborator(app: AppRow, user: UserRow): boolean {
    return !!this.store.db
      .prepare('SELECT 1 FROM app_perms WHERE app_uuid = ? AND user_id = ?')
      .get(app.uuid, user.id);
  }

  /**
   * The app `id` if `user` may act on it with `method`: owners and admins may do everything,
   * collaborators everything but DELETE. Unknown app → 404, no access → 403 (Deis's order).
   */
  access(user: UserRow, id: string, method: string): AppRow {
    const app = this.find(id);
    if (!app) throw notFound('App');
    if (user.is_superuser || app.owner_id === user.id) return app;
    if (method !== 'DELETE' && this.isCollaborator(app, user)) return app;
    throw forbidden();
  }

  /** Whether `user` may change the app (owners, collaborators, admins): add domains to it, for one. */
  mayChange(user: UserRow, app: AppRow): boolean {
    return user.is_superuser === 1 || app.owner_id === user.id || this.isCollaborator(app, user);
  }

  mayChangeUuid(user: UserRow, appUuid: string): boolean {
    if (user.is_superuser) return true;
    return !!this.store.db
      .prepare(
        'SELECT 1 FROM apps WHERE uuid = ? AND (owner_id = ? OR uuid IN (SELECT app_uuid FROM app_perms WHERE user_id = ?))',
      )
      .get(appUuid, user.id, user.id);
  }

  /** Every app, for the target's reconciliation on start. */
  all(): AppRow[] {
    return this.store.db.prepare(`${SELECT_APP} ORDER BY apps.id`).all() as AppRow[];
  }

  /** Apps the user owns or collaborates on (admins: all), by id. */
  list(user: UserRow): AppRow[] {
    if (user.is_superuser) return this.store.db.prepare(`${SELECT_APP} ORDER BY apps.id`).all() as AppRow[];
    return this.store.db
      .prepare(
        `${SELECT_APP} WHERE apps.owner_id = ? OR apps.uuid IN (SELECT app_uuid FROM app_perms WHERE user_id = ?) ORDER BY apps.id`,
      )
      .all(user.id, user.id) as AppRow[];
  }

  /** Refuses a new app for `user` when the core, or a user who is not an admin, has the most allowed. */
  private checkAppCount(user: UserRow): void {
    const count = (sql: string, ...args: unknown[]) =>
      (this.store.db.prepare(sql).get(...args) as { n: number }).n;
    if (count('SELECT COUNT(*) AS n FROM apps') >= MAX_APPS)
      throw badRequest(
        `This Deis has ${MAX_APPS} apps, the most it allows; destroy an app before creating another.`,
      );
    if (
      !user.is_superuser &&
      count('SELECT COUNT(*) AS n FROM apps WHERE owner_id = ?', user.id) >= MAX_APPS_PER_USER
    )
      throw badRequest(
        `You own ${MAX_APPS_PER_USER} apps, the most a user may own; destroy one before creating another.`,
      );
  }

  /**
   * `target`: where it runs (`local` by default); `targetExists` says whether such a target is in
   * the store, checked in the same transaction, so an unknown one creates nothing.
   */
  create(
    user: UserRow,
    requested: string | undefined,
    target: { name: string; exists: (name: string) => boolean } = { name: LOCAL_TARGET, exists: () => true },
  ): AppRow {
    return this.store.tx(() => {
      if (!target.exists(target.name))
        throw invalid(
          'target',
          `There is no target named ${target.name}; see deis targets for the ones there are.`,
        );
      this.checkAppCount(user);
      const id = requested ?? this.unusedRandomName();
      if (id.length > 63) throw invalid('id', 'Ensure this field has no more than 63 characters.');
      if (!APP_ID_RE.test(id)) throw invalid('id', APP_ID_MESSAGE);
      if (reservedNames().includes(id)) throw invalid('id', `${id} is a reserved name.`);
      if (this.find(id)) throw invalid('id', 'Application with this id already exists.');
      // An administrator may have given the app's host name to another app before it existed.
      const host = hostName(id, this.platformDomain);
      if (this.store.db.prepare('SELECT 1 FROM domains WHERE domain IN (?, ?)').get(id, host))
        throw invalid(
          'id',
          `The domain ${host} is already in use by another app; choose another name for this app.`,
        );
      const now = timestamp();
      const app = uuid();
      const db = this.store.db;
      db.prepare(
        'INSERT INTO apps (uuid, id, owner_id, structure, target, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(app, id, user.id, '{}', target.name, now, now);
      const config = uuid();
      db.prepare(
        'INSERT INTO configs (uuid, app_uuid, owner_id, created, updated) VALUES (?, ?, ?, ?, ?)',
      ).run(config, app, user.id, now, now);
      db.prepare(
        'INSERT INTO releases (uuid, app_uuid, owner_id, version, summary, config_uuid, created, updated) VALUES (?, ?, ?, 1, ?, ?, ?, ?)',
      ).run(uuid(), app, user.id, `${user.username} created initial release`, config, now, now);
      db.prepare(
        'INSERT INTO app_settings (uuid, app_uuid, owner_id, created, updated) VALUES (?, ?, ?, ?, ?)',
      ).run(uuid(), app, user.id, now, now);
      db.prepare('INSERT INTO tls (uuid, app_uuid, owner_id, created, updated) VALUES (?, ?, ?, ?, ?)').run(
        uuid(),
        app,
        user.id,
        now,
        now,
      );
      db.prepare(
        'INSERT INTO domains (app_uuid, owner_id, domain, created, updated) VALUES (?, ?, ?, ?, ?)',
      ).run(app, user.id, id, now, now);
      return this.find(id)!;
    });
  }

  private unusedRandomName(): string {
    for (let i = 0; i < 100; i++) {
      const name = randomAppName();
      const taken = this.store.db
        .prepare('SELECT 1 FROM domains WHERE domain IN (?, ?)')
        .get(name, hostName(name, this.platformDomain));
      if (!this.find(name) && !reservedNames().includes(name) && !taken) return name;
    }
    throw conflict('Could not find a free random app name; give the app a name.');
  }

  /** Gives the app to another user; only its owner or an admin may. */
  transfer(user: UserRow, app: AppRow, newOwner: UserRow): void {
    if (!user.is_superuser && app.owner_id !== user.id) throw forbidden();
    this.store.tx(() => {
      // A gift cannot take someone past the share of apps a user may own.
      const owned = this.store.db
        .prepare('SELECT COUNT(*) AS n FROM apps WHERE owner_id = ?')
        .get(newOwner.id) as { n: number };
      if (!newOwner.is_superuser && newOwner.id !== app.owner_id && owned.n >= MAX_APPS_PER_USER)
        throw badRequest(
          `${newOwner.username} owns ${MAX_APPS_PER_USER} apps, the most a user may own; they must destroy one first.`,
        );
      this.store.db
        .prepare('UPDATE apps SET owner_id = ?, updated = ? WHERE uuid = ?')
        .run(newOwner.id, timestamp(), app.uuid);
      // The new owner is no longer a collaborator of their own app.
      this.store.db
        .prepare('DELETE FROM app_perms WHERE app_uuid = ? AND user_id = ?')
        .run(app.uuid, newOwner.id);
    });
  }

  /**
   * Removes the app from the store, then lets listeners remove what else it had (its repository,
   * build cache and images), so nothing of it passes to a new app of the same name.
   */
  async destroy(app: AppRow): Promise<void> {
    this.store.tx(() => {
      this.store.db.prepare('DELETE FROM apps WHERE uuid = ?').run(app.uuid);
    });
    for (const fn of this.destroyedListeners) await fn(app).catch(() => undefined);
  }

  setStructure(app: AppRow, structure: Record<string, number>): void {
    this.store.tx(() => {
      this.store.db
        .prepare('UPDATE apps SET structure = ?, updated = ? WHERE uuid = ?')
        .run(JSON.stringify(structure), timestamp(), app.uuid);
    });
  }
}
