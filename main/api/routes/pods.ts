/** /v2/apps/<id>/pods/: the app's processes. Until a target runs releases, an app has none. */
import type { Controller } from '../../controller';
import type { ApiRequest, Router } from '../router';
import { APP } from './apps';

export function podsRoutes(r: Router, c: Controller): void {
  const list = (req: ApiRequest) => {
    c.apps.access(req.user, req.params[0]!, req.method);
    return { status: 200, body: { count: 0, results: [] } };
  };
  r.add(`/v2/apps/${APP}/pods/?`, { GET: list });
  r.add(`/v2/apps/${APP}/pods/([a-z0-9-]+)/?`, { GET: list });
  r.add(`/v2/apps/${APP}/pods/([a-z0-9-]+)/([a-z0-9-]+)/?`, { GET: list });
}
