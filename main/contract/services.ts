/**
 * Backing services (PostgreSQL, Redis, ...): the catalog's entries, the API's request schemas and
 * what it answers. Credentials never appear in any of the answers.
 */
import { z } from 'zod';
import { charField } from './drf';
import {
  SERVICE_LOG_LINES_DEFAULT,
  SERVICE_LOG_LINES_MAX,
  SERVICE_NAME_MAX,
  SERVICE_VAR_MAX,
  TARGET_NAME_MAX,
} from './limits';

/** Service names become container and host names: a DNS label, like an app's name. */
export const SERVICE_NAME_RE = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;
export const SERVICE_NAME_MESSAGE =
  'Service names can only contain lowercase letters, numbers and hyphens, and start with a letter.';
/** An environment variable an attachment sets. */
export const SERVICE_VAR_RE = /^[A-Z][A-Z0-9_]*$/;

/**
 * A command run inside the service's container; `{user}`, `{password}`, `{database}` and `{bucket}`
 * (the database's name as an S3 bucket may spell it) are filled in.
 */
export const ServiceCommand = z.object({
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()).default({}),
});
export type ServiceCommand = z.infer<typeof ServiceCommand>;

/** The backup command, and the extension its file is named with (`dump`, `rdb`, `sql`). */
export const BackupCommand = ServiceCommand.extend({ extension: z.string().regex(/^[a-z0-9]{1,8}$/) });

