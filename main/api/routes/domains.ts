/** /v2/apps/<id>/domains/: list, add and remove an app's domains. */
import { DomainRequest } from '../../contract/domains';
import type { Controller } from '../../controller';
import { domainJson } from '../../controller/domains';
import type { Scheduler } from '../../controller/scheduler';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

/** Deis's `\**\.?[-\._\w]+`; `%` because the path still carries percent-encoded Unicode when matched. */
export const DOMAIN = '(\\**\\.?[-._\\w%]+)';

export function domainsRoutes(r: Router, c: Controller, s: Scheduler): void {
  r.add(`/v2/apps/${APP}/domains/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: paginate(req, c.domains.list(app).map(domainJson)) };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { domain } = parseBody(DomainRequest, req.body);
      const added = c.domains.add(req.user, app, domain);
      s.note(app, `domain ${added.domain} added`);
      await s.reroute(app);
      return { status: 201, body: domainJson(added) };
    },
  });
  r.add(`/v2/apps/${APP}/domains/${DOMAIN}/?`, {
    DELETE: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const removed = c.domains.remove(app, req.params[1]!);
      s.note(app, `domain ${removed} removed`);
      await s.reroute(app);
      return { status: 204 };
    },
  });
}
