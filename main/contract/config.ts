/**
 * Request schema for POST /v2/apps/<id>/config/ with Deis's validation rules and messages. Every
 * field is a partial change: a value sets a key, `null` removes it. Values are stored as Python's
 * `str()` of what was sent (`true` → `"True"`), which is how Deis renders them.
 */
import { z } from 'zod';
import { PROCTYPE_MESSAGE, PROCTYPE_RE } from './builds';
import { dictField, formatBytes, isDict, notADict, Problem, utf8Length, type Dict } from './fields';
import { DEFAULT_HEALTHCHECK_TYPE, probesProblem, PROBE_KINDS, type ProbeKind } from './healthcheck';
import {
  MAX_CONFIG_KEY_LENGTH,
  MAX_CONFIG_VALUE_BYTES,
  MAX_CONFIG_VALUES,
  MAX_PROBE_BYTES,
  MAX_PROCESS_TYPE_ENTRIES,
  MAX_REGISTRY_ENTRIES,
  MAX_REGISTRY_VALUE_BYTES,
  MAX_RESOURCE_LIMIT_LENGTH,
  MAX_TAGS,
} from './limits';
import type { Probe } from './objects';
import { pyStr } from './python';

export const CONFIG_KEY_RE = /^[a-z_]+[a-z0-9_]*$/i;
export const CONFIG_KEY_MESSAGE =
  'Config keys must start with a letter or underscore and only contain [A-z0-9_]';
export const MEMORY_RE = /^(([0-9]+(MB|KB|GB|[BKMG])|0)(\/([0-9]+(MB|KB|GB|[BKMG])))?)$/i;
export const MEMORY_MESSAGE =
  'Memory limit format: <number><unit> or <number><unit>/<number><unit>, where unit = B, K, M or G';
export const CPU_RE = /^(([-+]?[0-9]*\.?[0-9]+[m]?)(\/([-+]?[0-9]*\.?[0-9]+[m]?))?)$/;
export const CPU_MESSAGE = 'CPU limit format: <value> or <value>/<value>, where value must be a numeric';
export const TAG_RE = /^(?:[a-zA-Z\d][-.\w]{0,61})?[a-zA-Z\d]$/;
const VALUE_TYPE_MESSAGE = 'Config values must be strings, numbers, booleans or null';

/** A change to one string map: a string sets the key, null removes it. */
export type ConfigMapChange = Record<string, string | null>;
/** A change to health checks: per proc type, a probe sets it, null removes it (or the whole type). */
export type HealthcheckChange = Record<string, Partial<Record<ProbeKind, Probe | null>> | null>;

const isDigits = (s: string) => /^\d+$/.test(s);

/** Python's urlparse, reduced to what the HEALTHCHECK_URL rule looks at. */
function urlParts(url: string): { netloc: string; path: string; query: string; fragment: string } {
  let rest = url;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(rest);
  // Like Python, `host:8080` is a path with a port, not a scheme.
  if (scheme && !isDigits(rest.slice(scheme[0].length))) rest = rest.slice(scheme[0].length);
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
  }
  const [beforeFragment = '', ...fragment] = rest.split('#');
  const [path = '', ...query] = beforeFragment.split('?');
  return { netloc, path, query: query.join('?'), fragment: fragment.join('#') };
}

/** The rule for one config value (`values` field), or undefined when it is fine. */
export function configValueProblem(key: string, value: string): string | undefined {
  if (!CONFIG_KEY_RE.test(key)) return CONFIG_KEY_MESSAGE;
  if (key === 'PORT') {
    if (!isDigits(value)) return 'PORT can only be a numeric value';
    const port = Number(value);
    if (port < 1 || port > 65535) return 'PORT needs to be between 1 and 65535';
  }
  if (key === 'HEALTHCHECK_URL') {
    // Kubernetes probes take only a path (deis/controller#774).
    const uri = urlParts(value);
    if (!uri.path)
      return `${key} is missing a URI path (such as /healthz). Without it no health check can be done`;
    if (uri.query || uri.fragment || uri.netloc)
      return `${key} can only be a URI path (such as /healthz) that does not contain other things such as query params`;
  } else if (key.startsWith('HEALTHCHECK_') && !isDigits(value)) return `${key} can only be a numeric value`;
  return undefined;
}

