/** /v2/apps/<id>/settings/, /whitelist/ and /tls/: an app's router-facing settings. */
import { SettingsRequest, TlsRequest, WhitelistRequest } from '../../contract/settings';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import { settingsJson } from '../../controller/settings';
import { tlsJson } from '../../controller/tls';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function settingsRoutes(r: Router, c: Controller, s: Scheduler): void {
  r.add(`/v2/apps/${APP}/settings/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: settingsJson(c.settings.latest(app)) };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const change = parseBody(SettingsRequest, req.body);
      const updated = c.settings.update(req.user, app, change);
      s.note(app, `appsettings ${app.id} updated`);
      await s.reroute(app);
      return { status: 201, body: settingsJson(updated) };
    },
  });
  r.add(`/v2/apps/${APP}/whitelist/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: { addresses: c.whitelist.addresses(app) } };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { addresses } = parseBody(WhitelistRequest, req.body);
      const all = c.whitelist.add(req.user, app, addresses);
      await s.reroute(app);
      return { status: 201, body: { addresses: all } };
    },
    DELETE: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { addresses } = parseBody(WhitelistRequest, req.body);
      c.whitelist.remove(req.user, app, addresses);
      await s.reroute(app);
      return { status: 204 };
    },
  });
  r.add(`/v2/apps/${APP}/tls/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      return { status: 200, body: tlsJson(c.tls.latest(app)) };
    },
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { https_enforced } = parseBody(TlsRequest, req.body);
      const updated = c.tls.update(req.user, app, https_enforced);
      s.note(app, `tls ${app.id} updated`);
      await s.reroute(app);
      return { status: 201, body: tlsJson(updated) };
    },
  });
}
