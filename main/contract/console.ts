/**
 * The process console: a command run inside one live process of an app (the desktop extension
 * `POST /v2/desktop/apps/<app>/pods/<name>/exec/`), its output streamed as server-sent events like
 * the streamed `deis run`: `output` (`{"text"}`), then `exit` (`{"exit_code"}`) or `error` (`{"detail"}`).
 */
import { z } from 'zod';
import { CONSOLE_COMMAND_MAX_CHARS } from './limits';

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
