/** Request schemas for apps. */
import { z } from 'zod';

export const CreateAppRequest = z.object({ id: z.string({ error: 'Not a valid string.' }).optional() });
export const TransferAppRequest = z.object({ owner: z.string({ error: 'Not a valid string.' }).optional() });
