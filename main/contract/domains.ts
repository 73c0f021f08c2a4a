/** Request schemas for app domains. The hostname rules need IDNA, so they live in the controller. */
import { z } from 'zod';
import { charField } from './drf';

export const DomainRequest = z.object({ domain: charField() });
export type DomainRequest = z.infer<typeof DomainRequest>;
