/** Request schemas for sharing an app with collaborators. */
import { z } from 'zod';
import { charField } from './drf';

export const PermRequest = z.object({ username: charField() });
export type PermRequest = z.infer<typeof PermRequest>;
