/**
 * How a config change applies to the previous config, as Deis does it: keys set or removed per
 * field, removing a missing key is an error, legacy HEALTHCHECK_* values become a `web/cmd` probe,
 * and a private registry needs PORT. Pure: no store, so the rules are easy to test.
 */
import { badRequest, unprocessable } from '../contract/errors';
import type { ConfigMapChange, HealthcheckChange } from '../contract/config';
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

function mergeMap(field: string, previous: StringMap, change: ConfigMapChange | undefined): StringMap {
  const data = { ...previous };
  for (const [key, value] of Object.entries(change ?? {})) {
    if (value !== null) data[key] = value;
    else if (key in data) delete data[key];
    else throw unprocessable(`${key} does not exist under ${field}`);
  }
  return data;
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
      if (!(type in data)) throw missing(type);
      delete data[type];
      continue;
    }
    for (const [kind, probe] of Object.entries(probes) as [ProbeKind, Probe | null][]) {
      const existing = data[type];
      if (probe !== null) data[type] = { ...existing, [kind]: probe };
      else if (existing && kind in existing) delete existing[kind];
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

/** The config that results from applying `change` to `previous`; throws 422/400 like Deis. */
export function mergeConfig(previous: ConfigData, change: ConfigChange): ConfigData {
  const merged = { ...previous };
  for (const field of MAP_FIELDS) merged[field] = mergeMap(field, previous[field], change[field]);
  merged.healthcheck = mergeHealthchecks(previous.healthcheck, change.healthcheck);
  const config = migrateLegacyHealthcheck(merged);
  if (Object.keys(config.registry).length > 0 && config.values.PORT === undefined)
    throw badRequest('PORT needs to be set in the config when using a private registry');
  return config;
}