/** One kind of service in `resources/services/<kind>/service.json`. */
export const CatalogEntry = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9]*$/),
  title: z.string(),
  /** The official image's repository; the version is its tag. DEIS_SERVICE_IMAGE_<KIND> replaces it. */
  image: z.string(),
  versions: z.array(z.string()).min(1),
  /** The version made from Debian's packages (the Dockerfile next to the entry). */
  debianVersion: z.string(),
  /** The variable attaching sets, and the prefix of the alias a second service of the kind gets. */
  envVar: z.string().regex(SERVICE_VAR_RE),
  aliasPrefix: z.string().regex(SERVICE_VAR_RE),
  port: z.number().int().min(1).max(65535),
  /** `{user}`, `{password}`, `{host}`, `{port}`, `{database}`, `{bucket}`. */
  url: z.string(),
  /** The container's environment. */
  env: z.record(z.string(), z.string()).default({}),
  /** The container's command, when the image's default is not enough. */
  command: z.array(z.string()).optional(),
  /** Where the data lives in the container (a named volume); null for a cache that keeps none. */
  dataPath: z.string().nullable(),
  /** Succeeds once the service accepts connections. */
  readiness: ServiceCommand,
  /** Run once it is ready, on every provisioning, so it must be idempotent (an S3 store's bucket). */
  init: ServiceCommand.optional(),
  /** Writes a backup to stdout / reads one from stdin; absent when the kind has none. */
  backup: BackupCommand.optional(),
  restore: ServiceCommand.optional(),
  /**
   * A restore that replaces the data files while the service is stopped (Redis's RDB): `check` reads
   * the staged file (at $DEIS_RESTORE_FILE, inside the data folder) and fails on one the service
   * could not load; `swap` runs with the data folder but without the service, and puts it in place.
   */
  restoreOffline: z.object({ check: ServiceCommand, swap: ServiceCommand }).optional(),
  /** Prints how many clients are connected, not counting itself; absent when the kind cannot say. */
  connections: ServiceCommand.optional(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

/** What a user sees of a kind (`GET /v2/services/catalog/`). */
export interface CatalogKind {
  kind: string;
  title: string;
  versions: string[];
  env_var: string;
  /** Whether a backup can be downloaded and restored (the UI offers only what the kind has). */
  backup?: boolean;
  restore?: boolean;
}

export const ServiceCreateRequest = z.object({
  kind: charField({ max: 32 }),
  name: charField({
    max: SERVICE_NAME_MAX,
    pattern: [SERVICE_NAME_RE, SERVICE_NAME_MESSAGE],
  }).optional(),
  version: charField({ max: 32 }).optional(),
  /** The target it lives on (`local` by default); only apps on that target can be attached to it. */
  target: charField({ max: TARGET_NAME_MAX }).optional(),
});
export type ServiceCreateRequest = z.infer<typeof ServiceCreateRequest>;

export const ServiceAttachRequest = z.object({
  app: charField({ max: 64 }),
  as: charField({
    max: SERVICE_VAR_MAX,
    pattern: [SERVICE_VAR_RE, 'A variable name can only contain A-Z, 0-9 and _, and starts with a letter.'],
  }).optional(),
});
export type ServiceAttachRequest = z.infer<typeof ServiceAttachRequest>;

export const ServiceDestroyRequest = z.object({ confirm: charField({ max: 64 }).optional() });

export type ServiceState = 'provisioning' | 'ready' | 'failed';

export interface ServiceAttachment {
  app: string;
  /** The environment variable set on the app. */
  var: string;
}

export interface Service {
  uuid: string;
  name: string;
  kind: string;
  version: string;
  owner: string;
  /** The target it lives on (`local`, or one of `deis targets`). */
  target: string;
  /** The image it runs. */
  image: string;
  state: ServiceState;
  /** Why it failed, when it did. */
  error: string | null;
  /** The provisioning task. */
  task: string | null;
  apps: ServiceAttachment[];
  created: string;
  updated: string;
}

/** `GET /v2/services/catalog/`, for clients that parse what they get (the renderer). */
export const CatalogKindSchema = z.object({
  kind: z.string(),
  title: z.string(),
  versions: z.array(z.string()),
  env_var: z.string(),
  backup: z.boolean().default(false),
  restore: z.boolean().default(false),
}) satisfies z.ZodType<CatalogKind>;

export const ServiceSchema = z.object({
  uuid: z.string(),
  name: z.string(),
  kind: z.string(),
  version: z.string(),
  owner: z.string(),
  target: z.string().default('local'),
  image: z.string(),
  state: z.enum(['provisioning', 'ready', 'failed']),
  error: z.string().nullable(),
  task: z.string().nullable(),
  apps: z.array(z.object({ app: z.string(), var: z.string() })),
  created: z.string(),
  updated: z.string(),
}) satisfies z.ZodType<Service>;

/** `GET /v2/services/<name>/logs/?lines=N`: the container's last lines, oldest first. */
export const ServiceLogsQuery = z.object({
  lines: z.coerce
    .number({ message: `lines must be a whole number from 1 to ${SERVICE_LOG_LINES_MAX}.` })
    .int(`lines must be a whole number from 1 to ${SERVICE_LOG_LINES_MAX}.`)
    .min(1, `lines must be a whole number from 1 to ${SERVICE_LOG_LINES_MAX}.`)
    .max(SERVICE_LOG_LINES_MAX, `lines must be a whole number from 1 to ${SERVICE_LOG_LINES_MAX}.`)
    .default(SERVICE_LOG_LINES_DEFAULT),
});
export const ServiceLogsSchema = z.object({ lines: z.array(z.string()) });

/** `GET /v2/services/<name>/stats/`: bytes on disk and connected clients; null where the kind or the moment cannot say. */
export const ServiceStatsSchema = z.object({
  size: z.number().nullable(),
  connections: z.number().nullable(),
});
export type ServiceStats = z.infer<typeof ServiceStatsSchema>;

/** `POST /v2/services/<name>/connect/`: a local port to listen on (any free one when absent). */
export const ServiceConnectRequest = z.object({ port: z.number().int().optional() });

/** `POST /v2/services/<name>/promote/`: the app whose main variable it becomes. */
export const ServicePromoteRequest = z.object({ app: charField({ max: 64 }) });

/** `POST /v2/services/<name>/apps/`: the variable set and the release it cut. */
export const ServiceAttachResultSchema = z.object({
  app: z.string(),
  var: z.string(),
  release: z.number(),
});
