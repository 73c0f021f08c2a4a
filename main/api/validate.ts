/** Turns request bodies into typed input with a zod schema; failures become DRF-shaped 400s. */
import type { z } from 'zod';
import { DeisError, type FieldErrors } from '../contract/errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const input = body === undefined ? {} : body;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const got = Array.isArray(input)
      ? 'list'
      : input === null
        ? 'NoneType'
        : typeof input === 'string'
          ? 'str'
          : typeof input === 'number'
            ? 'int'
            : typeof input;
    throw new DeisError('validation', 'Invalid data.', {
      fields: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] },
    });
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(result.error, input as Record<string, unknown>);
}

export function validationError(error: z.ZodError, input: Record<string, unknown>): DeisError {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : 'non_field_errors';
    const missing = issue.path.length === 1 && input[field] === undefined;
    const message = missing && issue.code === 'invalid_type' ? 'This field is required.' : issue.message;
    (fields[field] ??= []).push(message);
  }
  const first = Object.values(fields)[0]?.[0] ?? 'Invalid input.';
  return new DeisError('validation', first, { fields });
}
