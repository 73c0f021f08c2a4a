/** `key=value` arguments of tags, labels and registry commands, each with Deis's own error text. */
import { CliError } from './errors';

/** Exactly one `=`, both sides non-empty (tags and labels). */
export function parseStrictPairs(items: string[], example: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of items) {
    const parts = item.split('=');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
      throw new CliError(`${item} is invalid, Must be in format key=value\nExamples: ${example}`);
    result[parts[0]!] = parts[1]!;
  }
  return result;
}

/** Keys mapped to null: what the controller reads as "remove". */
export const nulls = (keys: string[]): Record<string, null> => Object.fromEntries(keys.map((k) => [k, null]));