export const memoryProblem = (type: string, value: string): string | undefined =>
  !PROCTYPE_RE.test(type) ? PROCTYPE_MESSAGE : !MEMORY_RE.test(value) ? MEMORY_MESSAGE : undefined;

export const cpuProblem = (type: string, value: string): string | undefined =>
  !PROCTYPE_RE.test(type) ? PROCTYPE_MESSAGE : !CPU_RE.test(value) ? CPU_MESSAGE : undefined;

/** Tags become Kubernetes node selectors: key `[prefix/]name`, both parts label-shaped. */
export function tagProblem(key: string, value: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix) {
    if (prefix.length > 253) return 'Tag key prefixes must 253 characters or less.';
    if (!TAG_RE.test(prefix)) return 'Tag key prefixes must be DNS subdomains.';
  }
  if (!TAG_RE.test(name)) return 'Tag keys must be alphanumeric or "-_.", and 1-63 characters.';
  // An empty value is allowed: it selects nodes that have the label at all.
  if (value && !TAG_RE.test(value)) return 'Tag values must be alphanumeric or "-_.", and 1-63 characters.';
  return undefined;
}

export const registryProblem = (key: string): string | undefined =>
  CONFIG_KEY_RE.test(key) ? undefined : CONFIG_KEY_MESSAGE;

/** How many entries each config field may hold, and how long its keys and values may be. */
export interface ConfigFieldLimits {
  /** What the entries are called in messages ("config values", "tags"). */
  noun: string;
  maxEntries: number;
  /** In UTF-8 bytes. */
  maxValueBytes: number;
}

export const CONFIG_FIELD_LIMITS = {
  values: {
    noun: 'config values',
    maxEntries: MAX_CONFIG_VALUES,
    maxValueBytes: MAX_CONFIG_VALUE_BYTES,
  },
  memory: {
    noun: 'memory limits',
    maxEntries: MAX_PROCESS_TYPE_ENTRIES,
    maxValueBytes: MAX_RESOURCE_LIMIT_LENGTH,
  },
  cpu: {
    noun: 'CPU limits',
    maxEntries: MAX_PROCESS_TYPE_ENTRIES,
    maxValueBytes: MAX_RESOURCE_LIMIT_LENGTH,
  },
  // Tag keys and values are at most 127 and 63 characters by their own rule, which says so.
  tags: { noun: 'tags', maxEntries: MAX_TAGS, maxValueBytes: MAX_CONFIG_KEY_LENGTH },
  registry: {
    noun: 'registry settings',
    maxEntries: MAX_REGISTRY_ENTRIES,
    maxValueBytes: MAX_REGISTRY_VALUE_BYTES,
  },
  healthcheck: {
    noun: 'health checks',
    maxEntries: MAX_PROCESS_TYPE_ENTRIES,
    maxValueBytes: MAX_PROBE_BYTES,
  },
} as const satisfies Record<string, ConfigFieldLimits>;

export const tooManyEntries = (limits: ConfigFieldLimits, count: number): string =>
  `An app can have at most ${limits.maxEntries} ${limits.noun}; this would make ${count}.`;

const keyTooLong = (limits: ConfigFieldLimits, key: string) =>
  `Keys of ${limits.noun} can be at most ${MAX_CONFIG_KEY_LENGTH} characters long; ${key.slice(0, 20)}... has ${key.length}.`;

/**
 * The size rules of one entry, checked before its own rule so no rule ever looks at a huge input.
 * Keys longer than any rule allows are refused here too.
 */
