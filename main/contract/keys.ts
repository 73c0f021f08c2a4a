/** Request schemas for SSH keys. The key format itself is checked in the controller. */
import { z } from 'zod';
import { charField } from './drf';

export const KeyRequest = z.object({ id: charField({ max: 128 }), public: charField() });
export type KeyRequest = z.infer<typeof KeyRequest>;
