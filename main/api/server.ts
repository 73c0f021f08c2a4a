/**
 * The HTTP server of the Deis v2 API: parses requests, authenticates, dispatches to the router and
 * renders every error in the Deis body shapes with the API version headers. Bad input never yields a
 * 500; a bug is logged in full and answered with DRF's generic `{"detail":"Server Error"}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeisError, notFoundDetail, unauthenticated } from '../contract/errors';
import { API_VERSION, PLATFORM_VERSION } from '../contract/objects';
import type { UserRow, Users } from '../controller/users';
import type { ApiRequest, ApiResponse, Router } from './router';

const MAX_BODY = 8 * 1024 * 1024;

export interface ApiServerOptions {
  router: Router;
  users: Users;
  log?: (line: string) => void;
}

export function createApiServer(options: ApiServerOptions): http.Server {
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.log?.(`api: failed to answer ${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) send(res, { status: 500, body: { detail: 'Server Error' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function handle(options: ApiServerOptions, req: http.IncomingMessage, res: http.ServerResponse) {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let response: ApiResponse;
  try {
    response = await dispatch(options, req, abort.signal);
  } catch (err) {
    response = errorResponse(err, options.log, req);
  }
  if (response.stream) await sendStream(res, response, response.stream);
  else send(res, response);
}

async function sendStream(res: http.ServerResponse, response: ApiResponse, stream: AsyncIterable<string>) {
  res.statusCode = response.status;
  res.setHeader('DEIS_API_VERSION', API_VERSION);
  res.setHeader('DEIS_PLATFORM_VERSION', PLATFORM_VERSION);
  res.setHeader('Content-Type', response.contentType ?? 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  for (const [k, v] of Object.entries(response.headers ?? {})) res.setHeader(k, v);
  res.flushHeaders();
  for await (const chunk of stream) {
    if (res.destroyed) break;
    // A slow client makes the stream wait here instead of filling the socket's buffer without end.
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

/** Resolves when the response can take more, or when the client went away. */
function drained(res: http.ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function dispatch(
  options: ApiServerOptions,
  req: http.IncomingMessage,
  signal: AbortSignal,
): Promise<ApiResponse> {
  const url = parseUrl(req.url ?? '/');
  const match = options.router.match(url.pathname);
  // Drain the body before answering so keep-alive connections stay usable.
  const raw = await readBody(req);
  if (!match) throw notFoundDetail();

  const method = (req.method ?? 'GET').toUpperCase();
  let user: UserRow | undefined;
  if (match.route.auth === 'user') {
    const queryToken = match.route.tokenInQuery ? url.searchParams.get('token') : null;
    const header = req.headers.authorization ?? (queryToken ? `token ${queryToken}` : undefined);
    user = authenticate(options.users, header);
  } else if (match.route.auth === 'none' && req.headers.authorization)
    user = options.users.byToken(tokenOf(req.headers.authorization) ?? '');

  const handler = options.router.handler(match, method);
  const request: ApiRequest = {
    method,
    path: url.pathname,
    params: match.params,
    query: url.searchParams,
    headers: req.headers,
    body: parseJson(raw),
    user: user as UserRow,
    origin: `http://${req.headers.host ?? '127.0.0.1'}`,
    signal,
  };
  return handler(request);
}

function parseUrl(raw: string): URL {
  try {
    // Appended, not resolved: a path like //x must stay a path, not become a host.
    return new URL(`http://localhost${raw.startsWith('/') ? '' : '/'}${raw}`);
  } catch {
    throw new DeisError('bad_request', 'Malformed request URL.');
  }
}

function tokenOf(header: string): string | undefined {
  const m = /^\s*token\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function authenticate(users: Users, header: string | undefined): UserRow {
  if (!header) throw unauthenticated();
  const token = tokenOf(header);
  if (!token) {
    if (/^\s*token\s*$/i.test(header))
      throw unauthenticated('Invalid token header. No credentials provided.');
    throw unauthenticated();
  }
  const user = users.byToken(token);
  if (!user) throw unauthenticated('Invalid token.');
  return user;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new DeisError('payload_too_large', 'Request body is too large.'));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DeisError('bad_request', `JSON parse error - ${(err as Error).message}`);
  }
}

function errorResponse(
  err: unknown,
  log: ((line: string) => void) | undefined,
  req: http.IncomingMessage,
): ApiResponse {
  if (err instanceof DeisError) {
    const headers: Record<string, string> = {};
    if (err.code === 'unauthenticated') headers['WWW-Authenticate'] = 'Token';
    return { status: err.status, body: err.body(), headers };
  }
  log?.(
    `api: bug while answering ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  return { status: 500, body: { detail: 'Server Error' } };
}

function send(res: http.ServerResponse, response: ApiResponse): void {
  res.statusCode = response.status;
  res.setHeader('DEIS_API_VERSION', API_VERSION);
  res.setHeader('DEIS_PLATFORM_VERSION', PLATFORM_VERSION);
  for (const [k, v] of Object.entries(response.headers ?? {})) res.setHeader(k, v);
  if (response.body === undefined || response.status === 204) {
    res.end();
    return;
  }
  // Files (the UI's assets) go out as they are.
  if (Buffer.isBuffer(response.body)) {
    res.setHeader('Content-Type', response.contentType ?? 'application/octet-stream');
    res.end(response.body);
    return;
  }
  if (response.contentType && typeof response.body === 'string') {
    res.setHeader('Content-Type', response.contentType);
    res.end(response.body);
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(response.body));
}
