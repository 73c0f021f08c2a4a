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

/**
 * A Docker image reference, `[registry[:port]/]name[:tag][@sha256:digest]` or an image ID, as Docker's
 * own grammar has it. Anything else (spaces, `..`, `?`) would reach the engine's API as part of a path.
 */
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const IMAGE_REF_RE = new RegExp(
  `^(?:sha256:[a-f0-9]{64}|${DOMAIN}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?)$`,
);
export const IMAGE_REF_MESSAGE =
  'Enter a Docker image reference, such as nginx:1.25 or registry.example.com/team/app:v1.';

export const CreateBuildRequest = z.object({
  image: z
    .string({
      error: (issue) => (issue.input === null ? 'This field may not be null.' : 'Not a valid string.'),
    })
    .trim()
    .min(1, 'This field may not be blank.')
    .max(512, 'Ensure this field has no more than 512 characters.')
    .refine((v) => v === '' || IMAGE_REF_RE.test(v), IMAGE_REF_MESSAGE),
  procfile: procfile.optional(),
});
export type CreateBuildRequest = z.infer<typeof CreateBuildRequest>;
