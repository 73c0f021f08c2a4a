/**
 * How a config change applies to the previous config, as Deis does it: keys set or removed per
 * field, removing a missing key is an error, legacy HEALTHCHECK_* values become a `web/cmd` probe,
 * and a private registry needs PORT. Pure: no store, so the rules are easy to test.
 */
import { badRequest, unprocessable } from '../contract/errors';
import {
  CONFIG_FIELD_LIMITS,
  tooManyEntries,
  type ConfigMapChange,
  type HealthcheckChange,
} from '../contract/config';
import { formatBytes, utf8Length } from '../contract/fields';
import { MAX_CONFIG_BYTES } from '../contract/limits';
import { DEFAULT_HEALTHCHECK_TYPE, PROBE_KINDS, type ProbeKind } from '../contract/healthcheck';
import type { Healthchecks, Probe } from '../contract/objects';

export type StringMap = Record<string, string>;

/** The content of a config: what a release runs with. */
export interface ConfigData {
  values: StringMap;
  memory: StringMap;
  cpu: StringMap;
  tags: StringMap;
  registry: StringMap;
  healthcheck: Healthchecks;
}

export interface ConfigChange {
  values?: ConfigMapChange;
  memory?: ConfigMapChange;
  cpu?: ConfigMapChange;
  tags?: ConfigMapChange;
  registry?: ConfigMapChange;
  healthcheck?: HealthcheckChange;
}

export const emptyConfig = (): ConfigData => ({
  values: {},
  memory: {},
  cpu: {},
  tags: {},
  registry: {},
  healthcheck: {},
});

// Deis merges in this order, which decides which missing key is reported first.
const MAP_FIELDS = ['cpu', 'memory', 'tags', 'registry', 'values'] as const;

/** A Map, so that every key (`__proto__` and `constructor` too) is only ever data. */
function mergeMap(field: string, previous: StringMap, change: ConfigMapChange | undefined): StringMap {
  const data = new Map(Object.entries(previous));
  for (const [key, value] of Object.entries(change ?? {})) {
    if (value !== null) data.set(key, value);
    else if (!data.delete(key)) throw unprocessable(`${key} does not exist under ${field}`);
  }
  return Object.fromEntries(data);
}

/** Health checks stored by old controllers sit at the top level; they belong to `web/cmd`. */
export function normalizeHealthchecks(stored: Record<string, unknown>): Healthchecks {
  if (PROBE_KINDS.some((k) => k in stored))
    return { [DEFAULT_HEALTHCHECK_TYPE]: stored as Healthchecks[string] };
  return stored as Healthchecks;
}

function mergeHealthchecks(previous: Healthchecks, change: HealthcheckChange | undefined): Healthchecks {
  const data: Healthchecks = {};
  for (const [type, probes] of Object.entries(normalizeHealthchecks(previous))) data[type] = { ...probes };
  const missing = (type: string) => unprocessable(`${type} does not exist under healthcheck`);
  for (const [type, probes] of Object.entries(change ?? {})) {
    if (probes === null) {
      if (!Object.hasOwn(data, type)) throw missing(type);
      delete data[type];
      continue;
    }
    for (const [kind, probe] of Object.entries(probes) as [ProbeKind, Probe | null][]) {
      const existing = Object.hasOwn(data, type) ? data[type] : undefined;
      if (probe !== null) data[type] = { ...existing, [kind]: probe };
      else if (existing && Object.hasOwn(existing, kind)) delete existing[kind];
      else throw missing(type);
    }
  }
  return data;
}

const intOr = (value: string | undefined, fallback: number) =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : fallback;

/**
 * Deis v1-style health checks (HEALTHCHECK_URL and friends in values) become liveness and
 * readiness probes for `web/cmd` and leave the values. The probe has no port: it is the app's PORT.
 */
function migrateLegacyHealthcheck(config: ConfigData): ConfigData {
  const v = config.values;
  if (!('HEALTHCHECK_URL' in v)) return config;
  const probe: Probe = {
    initialDelaySeconds: intOr(v.HEALTHCHECK_INITIAL_DELAY, 50),
    timeoutSeconds: intOr(v.HEALTHCHECK_TIMEOUT, 50),
    periodSeconds: intOr(v.HEALTHCHECK_PERIOD_SECONDS, 10),
    successThreshold: intOr(v.HEALTHCHECK_SUCCESS_THRESHOLD, 1),
    failureThreshold: intOr(v.HEALTHCHECK_FAILURE_THRESHOLD, 3),
    httpGet: { path: v.HEALTHCHECK_URL ?? '/' },
  };
  const values = Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('HEALTHCHECK_')));
  const healthcheck = {
    ...config.healthcheck,
    [DEFAULT_HEALTHCHECK_TYPE]: {
      livenessProbe: probe,
      readinessProbe: { ...probe, httpGet: { ...probe.httpGet } },
    },
  };
  return { ...config, values, healthcheck };
}

/**
 * What a config may hold once a change is merged: the request was checked on its own, and these
 * are its totals with everything already set. Each release stores a full copy of its config, so
 * MAX_CONFIG_BYTES is also the most a release can add to the store.
 */
export function checkConfigLimits(config: ConfigData): void {
  for (const field of [...MAP_FIELDS, 'healthcheck'] as const) {
    const count = Object.keys(config[field]).length;
    const limits = CONFIG_FIELD_LIMITS[field];
    if (count > limits.maxEntries) throw badRequest(tooManyEntries(limits, count));
  }
  const bytes = [...MAP_FIELDS, 'healthcheck' as const].reduce(
    (sum, field) => sum + utf8Length(JSON.stringify(config[field])),
    0,
  );
  if (bytes > MAX_CONFIG_BYTES)
    throw badRequest(
      `This change would make the app's config ${bytes} bytes; an app's whole config can be at most ${formatBytes(MAX_CONFIG_BYTES)}.`,
    );
}

/** The config that results from applying `change` to `previous`; throws 422/400 like Deis. */
export function mergeConfig(previous: ConfigData, change: ConfigChange): ConfigData {
  const merged = { ...previous };
  for (const field of MAP_FIELDS) merged[field] = mergeMap(field, previous[field], change[field]);
  merged.healthcheck = mergeHealthchecks(previous.healthcheck, change.healthcheck);
  const config = migrateLegacyHealthcheck(merged);
  if (Object.keys(config.registry).length > 0 && config.values.PORT === undefined)
    throw badRequest('PORT needs to be set in the config when using a private registry');
  checkConfigLimits(config);
  return config;
}
