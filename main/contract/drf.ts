/** Django REST framework's field rules as zod schemas, so request errors read like the Deis controller's. */
import { z } from 'zod';
import { jsonForMessage } from './fields';

const notNull = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === null ? 'This field may not be null.' : message),
});

/**
 * DRF `CharField`: a string (numbers are turned into strings, as DRF does), trimmed, not blank,
 * at most `max` characters, optionally matching `pattern`.
 */
export function charField(options: { max?: number; pattern?: [RegExp, string] } = {}) {
  let s = z.string(notNull('Not a valid string.')).trim().min(1, 'This field may not be blank.');
  if (options.max !== undefined)
    s = s.max(options.max, `Ensure this field has no more than ${options.max} characters.`);
  if (options.pattern) s = s.regex(options.pattern[0], options.pattern[1]);
  return z.preprocess((v) => (typeof v === 'number' ? String(v) : v), s);
}

/** Schemas built on z.unknown() see a missing key as `undefined`; `.optional()` skips them instead. */
function required(ctx: z.RefinementCtx): never {
  ctx.issues.push({ code: 'custom', input: undefined, message: 'This field is required.' });
  return z.NEVER;
}

const TRUE_VALUES = new Set<unknown>([true, 1, 't', 'T', 'y', 'Y', 'yes', 'YES', 'true', 'True', 'TRUE']);
TRUE_VALUES.add('on').add('On').add('ON').add('1');
const FALSE_VALUES = new Set<unknown>([false, 0, 'f', 'F', 'n', 'N', 'no', 'NO', 'false', 'False', 'FALSE']);
FALSE_VALUES.add('off').add('Off').add('OFF').add('0');
const NULL_VALUES = new Set<unknown>([null, '', 'null', 'Null', 'NULL']);

/** DRF `NullBooleanField`: the usual spellings of true and false, or null. */
export const nullBooleanField = z.unknown().transform((v, ctx): boolean | null => {
  if (v === undefined) return required(ctx);
  if (TRUE_VALUES.has(v)) return true;
  if (FALSE_VALUES.has(v)) return false;
  if (NULL_VALUES.has(v)) return null;
  // String() of a list joins it recursively: a list nested 100,000 deep would overflow the stack.
  const shown = typeof v === 'object' && v !== null ? jsonForMessage(v) : String(v);
  ctx.issues.push({ code: 'custom', input: v, message: `"${shown}" is not a valid boolean.` });
  return z.NEVER;
});

/** Python's name for a JSON value's type, as DRF puts it in "Expected a ... but got type" messages. */
export function pythonType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'dict';
}

/** DRF `ListField` of strings (`child=CharField`), without the blank rule: callers validate items. */
export const stringListField = z.unknown().transform((v, ctx): string[] => {
  if (v === undefined) return required(ctx);
  if (!Array.isArray(v)) {
    const message =
      v === null
        ? 'This field may not be null.'
        : `Expected a list of items but got type "${pythonType(v)}".`;
    ctx.issues.push({ code: 'custom', input: v, message });
    return z.NEVER;
  }
  if (!v.every((item) => typeof item === 'string' || typeof item === 'number')) {
    ctx.issues.push({ code: 'custom', input: v, message: 'Not a valid string.' });
    return z.NEVER;
  }
  return v.map(String);
});

/** A JSON object (Python dict) whose values the caller checks. */
export const dictField = z.unknown().transform((v, ctx): Record<string, unknown> => {
  if (v === undefined) return required(ctx);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: `Expected a dictionary of items but got type "${pythonType(v)}".`,
    });
    return z.NEVER;
  }
  return v as Record<string, unknown>;
});
