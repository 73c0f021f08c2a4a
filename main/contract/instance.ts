/**
 * The desktop extension /v2/desktop/instance/: whether everything the core runs (the router and the
 * apps) is running or stopped, and the requests that stop, start and remove it all (admins only).
 */
import { z } from 'zod';
import { MAX_INSTANCE_CONFIRM_LENGTH } from './limits';

export const INSTANCE_STATES = ['running', 'stopped', 'stopping', 'starting', 'removing'] as const;
export type InstanceStateName = (typeof INSTANCE_STATES)[number];

export const InstanceStateSchema = z.object({
  /** DEIS_INSTANCE: names the Docker objects; typed to confirm removing them. */
  instance: z.string(),
  state: z.enum(INSTANCE_STATES),
});
export type InstanceState = z.infer<typeof InstanceStateSchema>;

/** POST /v2/desktop/instance/remove/: the instance's name, typed by the user. */
export const RemoveInstanceRequest = z.object({
  confirm: z
    .string({ error: 'Type the instance name to confirm.' })
    .max(
      MAX_INSTANCE_CONFIRM_LENGTH,
      `Ensure this field has no more than ${MAX_INSTANCE_CONFIRM_LENGTH} characters.`,
    ),
});

/** What removing everything removed, by kind of Docker object. */
export const RemovedSchema = z.object({
  instance: z.string(),
  state: z.enum(INSTANCE_STATES),
  removed: z.object({
    containers: z.number(),
    networks: z.number(),
    volumes: z.number(),
    images: z.number(),
  }),
});
export type Removed = z.infer<typeof RemovedSchema>;

/** What a refused deploy, scale or run says while everything is stopped. */
export const STOPPED_MESSAGE =
  'Deis Desktop is stopped: start it (deis instance:start, or Preferences in the app) and try again.';
