/**
 * The JSON objects of the Deis Workflow v2.3 API, field for field as the controller's serializers
 * produce them. Timestamps are `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fractions).
 */

export const API_VERSION = '2.3';
export const PLATFORM_VERSION = '2.3.0';

export interface Paginated<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface User {
  id?: never;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  is_superuser: boolean;
  is_staff: boolean;
  groups: unknown[];
  user_permissions: unknown[];
  last_login: string | null;
  date_joined: string;
  is_active: boolean;
}

export interface AdminPerm {
  username: string;
  is_superuser: boolean;
}

export interface App {
  uuid: string;
  id: string;
  owner: string;
  structure: Record<string, number>;
  /** Deis Desktop: the target it runs on (`local` by default). */
  target?: string;
  created: string;
  updated: string;
}

export type Procfile = Record<string, string>;

export interface Build {
  owner: string;
  app: string;
  image: string;
  sha: string;
  procfile: Procfile;
  dockerfile: string;
  created: string;
  updated: string;
  uuid: string;
}

export interface Release {
  uuid: string;
  created: string;
  updated: string;
  owner: string;
  app: string;
  version: number;
  summary: string;
  failed: boolean;
  config: string;
  build: string | null;
}

/** A Kubernetes-style probe as `healthchecks:set` sends it. */
export interface Probe {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  exec?: { command: string[] };
  httpGet?: {
    path?: string;
    /** Absent only in probes migrated from HEALTHCHECK_URL: then it is the app's PORT. */
    port?: number;
    host?: string;
    scheme?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: number };
}

export type Healthchecks = Record<string, { livenessProbe?: Probe; readinessProbe?: Probe }>;

export interface Config {
  uuid: string;
  created: string;
  updated: string;
  owner: string;
  app: string;
  values: Record<string, string>;
  memory: Record<string, string>;
  cpu: Record<string, string>;
  tags: Record<string, string>;
  registry: Record<string, string>;
  healthcheck: Healthchecks;
}

export interface Domain {
  owner: string;
  created: string;
  updated: string;
  app: string;
  domain: string;
}

export interface Key {
  uuid: string;
  created: string;
  updated: string;
  owner: string;
  id: string;
  public: string;
  fingerprint: string;
}

export interface Certificate {
  id: number;
  created: string;
  updated: string;
  owner: string;
  name: string;
  common_name: string;
  expires: string;
  starts: string;
  fingerprint: string;
  san: string[];
  issuer: string;
  subject: string;
  domains: string[];
}

export interface Autoscale {
  min: number;
  max: number;
  cpu_percent: number;
}

export interface AppSettings {
  uuid: string;
  created: string;
  updated: string;
  owner: string;
  app: string;
  maintenance: boolean;
  routable: boolean;
  whitelist: string[];
  autoscale: Record<string, Autoscale>;
  label: Record<string, string>;
}

export interface TLS {
  uuid: string;
  created: string;
  updated: string;
  owner: string;
  app: string;
  /** null until someone sets it: the CLI then prints "HTTPS Enforced: not set". */
  https_enforced: boolean | null;
}

export type PodState =
  | 'initializing'
  | 'creating'
  | 'starting'
  | 'up'
  | 'terminating'
  | 'down'
  | 'destroyed'
  | 'crashed'
  | 'error';

export interface Pod {
  name: string;
  state: PodState;
  type: string;
  release: string;
  started: string;
}

export interface PodList {
  count: number;
  results: Pod[];
}
