/** Request schemas for builds (`deis builds:create` / `deis pull`) and the process-type rules. */
import { z } from 'zod';
import { dictField, Problem, type Dict } from './fields';
import type { Procfile } from './objects';

/** A process type: lowercase alphanumeric words joined by hyphens (`web`, `worker-2`). */
export const PROCTYPE_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const PROCTYPE_MESSAGE = 'Process types can only contain lowercase alphanumeric characters';

/** What is wrong with a Procfile (`{type: command}`), or undefined when it is valid. */
export function procfileProblem(procfile: Dict): string | undefined {
  for (const [type, command] of Object.entries(procfile)) {
    if (command === null || command === undefined || command === '')
      return "Command can't be empty for process type";
    if (typeof command !== 'string') return 'Command must be a string for process type';
    if (!PROCTYPE_RE.test(type)) return PROCTYPE_MESSAGE;
  }
  return undefined;
}

const procfile = dictField((dict): Procfile | Problem => {
  const problem = procfileProblem(dict);
  return problem ? new Problem(problem) : (dict as Procfile);
});

export const CreateBuildRequest = z.object({
  image: z
    .string({
      error: (issue) => (issue.input === null ? 'This field may not be null.' : 'Not a valid string.'),
    })
    .trim()
    .min(1, 'This field may not be blank.'),
  procfile: procfile.optional(),
});
export type CreateBuildRequest = z.infer<typeof CreateBuildRequest>;
