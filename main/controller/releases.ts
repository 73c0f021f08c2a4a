/**
 * Releases: the immutable, numbered pairs of build and config an app runs. Versions are
 * max(existing)+1 (failed releases count, numbers are never reused). Whoever runs apps subscribes
 * with `onRelease` and is told about every release cut, after its transaction has committed.
 */
import { badRequest, notFound } from '../contract/errors';
import type { Release } from '../contract/objects';
import type { Store } from '../store/db';
import { timestamp, uuid } from '../store/clock';
import type { AppRow } from './apps';
import type { UserRow } from './users';

export interface ReleaseRow {
  uuid: string;
  app_uuid: string;
  owner_id: number;
  /** The owner's username. */
  owner: string;
  version: number;
  summary: string;
  failed: number;
  config_uuid: string;
  build_uuid: string | null;
  created: string;
  updated: string;
}

/** What a new release is made of. */
export interface ReleaseParts {
  config: string;
  build: string | null;
  summary: string;
}

/** Why a release was cut: a new build, a config change, or a rollback. */
export type ReleaseCause = 'build' | 'config' | 'rollback';

export interface ReleaseEvent {
  app: AppRow;
  release: ReleaseRow;
  cause: ReleaseCause;
  /** Lines for whoever waits on the release (a `git push`): how its deploy goes, as it goes. */
  say?: (line: string) => void;
}

/**
 * Told about each new release once it is stored. The request that cut it waits for the returned
 * promise, and an error thrown here becomes that request's error (Deis deploys inside the request).
 */
export type ReleaseListener = (event: ReleaseEvent) => void | Promise<void>;

const SELECT_RELEASE =
  'SELECT releases.*, users.username AS owner FROM releases JOIN users ON users.id = releases.owner_id';

export function releaseJson(r: ReleaseRow, appId: string): Release {
  return {
    uuid: r.uuid,
    created: r.created,
    updated: r.updated,
    owner: r.owner,
    app: appId,
    version: r.version,
    summary: r.summary,
    failed: r.failed === 1,
    config: r.config_uuid,
    build: r.build_uuid,
  };
}

/** Whether the release a rollback would copy can still run (see `checkRollbacksWith`). */
export type RollbackCheck = (app: AppRow, release: ReleaseRow) => Promise<void>;

export class Releases {
  private readonly listeners = new Set<ReleaseListener>();
  private rollbackCheck: RollbackCheck | undefined;

  constructor(private readonly store: Store) {}

  /** Newest first. */
  list(app: AppRow): ReleaseRow[] {
    return this.store.db
      .prepare(`${SELECT_RELEASE} WHERE releases.app_uuid = ? ORDER BY releases.version DESC`)
      .all(app.uuid) as ReleaseRow[];
  }

  find(app: AppRow, version: number): ReleaseRow | undefined {
    return this.store.db
      .prepare(`${SELECT_RELEASE} WHERE releases.app_uuid = ? AND releases.version = ?`)
      .get(app.uuid, version) as ReleaseRow | undefined;
  }

  get(app: AppRow, version: number): ReleaseRow {
    const release = this.find(app, version);
    if (!release) throw notFound('Release');
    return release;
  }

  /** The release the app should be running: the newest one that did not fail (v1 never fails). */
  current(app: AppRow): ReleaseRow {
    const release = this.store.db
      .prepare(
        `${SELECT_RELEASE} WHERE releases.app_uuid = ? AND releases.failed = 0 ORDER BY releases.version DESC LIMIT 1`,
      )
      .get(app.uuid) as ReleaseRow | undefined;
    if (!release) throw notFound('Release');
    return release;
  }

  nextVersion(app: AppRow): number {
    const row = this.store.db
      .prepare('SELECT MAX(version) AS v FROM releases WHERE app_uuid = ?')
      .get(app.uuid) as { v: number | null };
    return (row.v ?? 0) + 1;
  }

  /** Stores a new release. Call inside the caller's `store.tx()`, then `announce` after it. */
  insert(app: AppRow, user: UserRow, parts: ReleaseParts): ReleaseRow {
    const now = timestamp();
    const id = uuid();
    this.store.db
      .prepare(
        'INSERT INTO releases (uuid, app_uuid, owner_id, version, summary, failed, config_uuid, build_uuid, created, updated) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)',
      )
      .run(id, app.uuid, user.id, this.nextVersion(app), parts.summary, parts.config, parts.build, now, now);
    return this.store.db.prepare(`${SELECT_RELEASE} WHERE releases.uuid = ?`).get(id) as ReleaseRow;
  }

  /**
   * Cuts a release that copies the build and config of `version` (default: the one before the
   * current release). The initial release and failed releases cannot be rolled back to.
   */
  async rollback(app: AppRow, user: UserRow, version?: number | null): Promise<ReleaseRow> {
    const pick = () => {
      const target = version ?? this.current(app).version - 1;
      if (target < 1) throw badRequest('version cannot be below 0');
      if (target === 1) throw badRequest('Cannot roll back to initial release.');
      const old = this.get(app, target);
      if (old.failed) throw badRequest('Cannot roll back to failed release.');
      return old;
    };
    // A release that could not run (its image is gone) is refused before one is cut.
    if (this.rollbackCheck) await this.rollbackCheck(app, pick());
    const release = this.store.tx(() => {
      const old = pick();
      const target = old.version;
      return this.insert(app, user, {
        config: old.config_uuid,
        build: old.build_uuid,
        summary: `${user.username} rolled back to v${target}`,
      });
    });
    await this.announce({ app, release, cause: 'rollback' });
    return release;
  }

  /**
   * Marks a release that could not be deployed; it stays in the list (its version is never reused)
   * and `current` skips it, so the app keeps running the release before it.
   */
  markFailed(release: ReleaseRow, summary: string = release.summary): void {
    this.store.tx(() => {
      this.store.db
        .prepare('UPDATE releases SET failed = 1, summary = ?, updated = ? WHERE uuid = ?')
        .run(summary, timestamp(), release.uuid);
    });
  }

  /** Asked before a rollback cuts its release; throws (a DeisError) when that release cannot run. */
  checkRollbacksWith(check: RollbackCheck): void {
    this.rollbackCheck = check;
  }

  /** Subscribes to new releases; returns the unsubscribe function. */
  onRelease(listener: ReleaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every listener, one after the other, about a release that has been committed. */
  async announce(event: ReleaseEvent): Promise<void> {
    for (const listener of [...this.listeners]) await listener(event);
  }
}
