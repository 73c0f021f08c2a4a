/** /v2/certs/: the calling user's TLS certificates and the domains they are attached to. */
import { CertAttachRequest, CertRequest } from '../../contract/certs';
import { badRequest } from '../../contract/errors';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { DOMAIN } from './domains';

const NAME = '([-_*.\\w]+)';

export function certsRoutes(r: Router, c: Controller, s: Scheduler): void {
  // The router serves what is attached: it follows every change.
  const reroute = async (apps: string[]) => {
    for (const id of apps) {
      const app = c.apps.find(id);
      if (app) await s.reroute(app);
    }
  };
  r.add('/v2/certs/?', {
    GET: (req) => ({
      status: 200,
      body: paginate(
        req,
        c.certs.list(req.user).map((x) => c.certs.json(x)),
      ),
    }),
    POST: (req) => {
      const input = parseBody(CertRequest, req.body);
      return { status: 201, body: c.certs.json(c.certs.add(req.user, input)) };
    },
  });
  // Deis's pattern: the domain is optional in the path (the CLI attaches with it in the body) and
  // takes no trailing slash.
  r.add(`/v2/certs/${NAME}/domain/${DOMAIN}?`, {
    POST: async (req) => {
      const domain = req.params[1] || parseBody(CertAttachRequest, req.body).domain;
      if (!domain) throw badRequest('domain is a required field');
      await reroute([c.certs.attach(req.user, req.params[0]!, domain)]);
      return { status: 201 };
    },
    DELETE: async (req) => {
      if (!req.params[1]) throw badRequest('domain is a required field');
      await reroute([c.certs.detach(req.user, req.params[0]!, req.params[1])]);
      return { status: 204 };
    },
  });
  r.add(`/v2/certs/${NAME}/?`, {
    GET: (req) => ({ status: 200, body: c.certs.json(c.certs.get(req.user, req.params[0]!)) }),
    DELETE: async (req) => {
      await reroute(c.certs.remove(req.user, req.params[0]!));
      return { status: 204 };
    },
  });
}
