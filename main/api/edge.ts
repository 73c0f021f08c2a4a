/**
 * Who may reach the API at all, decided from the headers before anything else: the request must name
 * this core (Host: a DNS-rebinding page names its own domain), come from no web page but the core's own
 * UI (Origin, Sec-Fetch-Site), and carry its body as JSON (a page can send text/plain without asking).
 * CLIs (ours and the original Go one) send no Origin and JSON bodies, so they pass unchanged.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, DeisError, forbidden } from '../contract/errors';

/** The names a client may call this core by: the loopback address, localhost and deis.<platform domain>. */
export function coreHostNames(platformDomain: string | undefined): string[] {
  const names = ['127.0.0.1', 'localhost'];
  if (platformDomain) names.push(`deis.${platformDomain.toLowerCase()}`);
  return names;
}

/**
 * The core as the edge sees it: its names and the port it really listens on (known after listen).
 * Through the router it is `deis.<platform domain>` on the router's port (undefined while the target
 * has not told it yet: then any port passes, the router having checked where the request came from).
 */
export interface CoreAddress {
  names: readonly string[];
  port: number | undefined;
  /** Its URL at this address, when not `http://127.0.0.1:<port>`. */
  url?: string;
}

/** The core's own URL, for links it hands out (never built from the request's Host). */
export const ownUrl = (a: CoreAddress): string => a.url ?? `http://127.0.0.1:${a.port}`;

/** `name[:port]` of a Host header, lower-cased; undefined when it is not of that shape. */
function splitHost(raw: string): { name: string; port: string | undefined } | undefined {
  const m = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(raw.trim().toLowerCase());
  return m ? { name: m[1]!, port: m[2] } : undefined;
}

/** Refuses a request whose Host is not one of the core's names with its port (DNS rebinding). */
export function checkHost(headers: IncomingHttpHeaders, a: CoreAddress): void {
  const where = `address the core as ${ownUrl(a)}/`;
  const host = headers.host;
  if (!host) throw badRequest(`The request has no Host header; ${where}.`);
  const parsed = splitHost(host);
  const portOk =
    parsed &&
    (a.port === undefined || (parsed.port === undefined ? a.port === 80 : Number(parsed.port) === a.port));
  if (!parsed || !portOk || !a.names.includes(parsed.name))
    throw badRequest(`The Host header does not name this Deis Desktop core; ${where}.`);
}

/**
 * Refuses requests a web page made: an Origin that is not the core's own (including `null`, which
 * sandboxed frames and file pages send), and anything the browser marks as from another site. Apps
 * served by the router (`<app>.localhost`) are the same *site* as `localhost`, so same-site is refused
 * too; the core's UI is same-origin, and what a user types in the address bar is `none`.
 */
export function checkOrigin(headers: IncomingHttpHeaders, a: CoreAddress): void {
  const refuse = () =>
    forbidden(
      `Requests from other web pages are refused; open the Deis Desktop UI at ${ownUrl(a)}/ or use the deis CLI.`,
    );
  const origin = headers.origin;
  if (origin !== undefined) {
    const own = a.names.map((n) => `http://${n}:${a.port}`);
    if (a.port === 80) own.push(...a.names.map((n) => `http://${n}`));
    if (a.url) own.push(a.url);
    if (!own.includes(origin.trim().toLowerCase())) throw refuse();
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refuse();
}

/** Whether the request carries a body (a length above zero, or a chunked one). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && Number(length) > 0;
}

/**
 * A body must be JSON: a form or `fetch(..., {mode: 'no-cors'})` can only send text/plain and forms.
 * Routes that take a file take only `application/octet-stream`, which no page can send without CORS.
 */
export function checkContentType(
  headers: IncomingHttpHeaders,
  expected: 'application/json' | 'application/octet-stream' = 'application/json',
): void {
  if (!hasBody(headers)) return;
  const raw = headers['content-type'] ?? '';
  const type = raw.split(';')[0]!.trim().toLowerCase();
  if (type === expected) return;
  if (expected === 'application/octet-stream')
    throw new DeisError(
      'unsupported_media',
      'Send the file as the request body with Content-Type: application/octet-stream.',
    );
  const shown = type === '' ? 'none' : `"${type.slice(0, 100)}"`;
  throw new DeisError(
    'unsupported_media',
    `Unsupported media type ${shown} in request; send the body as JSON with Content-Type: application/json.`,
  );
}
