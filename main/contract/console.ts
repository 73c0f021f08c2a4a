/**
 * The process console: a command run inside one live process of an app (the desktop extension
 * `POST /v2/desktop/apps/<app>/pods/<name>/exec/`), its output streamed as server-sent events like
 * the streamed `deis run`: `output` (`{"text"}`), then `exit` (`{"exit_code"}`) or `error` (`{"detail"}`).
 */
import { z } from 'zod';
import { CONSOLE_COMMAND_MAX_CHARS, SHELL_COLS_MAX, SHELL_FRAME_MAX_BYTES, SHELL_ROWS_MAX } from './limits';

export const ExecRequest = z.object({
  command: z
    .string({ error: (i) => (i.input === undefined ? 'This field is required.' : 'Not a valid string.') })
    .max(CONSOLE_COMMAND_MAX_CHARS, {
      error: `A console command is at most ${CONSOLE_COMMAND_MAX_CHARS} characters; run a script with deis run instead.`,
    })
    .trim()
    .min(1, { error: 'This field may not be blank.' }),
});
export type ExecRequest = z.infer<typeof ExecRequest>;

/**
 * The interactive shell: `POST /v2/desktop/apps/<app>/pods/<name>/shell/` with the terminal's size
 * answers with a single-use ticket (SHELL_TICKET_TTL_MS); the UI then opens the WebSocket
 * `/v2/desktop/shell/?ticket=<ticket>` (the token never goes in a URL). On it the UI sends JSON text
 * messages (ShellClientMessage); the core sends the terminal's bytes as binary messages, and its
 * own word (ShellServerMessage) as JSON text, then closes.
 */
const size = (name: string, max: number) =>
  z
    .number({ error: `${name} must be a whole number.` })
    .int({ error: `${name} must be a whole number.` })
    .min(1, { error: `${name} must be at least 1.` })
    .max(max, { error: `${name} is at most ${max}.` });

export const ShellSize = z.object({
  cols: size('cols', SHELL_COLS_MAX).default(80),
  rows: size('rows', SHELL_ROWS_MAX).default(24),
});
export type ShellSize = z.infer<typeof ShellSize>;

export const ShellTicket = z.object({ ticket: z.string(), path: z.string(), expires_in_ms: z.number() });
export type ShellTicket = z.infer<typeof ShellTicket>;

export const ShellClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input'), data: z.string().max(SHELL_FRAME_MAX_BYTES) }),
  z.object({
    type: z.literal('resize'),
    cols: size('cols', SHELL_COLS_MAX),
    rows: size('rows', SHELL_ROWS_MAX),
  }),
]);
export type ShellClientMessage = z.infer<typeof ShellClientMessage>;

export type ShellServerMessage =
  { type: 'ready'; pod: string } | { type: 'exit'; exit_code: number } | { type: 'error'; detail: string };
