/** /v2/apps/<id>/run (one-off commands) and /v2/apps/<id>/logs. */
import { badRequest } from '../../contract/errors';
import { RunRequest } from '../../contract/pods';
import { pyBytesRepr } from '../../contract/python';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import type { Router } from '../router';
import { parseBody } from '../validate';
import { APP } from './apps';

/** Deis's LOG_LINES default. */
const DEFAULT_LOG_LINES = 100;

export function runRoutes(r: Router, c: Controller, s: Scheduler): void {
  r.add(`/v2/apps/${APP}/run/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { command } = parseBody(RunRequest, req.body);
      return { status: 200, body: await s.run(app, req.user, command) };
    },
  });
  r.add(`/v2/apps/${APP}/logs/?`, {
    GET: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const raw = req.query.get('log_lines');
      const count = raw === null || raw === '' ? DEFAULT_LOG_LINES : Number(raw);
      if (!Number.isInteger(count) || count < 0)
        throw badRequest(`log_lines must be a whole number, not "${raw}".`);
      const lines = await s.logs(app, count);
      if (lines.length === 0) return { status: 204 };
      // Python's str() of the logger's bytes, which the original CLI unwraps (see pyBytesRepr).
      const body = pyBytesRepr(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
      return { status: 200, body, contentType: 'text/plain' };
    },
  });
  // Desktop extension for the UI and our CLI: recent lines, then new ones as they are written.
  r.add(`/v2/desktop/apps/${APP}/logs/?`, {
    GET: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const raw = req.query.get('log_lines');
      const count = raw === null || raw === '' ? DEFAULT_LOG_LINES : Number(raw);
      if (!Number.isInteger(count) || count < 0)
        throw badRequest(`log_lines must be a whole number, not "${raw}".`);
      return { status: 200, stream: sseLines(await s.logs(app, count), s.followLogs(app, req.signal)) };
    },
  });
}

/** Server-sent events, one `data:` event per log line. */
async function* sseLines(recent: string[], live: AsyncIterable<string>): AsyncIterable<string> {
  for (const line of recent) yield `data: ${line}\n\n`;
  // A comment tells the client that everything before was history.
  yield ': following\n\n';
  for await (const line of live) yield `data: ${line}\n\n`;
}
