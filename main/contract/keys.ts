/** Request schemas for SSH keys. The key format itself is checked in the controller. */
import { z } from 'zod';
import { charField } from './drf';
import { MAX_PUBLIC_KEY_CHARS } from './limits';

export const KeyRequest = z.object({
  id: charField({ max: 128 }),
  public: charField({ max: MAX_PUBLIC_KEY_CHARS }),
});
export type KeyRequest = z.infer<typeof KeyRequest>;
