/** Building blocks for request fields that hold JSON dictionaries, with DRF's messages. */
import { z } from 'zod';
import { pyTypeName } from './python';

export type Dict = Record<string, unknown>;

export const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const NOT_NULL = 'This field may not be null.';
export const notADict = (value: unknown) =>
  `Expected a dictionary of items but got type "${pyTypeName(value)}".`;

/** What a field check returns when the input is wrong: the one message DRF would list. */
export class Problem {
  constructor(readonly message: string) {}
}

/**
 * A field holding a dictionary, checked and reshaped by `check`, which returns the output or a
 * Problem. `jsonText` accepts the dictionary as JSON text too, as Deis's "binary" JSON fields do.
 */
export function dictField<T>(check: (dict: Dict) => T | Problem, jsonText = false) {
  return z.unknown().transform((input, ctx): T => {
    let value = input;
    if (jsonText && typeof value === 'string') {
      try {
        value = JSON.parse(value) as unknown;
      } catch {
        ctx.issues.push({ code: 'custom', message: 'Value must be valid JSON.', input });
        return z.NEVER;
      }
    }
    if (value === null) ctx.issues.push({ code: 'custom', message: NOT_NULL, input });
    else if (!isDict(value)) ctx.issues.push({ code: 'custom', message: notADict(value), input });
    else {
      const result = check(value);
      if (result instanceof Problem) ctx.issues.push({ code: 'custom', message: result.message, input });
      else return result;
    }
    return z.NEVER;
  });
}

/** The UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      // A surrogate pair is one 4-byte character.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** "64 KiB", "1 MiB", "300 bytes": a limit as a person reads it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * Whether a parsed JSON value nests deeper than `max` levels (a scalar is 0, `{}` or `[]` is 1).
 * Iterative, so a value nested 100,000 deep is measured without using the call stack; everything
 * else that walks JSON (repr, canonical forms, JSON.stringify) is recursive and runs only after this.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** JSON text of a value for a message: short, and safe for values of any depth. */
export function jsonForMessage(value: unknown, maxLength = 200): string {
  if (nestedDeeperThan(value, 8)) return Array.isArray(value) ? '[...]' : '{...}';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
}
