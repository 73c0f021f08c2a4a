/** Request schemas for apps. */
import { z } from 'zod';
import { charField } from './drf';
import { TARGET_NAME_MAX } from './limits';

export const APP_ID_RE = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
export const APP_ID_MESSAGE =
  'App name must start with an alphabetic character, cannot end with a hyphen and can only contain a-z (lowercase), 0-9 and hyphens.';

export const CreateAppRequest = z.object({
  id: z.string({ error: 'Not a valid string.' }).optional(),
  /** Deis Desktop: the target the app runs on (`local` by default). */
  target: charField({ max: TARGET_NAME_MAX }).optional(),
});
export const TransferAppRequest = z.object({ owner: z.string({ error: 'Not a valid string.' }).optional() });
