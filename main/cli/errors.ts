/**
 * Errors the CLI prints as `Error: <message>` (exit 1), and the mapping of controller HTTP errors to
 * the messages of the Deis Go SDK (controller-sdk-go errors.go), so scripts see the same text.
 */

/** An expected failure: its message is printed after `Error: ` and the CLI exits 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (bad flags or arguments): the usage text goes to stderr and the CLI exits 1. */
export class UsageError extends Error {
  constructor(
    readonly reason: string,
    readonly usage: string,
  ) {
    super(reason);
    this.name = 'UsageError';
  }
}

const BLANK = 'This field may not be blank.';
// Django 1.x and newer word this rule differently; the SDK matched the former, we accept both.
const INVALID_USERNAME = [
  'Enter a valid username. This value may contain only letters, numbers and @/./+/-/_ characters.',
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
];
const INVALID_APP_NAME = [
  'App name can only contain a-z (lowercase), 0-9 and hyphens',
  'App name must start with an alphabetic character, cannot end with a hyphen and can only contain a-z (lowercase), 0-9 and hyphens.',
];

interface FieldRule {
  field: string;
  messages: string[];
  /** Substring match instead of equality (the SDK does this for certificates only). */
  partial?: boolean;
  result: string;
}

/** The SDK's 400 rules, in its order: the first field whose messages match decides the text. */
const FIELD_RULES: FieldRule[] = [
  { field: 'username', messages: [BLANK, ...INVALID_USERNAME], result: INVALID_USERNAME[0]! },
  {
    field: 'username',
    messages: ['A user with that username already exists.'],
    result: 'A user with that username already exists.',
  },
  { field: 'password', messages: [BLANK], result: 'A Password is required' },
  {
    field: 'non_field_errors',
    messages: ['Unable to log in with provided credentials.'],
    result: 'Unable to log in with provided credentials.',
  },
  { field: 'id', messages: INVALID_APP_NAME, result: INVALID_APP_NAME[0]! },
  {
    field: 'id',
    messages: ['Application with this id already exists.'],
    result: 'Application with this id already exists.',
  },
  { field: 'key', messages: [BLANK], result: 'A key is required' },
  { field: 'key', messages: ['Public Key is already in use'], result: 'Public Key is already in use' },
  { field: 'public', messages: [BLANK, 'Key contains invalid base64 chars'], result: 'A key is required' },
  {
    field: 'certificate',
    messages: [BLANK, 'Could not load certificate'],
    partial: true,
    result: 'Could not load certificate',
  },
  {
    field: 'name',
    messages: [BLANK, 'Can only contain a-z (lowercase), 0-9 and hyphens'],
    result: 'Name can only contain a-z (lowercase), 0-9 and hyphens',
  },
  { field: 'domain', messages: ['Hostname does not look valid.'], result: 'Hostname does not look valid.' },
  {
    field: 'domain',
    messages: ['Domain is already in use by another application'],
    result: 'Domain is already in use by another application',
  },
  { field: 'image', messages: [BLANK], result: 'The given image is invalid' },
  { field: 'id', messages: [BLANK], result: 'An id is required' },
  { field: 'email', messages: ['Enter a valid email address.'], result: 'Enter a valid email address.' },
];

const DETAIL_RULES: [string, string][] = [
  ['does not exist in application', 'Pod not found in application'],
  ['version cannot be below 0', 'The given version is invalid'],
  ['No nodes matched the provided labels', 'No nodes matched the provided labels'],
];

export const CANCELLATION_FAILED =
  'Failed to delete user because the user still has applications assigned. Delete or transfer ownership.';

function unknown(status: number, body: string): string {
  // The controller sends escaped newlines inside JSON strings; the SDK shows them as real ones.
  return `Unknown Error (${status}): ${body.replaceAll('\\n', '\n')}`;
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function jsonError(status: number, body: string): string {
  return unknown(status, `error decoding json response: ${body}`);
}

/** The message the Deis CLI prints for an HTTP error response (status ≥ 400). */
export function httpErrorMessage(status: number, body: string): string {
  switch (status) {
    case 400: {
      const map = parseObject(body);
      if (!map) return jsonError(status, body);
      for (const rule of FIELD_RULES) {
        const got = strings(map[rule.field]);
        const hit = rule.messages.some((m) => got.some((g) => (rule.partial ? g.includes(m) : g === m)));
        if (hit) return rule.result;
      }
      if (typeof map.detail === 'string') {
        const detail = map.detail;
        for (const [needle, message] of DETAIL_RULES) if (detail.includes(needle)) return message;
      }
      return unknown(status, body);
    }
    case 401:
      return 'Unauthorized: Missing or Invalid Token';
    case 403:
      return 'You do not have permission to perform this action.';
    case 404:
      return body !== '' ? body : 'Not Found';
    case 405:
      return 'Method Not Allowed';
    case 409: {
      const map = parseObject(body);
      if (!map) return jsonError(status, body);
      if (typeof map.detail === 'string' && map.detail.includes('still has applications assigned'))
        return CANCELLATION_FAILED;
      return unknown(status, body);
    }
    case 422: {
      const map = parseObject(body);
      if (!map) return jsonError(status, body);
      if (typeof map.detail === 'string') return `Unable to process your request: ${map.detail}`;
      return unknown(status, body);
    }
    case 500:
      return 'Internal Server Error';
    default:
      return unknown(status, body);
  }
}

/** The `detail` of an error response, if it has one. */
export function detailOf(body: string): string | undefined {
  const detail = parseObject(body)?.detail;
  return typeof detail === 'string' ? detail : undefined;
}

/**
 * Our own endpoints (targets, services, the desktop's extensions), which no Deis CLI knows: their
 * errors are sentences written for a person, shown as they are rather than as the Deis SDK's
 * `Unknown Error (409): {"detail": …}`. 401 and 403 keep Deis's words, as for every endpoint.
 */
const EXTENSION_PATH = /^\/v2\/(desktop|services)\//;

/** A sentence out of an extension's error body (`detail`, or `field: message` per field), if it has one. */
function extensionErrorMessage(body: string): string | undefined {
  const map = parseObject(body);
  if (!map) return undefined;
  if (typeof map.detail === 'string') return map.detail;
  const fields = Object.entries(map)
    .map(([field, messages]) => [field, strings(messages)] as const)
    .filter(([, messages]) => messages.length > 0);
  if (fields.length === 0) return undefined;
  return fields.map(([field, messages]) => `${field}: ${messages.join(' ')}`).join('\n');
}

/** An HTTP error from the controller, keeping the status for the few callers that branch on it. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: string,
    /** The request's path: an extension's errors are shown as their sentence. */
    path = '',
  ) {
    super(
      (EXTENSION_PATH.test(path) && status !== 401 && status !== 403
        ? extensionErrorMessage(body)
        : undefined) ?? httpErrorMessage(status, body),
    );
    this.name = 'ApiError';
  }
}
