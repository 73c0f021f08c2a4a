/**
 * What a service drag carries: a catalog kind (provisioned, then attached) or a service by name. A
 * drop can come from any page, so its payload is parsed and checked before anything is done with it.
 */
import { z } from 'zod';
import { SERVICE_DROP_MAX_CHARS } from '../../../main/contract/limits';

export const SERVICE_DRAG_TYPE = 'application/x-deis-service';

export type ServiceSource = { kind: string } | { service: string };

const SourceSchema = z.union([
  z.object({ kind: z.string().max(32) }).strict(),
  z.object({ service: z.string().max(64) }).strict(),
]);

/** The source a drop's payload names, or null when it is not one of ours. */
export function parseSource(raw: string): ServiceSource | null {
  if (!raw || raw.length > SERVICE_DROP_MAX_CHARS) return null;
  try {
    const parsed = SourceSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
