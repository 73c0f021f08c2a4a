/** Request schemas for app settings (maintenance, routable, autoscale, labels), the IP whitelist and TLS. */
import { z } from 'zod';
import type { Autoscale } from './objects';
import { dictField, nullBooleanField, stringListField } from './drf';

const AUTOSCALE_FIELDS = ['min', 'max', 'cpu_percent'] as const;

/** Why an autoscale entry is unusable, in the words of Deis's JSON-schema check; undefined if fine. */
export function autoscaleProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return `${JSON.stringify(entry)} is not of type 'object'`;
  const e = entry as Record<string, unknown>;
  for (const f of AUTOSCALE_FIELDS) if (!(f in e)) return `'${f}' is a required property`;
  for (const f of AUTOSCALE_FIELDS)
    if (typeof e[f] !== 'number' || !Number.isInteger(e[f]))
      return `${JSON.stringify(e[f])} is not of type 'integer'`;
  // Deis passed these straight to a HorizontalPodAutoscaler, which rejects them; say so up front.
  const { min, max, cpu_percent } = e as unknown as Autoscale;
  if (min < 1) return 'min must be at least 1';
  if (max < min) return 'max must not be less than min';
  if (cpu_percent < 1 || cpu_percent > 100) return 'cpu_percent must be between 1 and 100';
  return undefined;
}

/** `{proctype: {min, max, cpu_percent} | null}`; null removes a process type's autoscaler. */
const autoscaleField = dictField.transform((d, ctx): Record<string, Autoscale | null> => {
  for (const [proc, entry] of Object.entries(d)) {
    if (entry === null) continue;
    const problem = autoscaleProblem(entry);
    if (problem) {
      ctx.issues.push({ code: 'custom', input: d, message: `could not validate ${proc}: ${problem}` });
      return z.NEVER;
    }
  }
  return d as Record<string, Autoscale | null>;
});

/** `{key: value | null}`; labels are free-form text, null removes one. */
const labelField = dictField.transform((d, ctx): Record<string, string | null> => {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(d)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      ctx.issues.push({ code: 'custom', input: d, message: `The value of label ${k} must be text.` });
      return z.NEVER;
    }
    out[k] = v === null ? null : String(v);
  }
  return out;
});

export const SettingsRequest = z.object({
  maintenance: nullBooleanField.optional(),
  routable: nullBooleanField.optional(),
  whitelist: stringListField.optional(),
  autoscale: autoscaleField.optional(),
  label: labelField.optional(),
});
export type SettingsRequest = z.infer<typeof SettingsRequest>;

export const WhitelistRequest = z.object({ addresses: stringListField });
export type WhitelistRequest = z.infer<typeof WhitelistRequest>;

export const TlsRequest = z.object({ https_enforced: nullBooleanField });
