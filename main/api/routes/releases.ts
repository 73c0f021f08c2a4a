/** /v2/apps/<id>/releases/: list (newest first), get v<N>, and roll back. */
import { RollbackRequest } from '../../contract/releases';
import type { Controller } from '../../controller';
import { configJson } from '../../controller/config';
import { releaseJson } from '../../controller/releases';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function releasesRoutes(r: Router, c: Controller): void {
  r.add(`/v2/apps/${APP}/releases/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return {
        status: 200,
        body: paginate(
          req,
          c.releases.list(app).map((rel) => releaseJson(rel, app.id)),
        ),
      };
    },
  });
  r.add(`/v2/apps/${APP}/releases/v([0-9]+)/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: releaseJson(c.releases.get(app, Number(req.params[1])), app.id) };
    },
  });
  // Desktop extension: the config values a release was cut with (the UI compares two releases).
  r.add(`/v2/apps/${APP}/releases/v([0-9]+)/config/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const release = c.releases.get(app, Number(req.params[1]));
      return { status: 200, body: configJson(c.configs.get(release.config_uuid), app.id) };
    },
  });
  r.add(`/v2/apps/${APP}/releases/rollback/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { version } = parseBody(RollbackRequest, req.body);
      const release = await c.releases.rollback(app, req.user, version);
      return { status: 201, body: { version: release.version } };
    },
  });
}
