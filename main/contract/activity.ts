/**
 * The activity feed: every change to an app (builds, releases, config keys, scale, restarts,
 * rollbacks, domains, settings, sharing) and every failure with its reason, with who and when.
 * Config changes name keys, never values.
 */
import { z } from 'zod';
import { ACTIVITY_MAX_PAGE } from './limits';

export type ActivityAction =
  | 'create'
  | 'destroy'
  | 'transfer'
  | 'build'
  | 'config'
  | 'scale'
  | 'restart'
  | 'rollback'
  | 'domain'
  | 'settings'
  | 'whitelist'
  | 'tls'
  | 'perms'
  | 'run'
  | 'deploy';

export interface ActivityEntry {
  id: number;
  app: string;
  /** Who did it. */
  user: string;
  action: ActivityAction;
  /** What was done, in a short sentence (no secret: config keys only). */
  summary: string;
  /** False when it failed; then `reason` says why. */
  ok: boolean;
  reason: string;
  created: string;
}

export interface ActivityEvent {
  type: 'activity';
  entry: ActivityEntry;
}

/** `?limit=N`: the newest N entries; 100 unless asked. */
export const ActivityQuery = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a whole number.' })
    .int({ error: 'limit must be a whole number.' })
    .min(1, { error: 'limit must be at least 1.' })
    .max(ACTIVITY_MAX_PAGE, { error: `limit must be at most ${ACTIVITY_MAX_PAGE}.` })
    .default(100),
});
