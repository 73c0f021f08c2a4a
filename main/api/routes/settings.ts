/** /v2/apps/<id>/settings/, /whitelist/ and /tls/: an app's router-facing settings. */
import { SettingsRequest, TlsRequest, WhitelistRequest } from '../../contract/settings';
import type { Controller } from '../../controller';
import { settingsJson } from '../../controller/settings';
import { tlsJson } from '../../controller/tls';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function settingsRoutes(r: Router, c: Controller): void {
  r.add(`/v2/apps/${APP}/settings/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: settingsJson(c.settings.latest(app)) };
    },
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const change = parseBody(SettingsRequest, req.body);
      return { status: 201, body: settingsJson(c.settings.update(req.user, app, change)) };
    },
  });
  r.add(`/v2/apps/${APP}/whitelist/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: { addresses: c.whitelist.addresses(app) } };
    },
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { addresses } = parseBody(WhitelistRequest, req.body);
      return { status: 201, body: { addresses: c.whitelist.add(req.user, app, addresses) } };
    },
    DELETE: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { addresses } = parseBody(WhitelistRequest, req.body);
      c.whitelist.remove(req.user, app, addresses);
      return { status: 204 };
    },
  });
  r.add(`/v2/apps/${APP}/tls/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: tlsJson(c.tls.latest(app)) };
    },
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { https_enforced } = parseBody(TlsRequest, req.body);
      return { status: 201, body: tlsJson(c.tls.update(req.user, app, https_enforced)) };
    },
  });
}
