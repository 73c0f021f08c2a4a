/** Desktop extensions: tasks (long work and its log) and the live event stream (server-sent events). */
import type { Controller } from '../../controller';
import type { Task } from '../../contract/tasks';
import { notFoundDetail } from '../../contract/errors';
import type { UserRow } from '../../controller/users';
import type { ApiRequest, Router } from '../router';
import { taskEvents } from '../sse';

export function tasksRoutes(r: Router, c: Controller): void {
  /** A user sees tasks of apps they may access, and tasks that concern no app. */
  const visible = (user: UserRow, task: Task): boolean => {
    if (task.app === null || user.is_superuser) return true;
    try {
      c.apps.access(user, task.app, 'GET');
      return true;
    } catch {
      return false;
    }
  };

  r.add('/v2/desktop/tasks/?', {
    GET: (req) => {
      const app = req.query.get('app') ?? undefined;
      if (app) c.apps.access(req.user, app, 'GET');
      const kind = req.query.get('kind') ?? undefined;
      const tasks = c.tasks.list({ app, kind }).filter((t) => visible(req.user, t));
      return { status: 200, body: { count: tasks.length, results: tasks } };
    },
  });
  r.add('/v2/desktop/tasks/([-\\w]+)/?', {
    GET: (req) => {
      const task = c.tasks.get(req.params[0]!);
      if (!task || !visible(req.user, task)) throw notFoundDetail('No task with that id.');
      return { status: 200, body: task };
    },
  });
  // Read with fetch() and the Authorization header (the UI's EventSource once sent the token in the URL).
  r.add('/v2/desktop/events/?', {
    GET: (req: ApiRequest) => ({
      status: 200,
      stream: taskEvents(
        (listener) => c.tasks.subscribe((e) => visible(req.user, e.task) && listener(e)),
        req.signal,
      ),
    }),
  });
}
