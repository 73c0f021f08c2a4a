/** Request schemas and objects of the run stage: scale, pods, run. */
import { z } from 'zod';

/** Deis's process type rule (also the Procfile's). */
export const PROCESS_TYPE_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** `{"web": 3, "worker": "1"}`: Deis converts each count with int(). */
export const ScaleRequest = z.record(z.string(), z.union([z.number(), z.string()]));

export const RunRequest = z.object({
  command: z
    .string({ error: (i) => (i.input === undefined ? 'This field is required.' : 'Not a valid string.') })
    .trim()
    .min(1, { error: 'This field may not be blank.' }),
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
