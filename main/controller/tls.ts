/**
 * An app's TLS setting: whether the router redirects HTTP to HTTPS. Unset (null) until first chosen;
 * every change is a new row, and setting the current value again is a 409, as in Deis.
 */
import type { TLS } from '../contract/objects';
import { conflict } from '../contract/errors';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import type { UserRow } from './users';

export interface TlsRow {
  uuid: string;
  app_uuid: string;
  owner_id: number;
  https_enforced: number | null;
  created: string;
  updated: string;
  owner: string;
  app: string;
}

const SELECT_TLS = `SELECT tls.*, users.username AS owner, apps.id AS app FROM tls
  JOIN users ON users.id = tls.owner_id JOIN apps ON apps.uuid = tls.app_uuid`;

const enforced = (t: TlsRow): boolean | null => (t.https_enforced === null ? null : t.https_enforced === 1);

export function tlsJson(t: TlsRow): TLS {
  return {
    uuid: t.uuid,
    created: t.created,
    updated: t.updated,
    owner: t.owner,
    app: t.app,
    https_enforced: enforced(t),
  };
}

export class Tls {
  constructor(private readonly store: Store) {}

  latest(app: AppRow): TlsRow {
    return this.store.db
      .prepare(`${SELECT_TLS} WHERE tls.app_uuid = ? ORDER BY tls.created DESC, tls.rowid DESC LIMIT 1`)
      .get(app.uuid) as TlsRow;
  }

  update(actor: UserRow, app: AppRow, httpsEnforced: boolean | null): TlsRow {
    return this.store.tx(() => {
      if (enforced(this.latest(app)) === httpsEnforced) throw conflict(`${actor.username} changed nothing`);
      const now = timestamp();
      const id = uuid();
      this.store.db
        .prepare(
          'INSERT INTO tls (uuid, app_uuid, owner_id, https_enforced, created, updated) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, app.uuid, actor.id, httpsEnforced === null ? null : httpsEnforced ? 1 : 0, now, now);
      return this.store.db.prepare(`${SELECT_TLS} WHERE tls.uuid = ?`).get(id) as TlsRow;
    });
  }
}
