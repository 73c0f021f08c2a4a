/**
 * App domains: the hostnames the router sends to an app. Each host name belongs to exactly one app,
 * and nobody may add a name the router would then take from an app they may not manage:
 *
 * - a name another app has (in any spelling: `AdminApp.LocalHost.` is the bare `adminapp`);
 * - a name under `<app>.<platform domain>`: it belongs to that app, even before it is created;
 * - a name covered by another app's wildcard (the exact name would win in the router), or a
 *   wildcard covering another app's names (it would catch them whenever the app is not routed);
 * - the platform domain, a wildcard over it (`*.localhost`), or over a whole top-level domain.
 *
 * Administrators may do all but the first: they run the platform (a catch-all `*.localhost` app).
 */
import type { Domain } from '../contract/objects';
import { badRequest, invalid, notFound } from '../contract/errors';
import { MAX_DOMAINS_PER_APP } from '../contract/limits';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { AppRow, Apps } from './apps';
import {
  checkDomain,
  coveringWildcards,
  domainLookupKey,
  hostName,
  isTopLevelWildcard,
  platformPlace,
  storedForms,
} from './domain-name';
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

/** `LIKE` matches names ending in `suffix`; domains hold no `%` or `_`, but escape them anyway. */
const endingWith = (suffix: string) => `%${suffix.replace(/[\\%_]/g, (c) => `\\${c}`)}`;

export class Domains {
  constructor(
    private readonly store: Store,
    private readonly apps: Apps,
    /** In stored form (see platformDomainKey). */
    private readonly platformDomain: string,
  ) {}

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

  /** The domain that the router serves at `host`, whichever way it is stored. */
  private atHost(host: string): DomainRow | undefined {
    const forms = storedForms(host, this.platformDomain);
    return this.store.db
      .prepare(`${SELECT_DOMAIN} WHERE domains.domain IN (${forms.map(() => '?').join(', ')})`)
      .get(...forms) as DomainRow | undefined;
  }

  add(user: UserRow, app: AppRow, requested: string): DomainRow {
    const checked = checkDomain(requested);
    if (!checked.ok) throw invalid('domain', checked.message);
    const shown = requested.replace(/\.$/, '');
    return this.store.tx(() => {
      const { n } = this.store.db
        .prepare('SELECT COUNT(*) AS n FROM domains WHERE app_uuid = ?')
        .get(app.uuid) as { n: number };
      if (n >= MAX_DOMAINS_PER_APP)
        throw badRequest(
          `An app can have at most ${MAX_DOMAINS_PER_APP} domains; remove one before adding another.`,
        );
      const host = hostName(checked.domain, this.platformDomain);
      if (this.atHost(host)) throw invalid('domain', `The domain ${shown} is already in use by another app`);
      if (!user.is_superuser) this.checkClaim(user, app, host, shown);
      const now = timestamp();
      const info = this.store.db
        .prepare('INSERT INTO domains (app_uuid, owner_id, domain, created, updated) VALUES (?, ?, ?, ?, ?)')
        .run(app.uuid, user.id, checked.domain, now, now);
      return this.store.db
        .prepare(`${SELECT_DOMAIN} WHERE domains.id = ?`)
        .get(info.lastInsertRowid) as DomainRow;
    });
  }

  /** Throws unless `user` may make the router send `host` to `app` (the rules at the top). */
  private checkClaim(user: UserRow, app: AppRow, host: string, shown: string): void {
    const pd = this.platformDomain;
    const place = platformPlace(host, pd);
    if (place.kind === 'platform')
      throw invalid(
        'domain',
        `Only an administrator can add ${shown}: it would cover every app under ${pd}.`,
      );
    if (place.kind === 'app' && place.app !== app.id) {
      const owner = this.apps.find(place.app);
      if (!owner || !this.apps.mayChange(user, owner))
        throw invalid(
          'domain',
          `The domain ${shown} is reserved for the app ${place.app}: names under ${pd} belong to the app of that name.`,
        );
    }
    if (isTopLevelWildcard(host))
      throw invalid(
        'domain',
        `Only an administrator can add ${shown}: it would cover a whole top-level domain.`,
      );
    const others = (rows: DomainRow[]) =>
      rows.find((row) => row.app_uuid !== app.uuid && !this.apps.mayChangeUuid(user, row.app_uuid));
    // Catch-alls (only administrators add them) lose to every exact name by design: not taken from.
    const catchAll = (w: string) => isTopLevelWildcard(w) || platformPlace(w, pd).kind === 'platform';
    const wildcards = coveringWildcards(host).filter((w) => !catchAll(w));
    const covering =
      wildcards.length > 0 &&
      others(
        this.store.db
          .prepare(`${SELECT_DOMAIN} WHERE domains.domain IN (${wildcards.map(() => '?').join(', ')})`)
          .all(...wildcards) as DomainRow[],
      );
    if (covering)
      throw invalid(
        'domain',
        `The domain ${shown} is covered by ${covering.domain}, which is in use by another app`,
      );
    if (host.startsWith('*.')) {
      // Bare names are never covered here: only a wildcard on the platform domain covers them.
      const covered = others(
        this.store.db
          .prepare(`${SELECT_DOMAIN} WHERE domains.domain LIKE ? ESCAPE '\\'`)
          .all(endingWith(host.slice(1))) as DomainRow[],
      );
      if (covered)
        throw invalid(
          'domain',
          `The domain ${shown} covers ${covered.domain}, which is in use by another app`,
        );
    }
  }

  /** Removes one of the app's domains; a certificate attached to it is detached with it. */
  /** Removes the app's domain; returns it as stored. */
  remove(app: AppRow, domain: string): string {
    return this.store.tx(() => {
      const row = this.find(domain);
      if (!row || row.app_uuid !== app.uuid) throw notFound('Domain');
      this.store.db.prepare('DELETE FROM domains WHERE id = ?').run(row.id);
      return row.domain;
    });
  }
}
