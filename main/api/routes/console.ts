/**
 * Desktop extension: the process console, `POST /v2/desktop/apps/<id>/pods/<name>/exec/` with
 * `{"command"}`: the command runs with /bin/sh inside that live process, and its output streams back
 * as server-sent events (`output`, then `exit` or `error`; see sse.ts). Whoever may run one-off
 * commands in the app may use it: its owner, its collaborators and administrators. The command is
 * bounded (CONSOLE_COMMAND_MAX_CHARS), counted with the one-off commands (MAX_RUNS_PER_APP), and
 * stopped past CONSOLE_TIMEOUT_MS or CONSOLE_OUTPUT_MAX_CHARS, or when the client goes away.
 *
 * `POST /v2/desktop/apps/<id>/pods/<name>/shell/` with `{"cols", "rows"}` answers with a ticket for
 * the interactive shell's WebSocket (shell.ts), for the same people.
 */
import { ExecRequest, ShellSize } from '../../contract/console';
import type { Controller } from '../../controller';
import type { Scheduler } from '../../controller/scheduler';
import type { Router } from '../router';
import { runChannel } from '../sse';
import type { ShellGateway } from '../shell';
import { SHELL_SOCKET_PATH } from '../shell';
import { parseBody } from '../validate';
import { APP } from './apps';

const NAME = '([a-z0-9-]+)';

export function consoleRoutes(r: Router, c: Controller, s: Scheduler, shells?: ShellGateway): void {
  r.add(`/v2/desktop/apps/${APP}/pods/${NAME}/exec/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const { command } = parseBody(ExecRequest, req.body);
      const channel = runChannel();
      // Refusals (no such process, not up, too many commands) answer with their status here.
      const { done } = await s.exec(app, req.params[1]!, command, {
        output: channel.output,
        signal: req.signal,
      });
      return { status: 200, stream: channel.events(done) };
    },
  });
  if (!shells) return;
  // The interactive shell: a ticket for the WebSocket (see shell.ts), for whoever may use the console.
  r.add(`/v2/desktop/apps/${APP}/pods/${NAME}/shell/?`, {
    POST: async (req) => {
      const app = c.apps.access(req.user, req.params[0]!, req.method);
      const size = parseBody(ShellSize, req.body ?? {});
      await s.checkShell(app, req.params[1]!);
      const issued = shells.issue(req.user, app.id, req.params[1]!, size);
      return { status: 201, body: { ...issued, path: SHELL_SOCKET_PATH } };
    },
  });
}
