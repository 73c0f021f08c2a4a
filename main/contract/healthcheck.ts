/**
 * Health check (Kubernetes probe) validation, as Deis checks `healthcheck` config: a JSON schema per
 * probe, only `livenessProbe`/`readinessProbe` keys, and liveness `successThreshold` fixed at 1.
 * Messages follow Python's jsonschema so the CLI prints what Deis printed.
 */
import { formatBytes, nestedDeeperThan, utf8Length } from './fields';
import { MAX_PROBE_BYTES, MAX_PROBE_DEPTH } from './limits';
import type { Probe } from './objects';
import { pyRepr } from './python';

export const PROBE_KINDS = ['livenessProbe', 'readinessProbe'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** Deis's proc type for health checks of the routable process (`web` or `cmd`). */
export const DEFAULT_HEALTHCHECK_TYPE = 'web/cmd';

type JsonType = 'object' | 'array' | 'string' | 'integer';

function isType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      // jsonschema does not count booleans as integers.
      return typeof value === 'number' && Number.isInteger(value);
  }
}

const typeError = (value: unknown, type: JsonType) => `${pyRepr(value)} is not of type '${type}'`;

/** A tiny schema language: just what the probe schema needs. */
interface Schema {
  type: JsonType;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
}

const integer: Schema = { type: 'integer' };
const string: Schema = { type: 'string' };

const PROBE_SCHEMA: Schema = {
  type: 'object',
  properties: {
    exec: {
      type: 'object',
      properties: { command: { type: 'array', minItems: 1, items: string } },
      required: ['command'],
    },
    httpGet: {
      type: 'object',
      properties: {
        path: string,
        port: integer,
        host: string,
        scheme: string,
        httpHeaders: {
          type: 'array',
          minItems: 0,
          items: { type: 'object', properties: { name: string, value: string } },
        },
      },
      required: ['port'],
    },
    tcpSocket: { type: 'object', properties: { port: integer }, required: ['port'] },
    initialDelaySeconds: integer,
    timeoutSeconds: integer,
    periodSeconds: integer,
    successThreshold: integer,
    failureThreshold: integer,
  },
};

/** The first schema violation in `value`, or undefined. Unknown properties are allowed, as in Deis. */
function violation(value: unknown, schema: Schema): string | undefined {
  if (!isType(value, schema.type)) return typeError(value, schema.type);
  if (schema.type === 'object') {
    const obj = value as Record<string, unknown>;
    for (const name of schema.required ?? [])
      if (!(name in obj)) return `${pyRepr(name)} is a required property`;
    for (const [name, sub] of Object.entries(schema.properties ?? {})) {
      if (!(name in obj)) continue;
      const problem = violation(obj[name], sub);
      if (problem) return problem;
    }
  }
  if (schema.type === 'array') {
    const list = value as unknown[];
    if (schema.minItems !== undefined && list.length < schema.minItems) return `${pyRepr(list)} is too short`;
    for (const item of list) {
      const problem = schema.items && violation(item, schema.items);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Whether a probe is small and shallow enough to look at: every check after this one (the schema,
 * the repr in its message, the summary's comparison) walks it recursively.
 */
function probeSizeProblem(kind: string, probe: unknown): string | undefined {
  if (nestedDeeperThan(probe, MAX_PROBE_DEPTH))
    return `The ${kind} nests deeper than ${MAX_PROBE_DEPTH} levels; a probe is a flat Kubernetes object.`;
  const bytes = utf8Length(JSON.stringify(probe));
  if (bytes > MAX_PROBE_BYTES)
    return `The ${kind} is ${bytes} bytes of JSON; a probe can be at most ${formatBytes(MAX_PROBE_BYTES)}.`;
  return undefined;
}

/**
 * What is wrong with the health checks of one proc type (`{livenessProbe?, readinessProbe?}`, a
 * `null` probe meaning "remove it"), or undefined when they are valid.
 */
export function probesProblem(probes: Record<string, unknown>): string | undefined {
  for (const [kind, probe] of Object.entries(probes)) {
    if (probe === null) continue;
    if (!(PROBE_KINDS as readonly string[]).includes(kind))
      return 'Healthcheck keys must be either livenessProbe or readinessProbe';
    const tooBig = probeSizeProblem(kind, probe);
    if (tooBig) return tooBig;
    const problem = violation(probe, PROBE_SCHEMA);
    if (problem) return `could not validate ${pyRepr(probe)}: ${problem}`;
  }
  // Kubernetes accepts only 1 for a liveness probe's successThreshold.
  const liveness = probes.livenessProbe as Probe | null | undefined;
  const threshold = liveness?.successThreshold;
  if (threshold !== undefined && threshold !== null && threshold !== 1)
    return 'livenessProbe successThreshold can only be 1';
  return undefined;
}
