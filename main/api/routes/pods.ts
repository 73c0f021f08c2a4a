/** The run stage's process endpoints: /v2/apps/<id>/pods/ (ps, restart) and /scale/. */
import { ScaleRequest } from '../../contract/pods';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import type { ApiRequest, Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

const TYPE = '([a-z0-9-]+)';
const NAME = '([a-z0-9-]+)';

/** A header value holds printable ASCII only (the notice may name an image from the environment). */
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

export function podsRoutes(r: Router, c: Controller, s: Scheduler): void {
  const list = async (req: ApiRequest) => {
    const app = c.apps.access(req.user, req.params[0]!, req.method);
    const { pods, notice } = await s.podsOrNotice(app, req.params[1], req.params[2]);
    // Deis's shape for every client; our CLI prints the notice (why the list is empty) on stderr.
    const headers = notice ? { 'X-Deis-Notice': headerSafe(notice) } : undefined;
    return { status: 200, body: { count: pods.length, results: pods }, headers };
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
