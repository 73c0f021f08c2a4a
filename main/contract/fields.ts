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
