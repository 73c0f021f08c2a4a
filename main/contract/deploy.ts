/** Request schema of the desktop extension POST /v2/desktop/apps/<id>/deploy/: deploy a local folder. */
import { z } from 'zod';

export const DeployFolderRequest = z.object({
  path: z
    .string({ error: 'This field is required.' })
    .trim()
    .min(1, 'This field may not be blank.')
    .max(4096, 'Ensure this field has no more than 4096 characters.')

    .refine((p) => !/[\x00-\x1f\x7f]/.test(p), {
      message: 'The path has a control character (such as a NUL byte) that no folder name has.',
    }),
});
export type DeployFolderRequest = z.infer<typeof DeployFolderRequest>;
