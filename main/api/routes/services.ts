/**
 * /v2/services/: backing services, a Deis Desktop extension (Deis and Hephy have no such path; Hephy's
 * `/v2/apps/<id>/services/` are process-type routes, a different thing). Lists are paginated as DRF
 * does; no answer carries a credential.
 */
import {
  ServiceAttachRequest,
  ServiceConnectRequest,
  ServiceCreateRequest,
  ServiceDestroyRequest,
  ServiceLogsQuery,
  ServicePromoteRequest,
} from '../../contract/services';
import { badRequest } from '../../contract/errors';
import { SERVICE_BACKUP_MAX_BYTES } from '../../contract/limits';
import type { Controller } from '../../controller';
import { paginate } from '../paginate';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

/** Wide enough to answer "no such service" for any name a user types (names are checked on create). */
const SERVICE = '([-\\w.]+)';

export function servicesRoutes(r: Router, c: Controller): void {
  const s = c.services;
  r.add('/v2/services/?', {
    GET: (req) => ({
      status: 200,
      body: paginate(
        req,
        s.list(req.user).map((x) => s.json(x)),
      ),
    }),
    POST: (req) => {
      const input = parseBody(ServiceCreateRequest, req.body);
      return { status: 201, body: s.json(s.create(req.user, input)) };
    },
  });
  // Before the service routes: `catalog` is not a name a service can have.
  r.add('/v2/services/catalog/?', {
    // With what each kind can do, so a client offers a backup only where there is one.
    GET: (req) => ({
      status: 200,
      body: paginate(
        req,
        s.catalog.kinds().map((k) => {
          const entry = s.catalog.get(k.kind);
          return { ...k, backup: !!entry?.backup, restore: !!(entry?.restore ?? entry?.restoreOffline) };
        }),
      ),
    }),
  });
  r.add(`/v2/services/${SERVICE}/?`, {
    GET: (req) => ({ status: 200, body: s.json(s.access(req.user, req.params[0]!)) }),
    DELETE: async (req) => {
      const { confirm } = parseBody(ServiceDestroyRequest, req.body);
      await s.destroy(req.user, req.params[0]!, confirm);
      return { status: 204 };
    },
  });
  r.add(`/v2/services/${SERVICE}/apps/?`, {
    GET: (req) => ({
      status: 200,
      body: paginate(req, s.attachments(s.access(req.user, req.params[0]!))),
    }),
    POST: async (req) => {
      const input = parseBody(ServiceAttachRequest, req.body);
      const { var: variable, release } = await s.attach(req.user, req.params[0]!, input);
      return { status: 201, body: { app: input.app, var: variable, release: release.version } };
    },
  });
  r.add(`/v2/services/${SERVICE}/apps/${APP}/?`, {
    DELETE: async (req) => {
      const { release } = await s.detach(req.user, req.params[0]!, req.params[1]!);
      return { status: 200, body: { release: release?.version ?? null } };
    },
  });
  r.add(`/v2/services/${SERVICE}/backup/?`, {
    GET: async (req) => {
      const { size, filename, data } = await s.backup(req.user, req.params[0]!, req.signal);
      return {
        status: 200,
        stream: data,
        contentType: 'application/octet-stream',
        headers: {
          'Content-Length': String(size),
          'Content-Disposition': `attachment; filename="${filename}"`,
        },
      };
    },
  });
  // The backup file is the body (application/octet-stream), streamed into the service.
  r.add(
    `/v2/services/${SERVICE}/restore/?`,
    {
      POST: async (req) => {
        if (!req.raw) throw badRequest('Send the backup file with Content-Type: application/octet-stream.');
        // The name typed again (in the query: the body is the file), as for a destroy: it replaces the data.
        await s.restore(req.user, req.params[0]!, req.query.get('confirm') ?? undefined, req.raw);
        return { status: 204 };
      },
    },
    'user',
    { rawBody: SERVICE_BACKUP_MAX_BYTES },
  );
  r.add(`/v2/services/${SERVICE}/logs/?`, {
    GET: async (req) => {
      const { lines } = parseBody(ServiceLogsQuery, { lines: req.query.get('lines') ?? undefined });
      return { status: 200, body: { lines: await s.logs(req.user, req.params[0]!, lines) } };
    },
  });
  r.add(`/v2/services/${SERVICE}/stats/?`, {
    GET: async (req) => ({ status: 200, body: await s.stats(req.user, req.params[0]!) }),
  });
  r.add(`/v2/services/${SERVICE}/promote/?`, {
    POST: async (req) => {
      const input = parseBody(ServicePromoteRequest, req.body);
      const { var: variable, release } = await s.promote(req.user, req.params[0]!, input.app);
      return { status: 200, body: { app: input.app, var: variable, release: release.version } };
    },
  });
  // A local port forward: opened here, renewed by its CLI (POST), closed on Ctrl-C (DELETE).
  r.add(`/v2/services/${SERVICE}/connect/?`, {
    POST: async (req) => {
      const { port } = parseBody(ServiceConnectRequest, req.body);
      return { status: 201, body: await c.serviceForwards.open(req.user, req.params[0]!, port) };
    },
  });
  r.add(`/v2/services/${SERVICE}/connect/([-0-9a-f]{36})/?`, {
    POST: (req) => {
      c.serviceForwards.renew(req.user, req.params[1]!);
      return { status: 204 };
    },
    DELETE: (req) => {
      c.serviceForwards.close(req.user, req.params[1]!);
      return { status: 204 };
    },
  });
  r.add(`/v2/services/${SERVICE}/restart/?`, {
    POST: async (req) => {
      await s.restart(req.user, req.params[0]!);
      return { status: 204 };
    },
  });
}
