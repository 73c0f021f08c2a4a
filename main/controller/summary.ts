/**
 * The one-line summaries of releases, word for word as Deis writes them (`deis releases` shows them
 * and users grep them): "<u> added A, changed B, deleted C and <u> changed limits for memory".
 */
import type { ConfigData, StringMap } from './config-merge';

export interface DictDiff {
  added: string[];
  changed: string[];
  deleted: string[];
}

/** Stable JSON, so that probes that differ only in key order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Keys added, changed and deleted going from `older` to `newer`, each list sorted. */
export function dictDiff(newer: Record<string, unknown>, older: Record<string, unknown>): DictDiff {
  const keys = (o: Record<string, unknown>) => Object.keys(o).sort();
  // Own keys only: `constructor` or `__proto__` are config keys like any other.
  const has = Object.hasOwn;
  return {
    added: keys(newer).filter((k) => !has(older, k)),
    changed: keys(newer).filter((k) => has(older, k) && canonical(newer[k]) !== canonical(older[k])),
    deleted: keys(older).filter((k) => !has(newer, k)),
  };
}

const isEmpty = (d: DictDiff) => d.added.length + d.changed.length + d.deleted.length === 0;

/** "added A, B, changed C, deleted D" with `noun` after each verb ("added tag A"). */
function describe(diff: DictDiff, noun = '', name = (k: string) => k): string {
  const prefix = noun ? `${noun} ` : '';
  return (['added', 'changed', 'deleted'] as const)
    .filter((verb) => diff[verb].length > 0)
    .map((verb) => `${verb} ${prefix}${diff[verb].map(name).join(', ')}`)
    .join(', ');
}

/** The parts of a summary for a config change; empty when nothing changed. */
export function configChanges(user: string, older: ConfigData, newer: ConfigData): string[] {
  const parts: string[] = [];
  const values = dictDiff(newer.values, older.values);
  if (!isEmpty(values)) parts.push(`${user} ${describe(values)}`);
  const limits = (['memory', 'cpu'] as const).filter(
    (f) => !isEmpty(dictDiff(newer[f] as StringMap, older[f] as StringMap)),
  );
  if (limits.length > 0) parts.push(`${user} changed limits for ${limits.join(', ')}`);
  const tags = dictDiff(newer.tags, older.tags);
  if (!isEmpty(tags)) parts.push(`${user} ${describe(tags, 'tag')}`);
  const registry = dictDiff(newer.registry, older.registry);
  if (!isEmpty(registry)) parts.push(`${user} ${describe(registry, 'registry info')}`);
  const health = dictDiff(newer.healthcheck, older.healthcheck);
  if (!isEmpty(health))
    parts.push(`${user} ${describe(health, 'healthcheck info for proc type', (k) => k || 'default')}`);
  return parts;
}

/** "<u> deployed <sha7>" for a git push, "<u> deployed <image>" for an image. */
export const deployedSummary = (user: string, build: { image: string; sha: string }): string =>
  `${user} deployed ${build.sha ? build.sha.slice(0, 7) : build.image}`;

/**
 * Deis joins the parts of a summary with " and ". (Deis 2.x forgot the " and " before the limits
 * part, gluing "…added Aalice changed limits…"; we put it there as before every other part.)
 */
export const joinSummary = (parts: string[]): string => parts.join(' and ');
