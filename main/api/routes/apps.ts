/** /v2/apps/: create, list, get, transfer, destroy. */
import { CreateAppRequest, TransferAppRequest } from '../../contract/apps';
import type { Controller } from '../../controller';
import { appJson } from '../../controller/apps';
import type { Scheduler } from '../../controller/scheduler';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';

export const APP = '([a-z0-9-]+)';

export function appsRoutes(r: Router, c: Controller, s: Scheduler): void {
  r.add('/v2/apps/?', {
    GET: (req) => ({ status: 200, body: paginate(req, c.apps.list(req.user).map(appJson)) }),
    POST: async (req) => {
      const { id, target } = parseBody(CreateAppRequest, req.body);
      const app = c.apps.create(
        req.user,
        id,
        target === undefined ? undefined : { name: target, exists: (name) => c.targets.exists(name) },
      );
      s.note(app, `${req.user.username} created initial release`);
      // The router knows the app from the start: 503 until something runs, instead of 404.
      await s.reroute(app);
      return { status: 201, body: appJson(app) };
    },
  });
  r.add(`/v2/apps/${APP}/?`, {
    GET: (req) => ({ status: 200, body: appJson(c.apps.access(req.user, req.params[0]!, req.method)) }),
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { owner } = parseBody(TransferAppRequest, req.body);
      if (owner !== undefined) c.apps.transfer(req.user, app, c.users.get(owner));
      return { status: 200 };
    },
    DELETE: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      // Processes and routes go first, so nothing keeps serving an app that no longer exists; its
      // repository, build cache and images go with it (builder), so a new app of the name gets none.
      await s.destroy(app);
      await c.apps.destroy(app);
      return { status: 204 };
    },
  });
}
