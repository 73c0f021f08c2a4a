/** /v2/apps/<id>/perms/: an app's collaborators. */
import { PermRequest } from '../../contract/perms';
import type { Controller } from '../../controller';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

/** Any Django username (Deis matched only `[-_\w]+`, so `jo.doe` could not be removed; Hephy widened it). */
const USERNAME = '([\\w.@+-]+)';

export function permsRoutes(r: Router, c: Controller): void {
  r.add(`/v2/apps/${APP}/perms/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: { users: c.perms.list(app) } };
    },
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { username } = parseBody(PermRequest, req.body);
      c.perms.grant(req.user, app, username);
      return { status: 201 };
    },
  });
  r.add(`/v2/apps/${APP}/perms/${USERNAME}/?`, {
    DELETE: (req) => {
      c.perms.revoke(req.user, req.params[0]!, req.params[1]!);
      return { status: 204 };
    },
  });
}
