/**
 * The HTTP server of the Deis v2 API. Each request passes the edge in this order, and nothing is read
 * or done before it passes: the Host names this core, no foreign web page sent it, the route exists,
 * the token is valid (a 'user' route answers 401 before its body is read), the body is JSON, within
 * its size limit and the budget of body bytes in flight. Then it is dispatched to the router, and
 * every error is rendered in the Deis body shapes with the API version headers. Bad input never yields
 * a 500; a bug is logged in full and answered with DRF's generic `{"detail":"Server Error"}`.
 */
import fs from 'node:fs';
import http, { STATUS_CODES } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { DeisError, notFoundDetail, unauthenticated } from '../contract/errors';
import {
  API_ANONYMOUS_BODY_LIMIT,
  API_BODY_BYTES_IN_FLIGHT,
  API_BODY_LIMIT,
  API_HEADERS_TIMEOUT_MS,
  API_MAX_CONNECTIONS,
  API_REQUEST_TIMEOUT_MS,
  ROUTER_CORE_CONNECTIONS,
} from '../contract/limits';
import { API_VERSION, PLATFORM_VERSION } from '../contract/objects';
import type { UserRow, Users } from '../controller/users';
import { BodyBudget, parseJson, RequestBody } from './body';
import { checkContentType, checkHost, checkOrigin, coreHostNames, ownUrl, type CoreAddress } from './edge';
import type { ApiRequest, ApiResponse, Router } from './router';
import { SHELL_SOCKET_PATH, type ShellGateway } from './shell';

export interface ApiServerOptions {
  router: Router;
  users: Users;
  /** DEIS_PLATFORM_DOMAIN: the core also answers to `deis.<domain>`. */
  platformDomain?: string;
  /**
   * The port the router publishes on the host (0 while unknown): requests that came through the
   * router's socket (listenForRouter) must name `deis.<domain>` with it.
   */
  routerPort?: () => number;
  log?: (line: string) => void;
  /** The console's shell: WebSocket upgrades to SHELL_SOCKET_PATH go there (none: every upgrade is refused). */
  shell?: ShellGateway;
}

interface Edge {
  options: ApiServerOptions;
  budget: BodyBudget;
  address: () => CoreAddress;
  /** The core as requests through the router see it: `deis.<domain>:<router port>`. */
  routed: () => CoreAddress;
}

/** Connections that came through the router's socket, not the loopback port. */
const fromRouter = new WeakSet<object>();

