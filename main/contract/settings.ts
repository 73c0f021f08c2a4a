/** Request schemas for app settings (maintenance, routable, autoscale, labels), the IP whitelist and TLS. */
import { z } from 'zod';
import { PROCTYPE_MESSAGE, PROCTYPE_RE } from './builds';
import type { Autoscale } from './objects';
import { dictField, nullBooleanField, stringListField } from './drf';
import { jsonForMessage } from './fields';
import {
  MAX_APP_LABELS,
  MAX_LABEL_KEY_LENGTH,
  MAX_LABEL_VALUE_LENGTH,
  MAX_PROCESS_TYPE_ENTRIES,
  MAX_WHITELIST_ENTRIES,
} from './limits';

const AUTOSCALE_FIELDS = ['min', 'max', 'cpu_percent'] as const;

/** Why an autoscale entry is unusable, in the words of Deis's JSON-schema check; undefined if fine. */
export function autoscaleProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return `${jsonForMessage(entry)} is not of type 'object'`;
  const e = entry as Record<string, unknown>;
  for (const f of AUTOSCALE_FIELDS) if (!(f in e)) return `'${f}' is a required property`;
  for (const f of AUTOSCALE_FIELDS)
    if (typeof e[f] !== 'number' || !Number.isInteger(e[f]))
      return `${jsonForMessage(e[f])} is not of type 'integer'`;
  // Deis passed these straight to a HorizontalPodAutoscaler, which rejects them; say so up front.
  const { min, max, cpu_percent } = e as unknown as Autoscale;
  if (min < 1) return 'min must be at least 1';
  if (max < min) return 'max must not be less than min';
  if (cpu_percent < 1 || cpu_percent > 100) return 'cpu_percent must be between 1 and 100';
  return undefined;
}

/** `{proctype: {min, max, cpu_percent} | null}`; null removes a process type's autoscaler. */
const autoscaleField = dictField.transform((d, ctx): Record<string, Autoscale | null> => {
  const entries = Object.entries(d);
  if (entries.length > MAX_PROCESS_TYPE_ENTRIES) {
    ctx.issues.push({ code: 'custom', input: d, message: tooManyAutoscalers(entries.length) });
    return z.NEVER;
  }
  for (const [proc, entry] of entries) {
    if (!PROCTYPE_RE.test(proc) || proc.length > 63) {
      ctx.issues.push({ code: 'custom', input: d, message: PROCTYPE_MESSAGE });
      return z.NEVER;
    }
    if (entry === null) continue;
    const problem = autoscaleProblem(entry);
    if (problem) {
      ctx.issues.push({ code: 'custom', input: d, message: `could not validate ${proc}: ${problem}` });
      return z.NEVER;
    }
  }
  return d as Record<string, Autoscale | null>;
});

export const tooManyAutoscalers = (n: number): string =>
  `An app can autoscale at most ${MAX_PROCESS_TYPE_ENTRIES} process types; this would make ${n}.`;
export const tooManyLabels = (n: number): string =>
  `An app can have at most ${MAX_APP_LABELS} labels; this would make ${n}.`;
export const tooManyWhitelisted = (n: number): string =>
  `A whitelist can hold at most ${MAX_WHITELIST_ENTRIES} addresses; this would make ${n}. Use networks such as 10.0.0.0/8 to cover many addresses.`;

/** Why a label is refused, or undefined: labels are free-form text of a bounded length. */
function labelProblem(key: string, value: unknown): string | undefined {
  if (key.length === 0 || key.length > MAX_LABEL_KEY_LENGTH)
    return `Label names must be 1 to ${MAX_LABEL_KEY_LENGTH} characters long.`;
  if (value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    return `The value of label ${key} must be text.`;
  if (String(value).length > MAX_LABEL_VALUE_LENGTH)
    return `The value of label ${key} can be at most ${MAX_LABEL_VALUE_LENGTH} characters long.`;
  return undefined;
}

/** `{key: value | null}`; labels are free-form text, null removes one. */
const labelField = dictField.transform((d, ctx): Record<string, string | null> => {
  const entries = Object.entries(d);
  if (entries.length > MAX_APP_LABELS) {
    ctx.issues.push({ code: 'custom', input: d, message: tooManyLabels(entries.length) });
    return z.NEVER;
  }
  // A Map, then fromEntries: a `__proto__` label stays a label instead of becoming a prototype.
  const out = new Map<string, string | null>();
  for (const [k, v] of entries) {
    const problem = labelProblem(k, v);
    if (problem) {
      ctx.issues.push({ code: 'custom', input: d, message: problem });
      return z.NEVER;
    }
    out.set(k, v === null ? null : String(v));
  }
  return Object.fromEntries(out);
});

/**
 * A list of whitelist entries, its length checked before anything looks at an entry, so a list of
 * 170,000 is refused at once.
 */
const whitelistField = z
  .unknown()
  .superRefine((v, ctx) => {
    if (Array.isArray(v) && v.length > MAX_WHITELIST_ENTRIES)
      ctx.addIssue({ code: 'custom', message: tooManyWhitelisted(v.length), fatal: true });
  })
  .pipe(stringListField);

export const SettingsRequest = z.object({
  maintenance: nullBooleanField.optional(),
  routable: nullBooleanField.optional(),
  whitelist: whitelistField.optional(),
  autoscale: autoscaleField.optional(),
  label: labelField.optional(),
});
export type SettingsRequest = z.infer<typeof SettingsRequest>;

export const WhitelistRequest = z.object({ addresses: whitelistField });
export type WhitelistRequest = z.infer<typeof WhitelistRequest>;

export const TlsRequest = z.object({ https_enforced: nullBooleanField });
