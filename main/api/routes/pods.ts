/** The run stage's process endpoints: /v2/apps/<id>/pods/ (ps, restart) and /scale/. */
import { ScaleRequest } from '../../contract/pods';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import type { ApiRequest, Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

const TYPE = '([a-z0-9-]+)';
const NAME = '([a-z0-9-]+)';

export function podsRoutes(r: Router, c: Controller, s: Scheduler): void {
  const list = async (req: ApiRequest) => {
    const app = c.apps.access(req.user, req.params[0]!, req.method);
    const pods = await s.pods(app, req.params[1], req.params[2]);
    return { status: 200, body: { count: pods.length, results: pods } };
  };
  // Deis answers the bare list of pods once the restarted ones are up.
  const restart = async (req: ApiRequest) => {
    const app = c.apps.access(req.user, req.params[0]!, req.method);
    return { status: 200, body: await s.restart(app, { type: req.params[1], name: req.params[2] }) };
  };
  r.add(`/v2/apps/${APP}/pods/?`, { GET: list });
  r.add(`/v2/apps/${APP}/pods/restart/?`, { POST: restart });
  r.add(`/v2/apps/${APP}/pods/${TYPE}/restart/?`, { POST: restart });
  r.add(`/v2/apps/${APP}/pods/${TYPE}/${NAME}/restart/?`, { POST: restart });
  r.add(`/v2/apps/${APP}/pods/${TYPE}/?`, { GET: list });
  r.add(`/v2/apps/${APP}/pods/${TYPE}/${NAME}/?`, { GET: list });
  r.add(`/v2/apps/${APP}/scale/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      await s.scale(app, parseBody(ScaleRequest, req.body));
      return { status: 204 };
    },
  });
}
