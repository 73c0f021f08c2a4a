/** Request schema for `deis releases:rollback [vN]`: `{}` or `{"version": N}`. */
import { z } from 'zod';

export const RollbackRequest = z.object({
  // Deis runs int() on it, so "3" works as well as 3; null means "the one before the current".
  version: z
    .union(
      [
        z.number().int(),
        z
          .string()
          .trim()
          .regex(/^[-+]?\d+$/)
          .transform(Number),
      ],
      {
        error: 'A valid integer is required.',
      },
    )
    .nullish(),
});
export type RollbackRequest = z.infer<typeof RollbackRequest>;
