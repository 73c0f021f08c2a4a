/**
 * POST /v2/desktop/apps/<app>/promote/: deploys a release of an app to another target (a Deis
 * Desktop extension; Deis and Hephy have nothing under /v2/desktop/). Whoever may change the app may
 * promote it; the answer comes once the copy on the destination serves the release.
 */
import { PromoteRequest, type PromoteResult } from '../../contract/targets';
import type { Controller } from '../../controller';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

export function promoteRoutes(r: Router, c: Controller): void {
  r.add(`/v2/desktop/apps/${APP}/promote/?`, {
    POST: async (req) => {
      const source = c.apps.access(req.user, req.params[0]!, req.method);
      const { to, version } = parseBody(PromoteRequest, req.body);
      const done = await c.promotions.promote(req.user, source, to, version);
      const body: PromoteResult = {
        app: done.app.id,
        target: done.app.target,
        version: done.release.version,
        from: done.from,
        image: done.image,
        summary: done.release.summary,
      };
      return { status: 201, body };
    },
  });
}
