/**
 * The one table of error codes: each code has an HTTP status and the Deis body shape the API renders.
 * Errors cross process boundaries as plain data ({code, message, fields?, detail?}) and are rebuilt
 * with `DeisError.fromData`; code decides on `code`, never on message text.
 */

/** How an error is rendered on the wire, matching Deis/DRF. */
export type ErrorShape =
  /** `{"detail": "<message>"}` */
  | 'detail'
  /** `{"<field>": ["msg", ...], ...}` (DRF validation errors) */
  | 'fields'
  /** a bare JSON string, as Django's Http404 renders: `"No App matches the given query."` */
  | 'string';

export const ERROR_CODES = {
  validation: { status: 400, shape: 'fields' },
  bad_request: { status: 400, shape: 'detail' },
  unauthenticated: { status: 401, shape: 'detail' },
  forbidden: { status: 403, shape: 'detail' },
  not_found: { status: 404, shape: 'string' },
  not_found_detail: { status: 404, shape: 'detail' },
  method_not_allowed: { status: 405, shape: 'detail' },
  unsupported_media: { status: 415, shape: 'detail' },
  payload_too_large: { status: 413, shape: 'detail' },
  conflict: { status: 409, shape: 'detail' },
  unprocessable: { status: 422, shape: 'detail' },
  too_many_requests: { status: 429, shape: 'detail' },
  unavailable: { status: 503, shape: 'detail' },
  internal: { status: 500, shape: 'detail' },
} as const satisfies Record<string, { status: number; shape: ErrorShape }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Field errors as DRF renders them: every field maps to a list of messages. */
export type FieldErrors = Record<string, string[]>;

export interface ErrorData {
  code: ErrorCode;
  message: string;
  fields?: FieldErrors;
  /** Extra context for logs and detail panes (never a stack trace shown as the message). */
  detail?: string;
  /** Structured fields sent beside `detail` (a host key to ask about), for clients that act on them. */
  extra?: Record<string, unknown>;
}

/** An expected error: user input, permissions, missing objects, conflicts. */
export class DeisError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldErrors | undefined;
  readonly detail: string | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fields?: FieldErrors; detail?: string; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'DeisError';
    this.code = code;
    this.fields = options.fields;
    this.detail = options.detail;
    this.extra = options.extra;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The JSON body the Deis API sends for this error. */
  body(): unknown {
    switch (ERROR_CODES[this.code].shape) {
      case 'fields':
        return this.fields ?? { non_field_errors: [this.message] };
      case 'string':
        return this.message;
      case 'detail':
        return { ...this.extra, detail: this.message };
    }
  }

  toData(): ErrorData {
    const data: ErrorData = { code: this.code, message: this.message };
    if (this.fields) data.fields = this.fields;
    if (this.detail) data.detail = this.detail;
    if (this.extra) data.extra = this.extra;
    return data;
  }

  static fromData(data: ErrorData): DeisError {
    return new DeisError(data.code, data.message, {
      fields: data.fields,
      detail: data.detail,
      extra: data.extra,
    });
  }
}

export const badRequest = (message: string): DeisError => new DeisError('bad_request', message);

/** A DRF-style validation error on one field (or `non_field_errors`). */
export const invalid = (field: string, ...messages: string[]): DeisError =>
  new DeisError('validation', messages[0] ?? 'Invalid input.', { fields: { [field]: messages } });

export const invalidFields = (fields: FieldErrors): DeisError => {
  const first = Object.values(fields)[0]?.[0] ?? 'Invalid input.';
  return new DeisError('validation', first, { fields });
};

/** Django's Http404 for a model: `"No App matches the given query."` */
export const notFound = (model: string): DeisError =>
  new DeisError('not_found', `No ${model} matches the given query.`);

export const notFoundDetail = (message = 'Not found.'): DeisError =>
  new DeisError('not_found_detail', message);

export const forbidden = (message = 'You do not have permission to perform this action.'): DeisError =>
  new DeisError('forbidden', message);

export const unauthenticated = (message = 'Authentication credentials were not provided.'): DeisError =>
  new DeisError('unauthenticated', message);

/** A 409; `extra` goes beside `detail` in the body (`{detail, host_key: {…}}`). */
export const conflict = (message: string, extra?: Record<string, unknown>): DeisError =>
  new DeisError('conflict', message, extra ? { extra } : {});

export const unprocessable = (message: string): DeisError => new DeisError('unprocessable', message);
