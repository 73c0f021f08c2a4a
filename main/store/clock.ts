/** Timestamps as the Deis API renders them: UTC, seconds precision, `Z` suffix. */
import { randomUUID } from 'node:crypto';

export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const uuid = (): string => randomUUID();