export function createApiServer(options: ApiServerOptions): http.Server {
  const names = coreHostNames(options.platformDomain);
  const edge: Edge = {
    options,
    budget: new BodyBudget(API_BODY_BYTES_IN_FLIGHT),
    // The port is known once the server listens (tests ask for port 0).
    address: () => ({ names, port: (server.address() as AddressInfo | null)?.port ?? 0 }),
    routed: () => {
      const name = options.platformDomain ? `deis.${options.platformDomain.toLowerCase()}` : undefined;
      const port = options.routerPort?.() ?? 0;
      return {
        names: name ? [name] : [],
        // The router passes only this name on, from its published port; while that port is not
        // known yet (the target is still starting), the name alone is checked.
        port: port || undefined,
        url: name ? `http://${name}${port && port !== 80 ? `:${port}` : ''}` : undefined,
      };
    },
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(edge, req, res).catch((err: unknown) => {
      options.log?.(`api: failed to answer ${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) send(res, { status: 500, body: { detail: 'Server Error' } });
      else res.destroy();
    });
  };
  const server = http.createServer(
    {
      headersTimeout: API_HEADERS_TIMEOUT_MS,
      requestTimeout: API_REQUEST_TIMEOUT_MS,
      // How often Node looks for requests past those timeouts (its default is 30 s).
      connectionsCheckingInterval: 1_000,
    },
    onRequest,
  );
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      upgrade(edge, req, socket, head);
    } catch (err) {
      refuseUpgrade(socket, errorResponse(err, options.log, req));
    }
  });
  // "Expect: 100-continue" comes here too: the body is asked for only once the request may proceed.
  server.on('checkContinue', onRequest);
  server.keepAliveTimeout = 65_000;
  server.maxConnections = API_MAX_CONNECTIONS;
  return server;
}

/**
 * Serves the same API (same handler, limits and budget) on a unix socket for the router, which
 * passes it the host's requests for `deis.<platform domain>`. Only the owner of DEIS_HOME and the
 * router's nginx, where the socket's folder is mounted, can reach it. Resolves with a function that
 * stops listening and removes the socket.
 */
export async function listenForRouter(server: http.Server, socketPath: string): Promise<() => Promise<void>> {
  const open = new Set<net.Socket>();
  const socketServer = net.createServer((socket) => {
    fromRouter.add(socket);
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    server.emit('connection', socket);
  });
  socketServer.maxConnections = ROUTER_CORE_CONNECTIONS;
  // A socket left by a core that did not stop cleanly; anything else at that path stays.
  const stale = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (stale?.isSocket()) fs.unlinkSync(socketPath);
  await new Promise<void>((resolve, reject) => {
    socketServer.once('error', reject);
    socketServer.listen(socketPath, () => {
      socketServer.off('error', reject);
      resolve();
    });
  });
  // nginx's workers (www-data) connect; the folders around it keep everyone else out.
  fs.chmodSync(socketPath, 0o666);
  return () =>
    new Promise<void>((resolve) => {
      socketServer.close(() => resolve());
      fs.rmSync(socketPath, { force: true });
      // The router keeps idle connections for reuse: they end now, as the loopback port's do.
      for (const socket of open) socket.destroy();
    });
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

/**
 * A WebSocket upgrade passes the same edge as every request (Host, then Origin: a page on another
 * origin cannot open one), and only the shell's path takes one.
 */
function upgrade(edge: Edge, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const address = fromRouter.has(req.socket) ? edge.routed() : edge.address();
  checkHost(req.headers, address);
  checkOrigin(req.headers, address);
  const url = parseUrl(req.url ?? '/');
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  if (path !== SHELL_SOCKET_PATH || !edge.options.shell || (req.method ?? 'GET').toUpperCase() !== 'GET')
    throw notFoundDetail();
  edge.options.shell.upgrade(req, socket, head, url.searchParams);
}

/** Answers a refused upgrade as a plain HTTP error with the Deis body, then closes the connection. */
function refuseUpgrade(socket: Duplex, response: ApiResponse): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(response.body ?? {});
  const headers = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `DEIS_API_VERSION: ${API_VERSION}`,
    `DEIS_PLATFORM_VERSION: ${PLATFORM_VERSION}`,
    ...Object.entries(response.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'Connection: close',
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

async function handle(edge: Edge, req: http.IncomingMessage, res: http.ServerResponse) {
  const abort = new AbortController();
  const body = new RequestBody(req, res, edge.budget);
  res.on('close', () => {
    abort.abort();
    body.release();
  });
  let response: ApiResponse;
  try {
    response = await dispatch(edge, req, body, abort.signal);
  } catch (err) {
    response = errorResponse(err, edge.options.log, req);
  }
  // The router streams bodies to the core: closing on it while it still sends makes it see a broken
  // core (a reset, then its 503). It never sends more than API_BODY_LIMIT, so that much is read
  // and dropped first; any more, and the connection goes as it would on the loopback port.
  if (body.mustClose && fromRouter.has(req.socket)) await drain(req, API_BODY_LIMIT);
  // A refused body still on the wire is not read to its end: the connection goes instead.
  if (body.mustClose) response = { ...response, headers: { ...response.headers, Connection: 'close' } };
  if (response.stream) await sendStream(res, response, response.stream);
  else send(res, response);
}

async function sendStream(
  res: http.ServerResponse,
  response: ApiResponse,
  stream: AsyncIterable<string | Buffer>,
) {
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

/** Reads what is left of a request's body and drops it: until its end, `limit` bytes, or the client goes. */
function drain(req: http.IncomingMessage, limit: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done();
    };
    req.on('data', onData);
    req.on('end', done);
    req.on('close', done);
    req.on('error', done);
    req.resume();
  });
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
  edge: Edge,
  req: http.IncomingMessage,
  body: RequestBody,
  signal: AbortSignal,
): Promise<ApiResponse> {
  const address = fromRouter.has(req.socket) ? edge.routed() : edge.address();
  checkHost(req.headers, address);
  checkOrigin(req.headers, address);
  const url = parseUrl(req.url ?? '/');
  const { router, users } = edge.options;
  const match = router.match(url.pathname);
  if (!match) throw notFoundDetail();

  const method = (req.method ?? 'GET').toUpperCase();
  let user: UserRow | undefined;
  if (match.route.auth === 'user') user = authenticate(users, req.headers.authorization);
  else if (req.headers.authorization) user = users.byToken(tokenOf(req.headers.authorization) ?? '');
  const handler = router.handler(match, method);

  // A route that takes a file (only for a logged-in user) streams it; every other body is JSON.
  const file = match.route.rawBody !== undefined && user !== undefined;
  checkContentType(req.headers, file ? 'application/octet-stream' : 'application/json');
  // Anyone may call a public route (register, login), so what they may send is small.
  const raw = file ? Buffer.alloc(0) : await body.read(user ? API_BODY_LIMIT : API_ANONYMOUS_BODY_LIMIT);
  const request: ApiRequest = {
    method,
    path: url.pathname,
    params: match.params,
    query: url.searchParams,
    headers: req.headers,
    body: file ? undefined : parseJson(raw),
    raw: file ? body.stream(match.route.rawBody!) : undefined,
    user: user as UserRow,
    origin: ownUrl(address),
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

function errorResponse(
  err: unknown,
  log: ((line: string) => void) | undefined,
  req: http.IncomingMessage,
): ApiResponse {
  if (err instanceof DeisError) {
    const headers: Record<string, string> = {};
    if (err.code === 'unauthenticated') headers['WWW-Authenticate'] = 'Token';
    if (err.code === 'too_many_requests' || err.code === 'unavailable') headers['Retry-After'] = '1';
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
