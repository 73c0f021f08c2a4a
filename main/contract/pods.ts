/** Request schemas and objects of the run stage: scale, pods, run. */
import { z } from 'zod';
import { RUN_COMMAND_MAX_CHARS } from './limits';

/** Deis's process type rule (also the Procfile's). */
export const PROCESS_TYPE_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** `{"web": 3, "worker": "1"}`: Deis converts each count with int(). */
export const ScaleRequest = z.record(z.string(), z.union([z.number(), z.string()]));

export const RunRequest = z.object({
  command: z
    .string({ error: (i) => (i.input === undefined ? 'This field is required.' : 'Not a valid string.') })
    .trim()
    .min(1, { error: 'This field may not be blank.' })
    .max(RUN_COMMAND_MAX_CHARS, {
      error: `Ensure this field has no more than ${RUN_COMMAND_MAX_CHARS} characters; put a longer script in the app and run that.`,
    })
    .refine((c) => !c.includes('\0'), { error: 'A command cannot contain a NUL character.' }),
});

export interface Pod {
  name: string;
  state: string;
  type: string;
  release: string;
  started: string;
}

export interface RunResponse {
  exit_code: number;
  output: string;
}
