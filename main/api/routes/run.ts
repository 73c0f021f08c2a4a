/** /v2/apps/<id>/run (one-off commands) and /v2/apps/<id>/logs, and their streaming desktop forms. */
import { badRequest } from '../../contract/errors';
import { MAX_LOG_LINES } from '../../contract/limits';
import { RunRequest } from '../../contract/pods';
import { pyBytesRepr } from '../../contract/python';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import type { Router } from '../router';
import { logEvents, runChannel } from '../sse';
import { parseBody } from '../validate';
import { APP } from './apps';

/** Deis's LOG_LINES default. */
const DEFAULT_LOG_LINES = 100;

/** `?log_lines=N`: how many recent lines (Deis's default when absent), at most MAX_LOG_LINES. */
function logLines(query: URLSearchParams): number {
  const raw = query.get('log_lines');
  const count = raw === null || raw === '' ? DEFAULT_LOG_LINES : /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(count) || count > MAX_LOG_LINES) {
    const shown = raw !== null && raw.length > 20 ? `${raw.slice(0, 20)}…` : raw;
    throw badRequest(`log_lines must be a whole number from 0 to ${MAX_LOG_LINES}, not "${shown}".`);
  }
  return count;
}

export function runRoutes(r: Router, c: Controller, s: Scheduler): void {
  r.add(`/v2/apps/${APP}/run/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { command } = parseBody(RunRequest, req.body);
      // The client going away kills the command.
      return { status: 200, body: await s.run(app, req.user, command, { signal: req.signal }) };
    },
  });
  // Desktop extension: the same, with the output streamed as it comes (see sse.ts for the events).
  r.add(`/v2/desktop/apps/${APP}/run/?`, {
    POST: (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { command } = parseBody(RunRequest, req.body);
      // Every byte of output, as fast as this client reads it: a slow client holds the command back.
      const channel = runChannel();
      const done = s.run(app, req.user, command, { output: channel.output, signal: req.signal });
      return { status: 200, stream: channel.events(done) };
    },
  });
  r.add(`/v2/apps/${APP}/logs/?`, {
    GET: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const lines = await s.logs(app, logLines(req.query));
      if (lines.length === 0) return { status: 204 };
      // Python's str() of the logger's bytes, which the original CLI unwraps (see pyBytesRepr).
      const body = pyBytesRepr(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
      return { status: 200, body, contentType: 'text/plain' };
    },
  });
  // Desktop extension for the UI and our CLI: recent lines, then new ones as they are written.
  r.add(
    `/v2/desktop/apps/${APP}/logs/?`,
    {
      GET: async (req) => {
        const app = c.apps.access(req.user, req.params[0]!, req.method);
        const recent = await s.logs(app, logLines(req.query));
        return { status: 200, stream: logEvents(recent, s.followLogs(app, req.signal)) };
      },
    },
    'user',
  );
}