function sizeProblem(limits: ConfigFieldLimits, key: string, value: string): string | undefined {
  if (key.length > MAX_CONFIG_KEY_LENGTH) return keyTooLong(limits, key);
  const bytes = utf8Length(value);
  if (bytes > limits.maxValueBytes)
    return `The value of ${key} is ${bytes} bytes; each of an app's ${limits.noun} can be at most ${formatBytes(limits.maxValueBytes)}.`;
  return undefined;
}

/**
 * A string-map field whose entries are checked by `rule`; null entries are removals and unchecked.
 * The number of entries is checked first, so a request with 100,000 keys is refused at once.
 */
function mapField(
  limits: ConfigFieldLimits,
  rule: (key: string, value: string) => string | undefined,
  key = (k: string) => k,
) {
  return dictField((dict): ConfigMapChange | Problem => {
    const entries = Object.entries(dict);
    if (entries.length > limits.maxEntries) return new Problem(tooManyEntries(limits, entries.length));
    // A Map, then fromEntries: a `__proto__` key stays a key instead of becoming a prototype.
    const out = new Map<string, string | null>();
    for (const [k, raw] of entries) {
      if (raw === null) {
        if (k.length > MAX_CONFIG_KEY_LENGTH) return new Problem(keyTooLong(limits, k));
        out.set(key(k), null);
        continue;
      }
      const value = pyStr(raw);
      if (value === undefined) return new Problem(VALUE_TYPE_MESSAGE);
      const problem = sizeProblem(limits, k, value) ?? rule(k, value);
      if (problem) return new Problem(problem);
      out.set(key(k), value);
    }
    return Object.fromEntries(out);
  }, true);
}

/**
 * A health check's process type: `web/cmd` (the routable one), a Procfile type, or empty (how
 * controllers before per-type checks keyed the default).
 */
function healthcheckTypeProblem(type: string): string | undefined {
  if (type === '' || type === DEFAULT_HEALTHCHECK_TYPE) return undefined;
  if (type.length > MAX_CONFIG_KEY_LENGTH || !PROCTYPE_RE.test(type)) return PROCTYPE_MESSAGE;
  return undefined;
}

/**
 * Health checks per proc type. The legacy form `{"livenessProbe": ...}` (no proc type) means the
 * routable process, `web/cmd`.
 */
export function parseHealthcheck(dict: Dict): HealthcheckChange | Problem {
  const byType = PROBE_KINDS.some((k) => k in dict) ? { [DEFAULT_HEALTHCHECK_TYPE]: dict } : dict;
  const types = Object.entries(byType);
  const limits = CONFIG_FIELD_LIMITS.healthcheck;
  if (types.length > limits.maxEntries) return new Problem(tooManyEntries(limits, types.length));
  const out: HealthcheckChange = {};
  for (const [type, probes] of types) {
    const typeProblem = healthcheckTypeProblem(type);
    if (typeProblem) return new Problem(typeProblem);
    if (probes === null) {
      out[type] = null;
      continue;
    }
    if (!isDict(probes)) return new Problem(notADict(probes));
    const problem = probesProblem(probes);
    if (problem) return new Problem(problem);
    out[type] = probes as Partial<Record<ProbeKind, Probe | null>>;
  }
  return out;
}

export const SetConfigRequest = z.object({
  values: mapField(CONFIG_FIELD_LIMITS.values, configValueProblem).optional(),
  memory: mapField(CONFIG_FIELD_LIMITS.memory, memoryProblem).optional(),
  cpu: mapField(CONFIG_FIELD_LIMITS.cpu, cpuProblem).optional(),
  tags: mapField(CONFIG_FIELD_LIMITS.tags, tagProblem).optional(),
  // Deis lower-cases registry keys (`Username` and `username` are the same setting).
  registry: mapField(CONFIG_FIELD_LIMITS.registry, registryProblem, (k) => k.toLowerCase()).optional(),
  healthcheck: dictField(parseHealthcheck, true).optional(),
});
export type SetConfigRequest = z.infer<typeof SetConfigRequest>;
