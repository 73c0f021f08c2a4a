/**
 * Desktop extensions: the activity feed of an app (/v2/apps/<id>/activity/), of every app the user
 * may read (/v2/desktop/activity/), and live (/v2/desktop/activity/events/, server-sent events
 * `event: activity`). Whoever may read an app may read its feed: owner, collaborators, admins.
 */
import { ActivityQuery, type ActivityEvent } from '../../contract/activity';
import { badRequest } from '../../contract/errors';
import type { Controller } from '../../controller';
import type { UserRow } from '../../controller/users';
import type { ApiRequest, Router } from '../router';
import { taskEvents } from '../sse';
import { APP } from './apps';

function limitOf(req: ApiRequest): number {
  const q = ActivityQuery.safeParse({ limit: req.query.get('limit') ?? undefined });
  if (!q.success) throw badRequest(q.error.issues[0]?.message ?? 'limit is not valid.');
  return q.data.limit;
}

export function activityRoutes(r: Router, c: Controller): void {
  /** The apps whose feed the user may read now; undefined: every app (an administrator). */
  const readable = (user: UserRow): string[] | undefined =>
    user.is_superuser ? undefined : c.apps.list(user).map((a) => a.uuid);

  r.add(`/v2/apps/${APP}/activity/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const results = c.activity.forApp(app, limitOf(req));
      return { status: 200, body: { count: results.length, results } };
    },
  });
  r.add('/v2/desktop/activity/?', {
    GET: (req) => {
      const results = c.activity.across(readable(req.user), limitOf(req));
      return { status: 200, body: { count: results.length, results } };
    },
  });
  r.add('/v2/desktop/activity/events/?', {
    GET: (req) => {
      const only = req.query.get('app');
      const app = only ? c.apps.access(req.user, only, 'GET') : undefined;
      // Decided per entry as it comes: sharing can change while the stream is open.
      const mayRead = (uuid: string) =>
        req.user.is_superuser === 1 || c.apps.list(req.user).some((a) => a.uuid === uuid);
      return {
        status: 200,
        stream: taskEvents<ActivityEvent>(
          (listener) =>
            c.activity.subscribe((entry, uuid) => {
              if ((!app || app.uuid === uuid) && mayRead(uuid)) listener({ type: 'activity', entry });
            }),
          req.signal,
        ),
      };
    },
  });
}
