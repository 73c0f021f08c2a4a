/**
 * The renderer's API client: adds the token, parses answers with the contract's schemas and turns
 * every Deis error body ({"detail": ...}, {"field": ["msg"]}, a bare string) into one readable message.
 */
import type { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let token: string | null = null;
let onUnauthorized: () => void = () => {};

export function setToken(t: string | null): void {
  token = t;
}
export const currentToken = (): string | null => token;

/** Called when the core no longer accepts the token (it was revoked, or the data folder changed). */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

const FIELD_NAMES: Record<string, string> = { non_field_errors: '', detail: '' };

/** One sentence from a Deis error body. */
export function errorMessage(status: number, body: unknown): string {
  if (typeof body === 'string' && body.trim()) return body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const parts: string[] = [];
    for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
      const messages = Array.isArray(value) ? value.map(String) : [String(value)];
      const label = FIELD_NAMES[field] ?? `${field}: `;
      parts.push(`${label}${messages.join(' ')}`);
    }
    if (parts.length) return parts.join(' ');
  }
  if (status === 502 || status === 503) return 'The Deis Desktop core is not answering; is it running?';
  return `The core answered ${status} without saying why.`;
}

function fieldsOf(body: unknown): Record<string, string[]> {
  if (!body || typeof body !== 'object' || Array.isArray(body) || 'detail' in body) return {};
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(body)) out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  return out;
}

/**
 * A request to the core: `body` goes as JSON, or as it is when it is a file (application/octet-stream);
 * an error answer throws ApiError with its message, and a 401 signs the session out.
 */
export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  const file = body instanceof Blob;
  if (body !== undefined) headers['Content-Type'] = file ? 'application/octet-stream' : 'application/json';
  if (token) headers.Authorization = `token ${token}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : file ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The Deis Desktop core is not answering; is it running?');
  }
  if (res.ok) return res;
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A text body is its own message.
  }
  if (res.status === 401 && token) onUnauthorized();
  throw new ApiError(res.status, errorMessage(res.status, parsed), fieldsOf(parsed));
}

/** A JSON answer, checked against `schema`. */
export async function call<S extends z.ZodType>(
  method: string,
  path: string,
  schema: S,
  body?: unknown,
): Promise<z.infer<S>> {
  const res = await request(method, path, body);
  const json: unknown = await res.json();
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ApiError(res.status, `The core's answer to ${method} ${path} was not what this UI expects.`);
  return parsed.data;
}

export const get = <S extends z.ZodType>(path: string, schema: S) => call('GET', path, schema);
export const post = <S extends z.ZodType>(path: string, schema: S, body: unknown = {}) =>
  call('POST', path, schema, body);

/** A request whose answer has no body the UI needs (DELETE, 204s). */
export async function send(method: string, path: string, body?: unknown): Promise<void> {
  await request(method, path, body);
}

export async function getText(path: string): Promise<string> {
  return (await request('GET', path)).text();
}

export const messageOf = (err: unknown): string =>
  err instanceof Error ? err.message : 'Something went wrong; the core log has the details.';

/**
 * Follows a server-sent event stream with the token in a header (EventSource cannot send one):
 * `onData` gets each `data:` line, `onComment` each comment. Answers false at once when the core has
 * no such endpoint (404/405), so the caller can fall back; otherwise resolves when the stream ends.
 */
export async function follow(
  path: string,
  handlers: { onOpen?(): void; onData(line: string): void; onComment?(text: string): void },
  signal: AbortSignal,
): Promise<boolean> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (token) headers.Authorization = `token ${token}`;
  const res = await fetch(path, { headers, signal });
  if (res.status === 404 || res.status === 405) return false;
  if (!res.ok || !res.body) {
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A text body is its own message.
    }
    throw new ApiError(res.status, errorMessage(res.status, parsed));
  }
  handlers.onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      if (line.startsWith('data:')) handlers.onData(line.slice(line.startsWith('data: ') ? 6 : 5));
      else if (line.startsWith(':')) handlers.onComment?.(line.slice(1).trim());
    }
  }
}
