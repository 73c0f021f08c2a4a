/** /v2/apps/<id>/builds/: list (newest first), get one by uuid, and create from an image (`deis pull`). */
import { CreateBuildRequest } from '../../contract/builds';
import type { Controller } from '../../controller';
import { buildJson } from '../../controller/builds';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function buildsRoutes(r: Router, c: Controller): void {
  r.add(`/v2/apps/${APP}/builds/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return {
        status: 200,
        body: paginate(
          req,
          c.builds.list(app).map((b) => buildJson(b, app.id)),
        ),
      };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { image, procfile } = parseBody(CreateBuildRequest, req.body);
      const imageId = await c.builds.admitImage(app, req.user, image);
      const { build } = await c.builds.create(app, req.user, { image, imageId, procfile });
      return { status: 201, body: buildJson(build, app.id) };
    },
  });
  r.add(`/v2/apps/${APP}/builds/([-_\\w]+)/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: buildJson(c.builds.get(app, req.params[1]!), app.id) };
    },
  });
  // Desktop extension: the build's output as plain text.
  r.add(`/v2/apps/${APP}/builds/([-_\\w]+)/log/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return {
        status: 200,
        body: c.builds.log(app, req.params[1]!),
        contentType: 'text/plain; charset=utf-8',
      };
    },
  });
}
