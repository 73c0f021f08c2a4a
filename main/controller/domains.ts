/** App domains: the hostnames the router sends to an app. Each domain belongs to exactly one app. */
import type { Domain } from '../contract/objects';
import { invalid, notFound } from '../contract/errors';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { AppRow } from './apps';
import { checkDomain, domainLookupKey } from './domain-name';
import type { UserRow } from './users';

export interface DomainRow {
  id: number;
  app_uuid: string;
  owner_id: number;
  certificate_id: number | null;
  domain: string;
  created: string;
  updated: string;
  /** username of the user who added it */
  owner: string;
  /** app id */
  app: string;
}

const SELECT_DOMAIN = `SELECT domains.*, users.username AS owner, apps.id AS app FROM domains
  JOIN users ON users.id = domains.owner_id JOIN apps ON apps.uuid = domains.app_uuid`;

export function domainJson(d: DomainRow): Domain {
  return { owner: d.owner, created: d.created, updated: d.updated, app: d.app, domain: d.domain };
}

export class Domains {
  constructor(private readonly store: Store) {}

  /** The app's domains in the order they were added, so the default domain (the app id) comes first. */
  list(app: AppRow): DomainRow[] {
    return this.store.db
      .prepare(`${SELECT_DOMAIN} WHERE domains.app_uuid = ? ORDER BY domains.id`)
      .all(app.uuid) as DomainRow[];
  }

  /** Any app's domain, by the name as a user or URL gives it. */
  find(domain: string): DomainRow | undefined {
    return this.store.db.prepare(`${SELECT_DOMAIN} WHERE domains.domain = ?`).get(domainLookupKey(domain)) as
      DomainRow | undefined;
  }

  add(user: UserRow, app: AppRow, requested: string): DomainRow {
    const checked = checkDomain(requested);
    if (!checked.ok) throw invalid('domain', checked.message);
    return this.store.tx(() => {
      if (this.find(checked.domain))
        throw invalid(
          'domain',
          `The domain ${requested.replace(/\.$/, '')} is already in use by another app`,
        );
      const now = timestamp();
      const info = this.store.db
        .prepare('INSERT INTO domains (app_uuid, owner_id, domain, created, updated) VALUES (?, ?, ?, ?, ?)')
        .run(app.uuid, user.id, checked.domain, now, now);
      return this.store.db
        .prepare(`${SELECT_DOMAIN} WHERE domains.id = ?`)
        .get(info.lastInsertRowid) as DomainRow;
    });
  }

  /** Removes one of the app's domains; a certificate attached to it is detached with it. */
  remove(app: AppRow, domain: string): void {
    this.store.tx(() => {
      const row = this.find(domain);
      if (!row || row.app_uuid !== app.uuid) throw notFound('Domain');
      this.store.db.prepare('DELETE FROM domains WHERE id = ?').run(row.id);
    });
  }
}
