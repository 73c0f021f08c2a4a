/** /v2/apps/<id>/config/: read the current config, or change it (which cuts a release). */
import { SetConfigRequest } from '../../contract/config';
import type { Controller } from '../../controller';
import { configJson } from '../../controller/config';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function configRoutes(r: Router, c: Controller): void {
  r.add(`/v2/apps/${APP}/config/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: configJson(c.configs.current(app), app.id) };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const change = parseBody(SetConfigRequest, req.body);
      const { config } = await c.configs.set(app, req.user, change);
      return { status: 201, body: configJson(config, app.id) };
    },
  });
}
