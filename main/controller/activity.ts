/**
 * The activity feed: who changed what in which app, and what failed and why, kept in the store
 * (at most ACTIVITY_MAX_ENTRIES, the oldest go) and pushed to subscribers as it happens. Entries keep
 * the app's name and uuid: they outlive the app, and a new app of the same name sees none of them.
 */
import { ACTIVITY_MAX_ENTRIES, ACTIVITY_MAX_TEXT } from '../contract/limits';
import type { ActivityAction, ActivityEntry } from '../contract/activity';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { AppRow } from './apps';

interface ActivityRow {
  id: number;
  app_uuid: string;
  app: string;
  username: string;
  action: ActivityAction;
  summary: string;
  ok: number;
  reason: string;
  created: string;
}

export interface NewActivity {
  app: Pick<AppRow, 'uuid' | 'id'>;
  user: string;
  action: ActivityAction;
  summary: string;
  /** Present when it failed: one sentence a user can act on. */
  failure?: string;
}

export type ActivityListener = (entry: ActivityEntry, appUuid: string) => void;

const cap = (text: string) =>
  text.length <= ACTIVITY_MAX_TEXT ? text : `${text.slice(0, ACTIVITY_MAX_TEXT - 1)}…`;

const entryOf = (r: ActivityRow): ActivityEntry => ({
  id: r.id,
  app: r.app,
  user: r.username,
  action: r.action,
  summary: r.summary,
  ok: r.ok === 1,
  reason: r.reason,
  created: r.created,
});

export class Activity {
  private readonly listeners = new Set<ActivityListener>();

  constructor(private readonly store: Store) {}

  record(a: NewActivity): ActivityEntry {
    const created = timestamp();
    const row = this.store.tx(() => {
      const db = this.store.db;
      const { lastInsertRowid } = db
        .prepare(
          'INSERT INTO activity (app_uuid, app, username, action, summary, ok, reason, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          a.app.uuid,
          a.app.id,
          a.user,
          a.action,
          cap(a.summary),
          a.failure === undefined ? 1 : 0,
          cap(a.failure ?? ''),
          created,
        );
      const id = Number(lastInsertRowid);
      // The oldest go once there are too many; checked every hundred entries, not on each one.
      if (id % 100 === 0) db.prepare('DELETE FROM activity WHERE id <= ?').run(id - ACTIVITY_MAX_ENTRIES);
      return db.prepare('SELECT * FROM activity WHERE id = ?').get(id) as ActivityRow;
    });
    const entry = entryOf(row);
    for (const listener of this.listeners) listener(entry, a.app.uuid);
    return entry;
  }

  /** The app's newest entries, newest first. */
  forApp(app: AppRow, limit: number): ActivityEntry[] {
    const rows = this.store.db
      .prepare('SELECT * FROM activity WHERE app_uuid = ? ORDER BY id DESC LIMIT ?')
      .all(app.uuid, limit) as ActivityRow[];
    return rows.map(entryOf);
  }

  /**
   * The newest entries of the apps in `uuids` (those the user may read now), or of every app,
   * destroyed ones included, when `uuids` is undefined (an administrator).
   */
  across(uuids: string[] | undefined, limit: number): ActivityEntry[] {
    const db = this.store.db;
    if (uuids === undefined)
      return (db.prepare('SELECT * FROM activity ORDER BY id DESC LIMIT ?').all(limit) as ActivityRow[]).map(
        entryOf,
      );
    if (uuids.length === 0) return [];
    const rows = db
      .prepare(
        `SELECT * FROM activity WHERE app_uuid IN (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT ?`,
      )
      .all(JSON.stringify(uuids), limit) as ActivityRow[];
    return rows.map(entryOf);
  }

  /** Tells `listener` about every new entry; returns how to stop. */
  subscribe(listener: ActivityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
