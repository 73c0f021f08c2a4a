/**
 * Desktop extension: an app's metrics at /v2/apps/<id>/metrics/ (Deis had none; nothing in its API
 * uses the path). Whoever may read the app may read its figures: owner, collaborators, admins.
 */
import { MetricsQuery } from '../../contract/metrics';
import { badRequest } from '../../contract/errors';
import type { Controller } from '../../controller';
import type { Metrics } from '../../controller/metrics';
import type { Router } from '../router';
import { APP } from './apps';

export function metricsRoutes(r: Router, c: Controller, metrics: Metrics, collected: () => boolean): void {
  r.add(`/v2/apps/${APP}/metrics/?`, {
    GET: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const query = MetricsQuery.safeParse({ minutes: req.query.get('minutes') ?? undefined });
      if (!query.success) throw badRequest(query.error.issues[0]?.message ?? 'minutes is not valid.');
      return { status: 200, body: metrics.view(app, query.data.minutes, collected()) };
    },
  });
}
