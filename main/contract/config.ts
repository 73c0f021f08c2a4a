/**
 * Request schema for POST /v2/apps/<id>/config/ with Deis's validation rules and messages. Every
 * field is a partial change: a value sets a key, `null` removes it. Values are stored as Python's
 * `str()` of what was sent (`true` → `"True"`), which is how Deis renders them.
 */
import { z } from 'zod';
import { PROCTYPE_MESSAGE, PROCTYPE_RE } from './builds';
import { dictField, isDict, notADict, Problem, type Dict } from './fields';
import { DEFAULT_HEALTHCHECK_TYPE, probesProblem, PROBE_KINDS, type ProbeKind } from './healthcheck';
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

/** A string-map field whose entries are checked by `rule`; null entries are removals and unchecked. */
function mapField(rule: (key: string, value: string) => string | undefined, key = (k: string) => k) {
  return dictField((dict): ConfigMapChange | Problem => {
    const out: ConfigMapChange = {};
    for (const [k, raw] of Object.entries(dict)) {
      if (raw === null) {
        out[key(k)] = null;
        continue;
      }
      const value = pyStr(raw);
      if (value === undefined) return new Problem(VALUE_TYPE_MESSAGE);
      const problem = rule(k, value);
      if (problem) return new Problem(problem);
      out[key(k)] = value;
    }
    return out;
  }, true);
}

/**
 * Health checks per proc type. The legacy form `{"livenessProbe": ...}` (no proc type) means the
 * routable process, `web/cmd`.
 */
export function parseHealthcheck(dict: Dict): HealthcheckChange | Problem {
  const byType = PROBE_KINDS.some((k) => k in dict) ? { [DEFAULT_HEALTHCHECK_TYPE]: dict } : dict;
  const out: HealthcheckChange = {};
  for (const [type, probes] of Object.entries(byType)) {
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
  values: mapField(configValueProblem).optional(),
  memory: mapField(memoryProblem).optional(),
  cpu: mapField(cpuProblem).optional(),
  tags: mapField(tagProblem).optional(),
  // Deis lower-cases registry keys (`Username` and `username` are the same setting).
  registry: mapField(registryProblem, (k) => k.toLowerCase()).optional(),
  healthcheck: dictField(parseHealthcheck, true).optional(),
});
export type SetConfigRequest = z.infer<typeof SetConfigRequest>;
