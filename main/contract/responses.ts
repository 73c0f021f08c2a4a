/**
 * Schemas of the API's answers, for clients that parse what they get (the renderer) instead of
 * casting it. Each one checks the fields a client relies on and is tied to the interface in
 * objects.ts, so the two cannot drift.
 */
import { z } from 'zod';
import type { App, AppSettings, Build, Config, Domain, Key, Release, User } from './objects';
import type { Task, TaskWithLog } from './tasks';

const stringMap = z.record(z.string(), z.string());

export const AppSchema = z.object({
  uuid: z.string(),
  id: z.string(),
  owner: z.string(),
  structure: z.record(z.string(), z.number()),
  target: z.string().optional(),
  created: z.string(),
  updated: z.string(),
}) satisfies z.ZodType<App>;

export const ReleaseSchema = z.object({
  uuid: z.string(),
  created: z.string(),
  updated: z.string(),
  owner: z.string(),
  app: z.string(),
  version: z.number(),
  summary: z.string(),
  failed: z.boolean(),
  config: z.string(),
  build: z.string().nullable(),
}) satisfies z.ZodType<Release>;

export const ConfigSchema = z.object({
  uuid: z.string(),
  created: z.string(),
  updated: z.string(),
  owner: z.string(),
  app: z.string(),
  values: stringMap,
  memory: stringMap,
  cpu: stringMap,
  tags: stringMap,
  registry: stringMap,
  // Probes are many-shaped; the UI shows them as they are.
  healthcheck: z.record(z.string(), z.record(z.string(), z.any())),
}) satisfies z.ZodType<Config>;

export const BuildSchema = z.object({
  owner: z.string(),
  app: z.string(),
  image: z.string(),
  sha: z.string(),
  procfile: stringMap,
  dockerfile: z.string(),
  created: z.string(),
  updated: z.string(),
  uuid: z.string(),
}) satisfies z.ZodType<Build>;

export const DomainSchema = z.object({
  owner: z.string(),
  created: z.string(),
  updated: z.string(),
  app: z.string(),
  domain: z.string(),
}) satisfies z.ZodType<Domain>;

export const AppSettingsSchema = z.object({
  uuid: z.string(),
  created: z.string(),
  updated: z.string(),
  owner: z.string(),
  app: z.string(),
  maintenance: z.boolean(),
  routable: z.boolean(),
  whitelist: z.array(z.string()),
  autoscale: z.record(z.string(), z.object({ min: z.number(), max: z.number(), cpu_percent: z.number() })),
  label: stringMap,
}) satisfies z.ZodType<AppSettings>;

/** A process. Its state is read as any string: targets may report states Deis never had. */
export const PodSchema = z.object({
  name: z.string(),
  state: z.string(),
  type: z.string(),
  release: z.string(),
  started: z.string(),
});
export type PodInfo = z.infer<typeof PodSchema>;

export const UserSchema = z.object({
  email: z.string(),
  username: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  is_superuser: z.boolean(),
  is_staff: z.boolean(),
  groups: z.array(z.unknown()),
  user_permissions: z.array(z.unknown()),
  last_login: z.string().nullable(),
  date_joined: z.string(),
  is_active: z.boolean(),
}) satisfies z.ZodType<User>;

export const TokenSchema = z.object({ token: z.string() });

export const KeySchema = z.object({
  uuid: z.string(),
  created: z.string(),
  updated: z.string(),
  owner: z.string(),
  id: z.string(),
  public: z.string(),
  fingerprint: z.string(),
}) satisfies z.ZodType<Key>;

/** An app's collaborators (never its owner). */
export const PermsSchema = z.object({ users: z.array(z.string()) });

const TaskStepSchema = z.object({ name: z.string(), started: z.string(), elapsedMs: z.number().optional() });

export const TaskSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  app: z.string().nullable(),
  user: z.string().nullable(),
  release: z.number().nullable(),
  state: z.enum(['running', 'succeeded', 'failed']),
  steps: z.array(TaskStepSchema),
  error: z.string().nullable(),
  created: z.string(),
  finished: z.string().nullable(),
}) satisfies z.ZodType<Task>;

export const TaskWithLogSchema = TaskSchema.extend({
  log: z.array(z.string()),
}) satisfies z.ZodType<TaskWithLog>;

export const TaskEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('task.started'), task: TaskSchema }),
  z.object({ type: z.literal('task.step'), task: TaskSchema, step: TaskStepSchema }),
  z.object({ type: z.literal('task.log'), task: TaskSchema, line: z.string() }),
  z.object({ type: z.literal('task.succeeded'), task: TaskSchema }),
  z.object({ type: z.literal('task.failed'), task: TaskSchema }),
]);

/** GET /v2/desktop/info/: public facts about this core; newer cores may add engine and target state. */
export const DesktopInfoSchema = z.object({
  api_version: z.string(),
  platform_version: z.string(),
  builder_port: z.number(),
  router_port: z.number(),
  router_tls_port: z.number().default(0),
  /** Where apps answer when the router runs elsewhere (a Kubernetes cluster); empty on Docker. */
  router_url: z.string().default(''),
  first_run: z.boolean().default(false),
  docker: z
    .object({ state: z.string(), version: z.string().optional(), message: z.string().optional() })
    .optional(),
  targets: z
    .array(z.object({ name: z.string(), state: z.string(), message: z.string().optional() }))
    .optional(),
  /** The local Docker engine the core found (DOCKER_HOST, a Docker context, a known socket) and why. */
  engine: z
    .object({
      host: z.string(),
      source: z.string(),
      context: z.string().optional(),
      product: z.string().optional(),
      reason: z.string(),
    })
    .optional(),
});
export type DesktopInfo = z.infer<typeof DesktopInfoSchema>;

/** GET /v2/desktop/tls/authority/: the local certificate authority's root, to trust it. */
export const AuthoritySchema = z.object({
  path: z.string(),
  fingerprint_sha256: z.string(),
  domain: z.string(),
  certificate: z.string(),
});
export type Authority = z.infer<typeof AuthoritySchema>;

/** A Deis list page (`count`, `results`, and links when paginated). */
export const page = <T extends z.ZodType>(item: T) => z.object({ count: z.number(), results: z.array(item) });

/** POST /v2/apps/<id>/releases/rollback/ */
export const RollbackResponseSchema = z.object({ version: z.number() });
