/**
 * Sharing an app with collaborators. Anyone with access may list them; only the owner or an admin
 * may add one; the owner, an admin or the collaborator themself may remove one (Deis's AppPermsViewSet).
 */
import { badRequest, forbidden, notFound } from '../contract/errors';
import { MAX_COLLABORATORS_PER_APP } from '../contract/limits';
import type { Store } from '../store/db';
import { timestamp } from '../store/clock';
import type { AppRow, Apps } from './apps';
import type { UserRow, Users } from './users';

const isOwnerOrAdmin = (user: UserRow, app: AppRow) => user.is_superuser === 1 || app.owner_id === user.id;

export class Perms {
  constructor(
    private readonly store: Store,
    private readonly apps: Apps,
    private readonly users: Users,
  ) {}

  /** Collaborators' usernames (never the owner), alphabetically. */
  list(app: AppRow): string[] {
    return (
      this.store.db
        .prepare(
          'SELECT users.username FROM app_perms JOIN users ON users.id = app_perms.user_id WHERE app_perms.app_uuid = ? ORDER BY users.username',
        )
        .all(app.uuid) as { username: string }[]
    ).map((r) => r.username);
  }

  grant(actor: UserRow, app: AppRow, username: string): void {
    if (!isOwnerOrAdmin(actor, app)) throw forbidden();
    const user = this.users.get(username);
    // The owner already has every right; a row for them would list the owner as a collaborator.
    if (user.id === app.owner_id) return;
    this.store.tx(() => {
      const db = this.store.db;
      if (this.apps.isCollaborator(app, user)) return;
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM app_perms WHERE app_uuid = ?').get(app.uuid) as {
        n: number;
      };
      if (n >= MAX_COLLABORATORS_PER_APP)
        throw badRequest(
          `An app can be shared with at most ${MAX_COLLABORATORS_PER_APP} users; remove a collaborator before adding another.`,
        );
      db.prepare('INSERT INTO app_perms (app_uuid, user_id, created) VALUES (?, ?, ?)').run(
        app.uuid,
        user.id,
        timestamp(),
      );
    });
  }

  /** Checks in Deis's order: the app, the user, that they collaborate, then who is asking. */
  revoke(actor: UserRow, appId: string, username: string): void {
    const app = this.apps.find(appId);
    if (!app) throw notFound('App');
    const user = this.users.get(username);
    if (!this.apps.isCollaborator(app, user)) throw forbidden();
    if (user.id !== actor.id && !isOwnerOrAdmin(actor, app)) throw forbidden();
    this.store.tx(() => {
      this.store.db
        .prepare('DELETE FROM app_perms WHERE app_uuid = ? AND user_id = ?')
        .run(app.uuid, user.id);
    });
  }
}
