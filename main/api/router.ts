/**
 * A small path router with the Deis URL conventions: every route is a regular expression on the path
 * (most accept an optional trailing slash, a few require it), and a path that matches with a method it
 * does not serve answers 405.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { DeisError } from '../contract/errors';
import type { UserRow } from '../controller/users';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call a route: a logged-in user (default) or anyone. (The builder runs inside the core.) */
export type RouteAuth = 'user' | 'none';

export interface ApiRequest {
  method: string;
  path: string;
  /** Capture groups of the route's pattern, decoded. */
  params: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; `undefined` when the request had none. */
  body: unknown;
  /** A route that takes a file: its body as it arrives (at most the route's `rawBody` bytes); `body` is then undefined. */
  raw?: AsyncIterable<Buffer>;
  /** The authenticated user; set on every 'user' route. */
  user: UserRow;
  /** The core's own URL (`http://127.0.0.1:<port>`), for pagination links; never the request's Host. */
  origin: string;
  /** Aborted when the client goes away (for long waits and streams). */
  signal: AbortSignal;
}

export interface ApiResponse {
  status: number;
  /** JSON-encoded unless it is a Buffer (sent as is) or a string with a `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Written chunk by chunk as it comes (server-sent events); ends when the client goes away. */
  stream?: AsyncIterable<string | Buffer>;
}

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

export interface Route {
  pattern: RegExp;
  handlers: Partial<Record<Method, Handler>>;
  auth: RouteAuth;
  /** The route takes `application/octet-stream` bodies of at most this many bytes, streamed (`ApiRequest.raw`). */
  rawBody?: number;
}

export interface Match {
  route: Route;
  params: string[];
}

export class Router {
  readonly routes: Route[] = [];

  /**
   * Adds a route. `path` is a regex source anchored for you, e.g. `/v2/apps/([a-z0-9-]+)/?`. Tokens
   * travel only in the Authorization header, never in a URL (URLs end up in logs and histories).
   */
  add(
    path: string,
    handlers: Partial<Record<Method, Handler>>,
    auth: RouteAuth = 'user',
    options: { rawBody?: number } = {},
  ): this {
    this.routes.push({ pattern: new RegExp(`^${path}$`), handlers, auth, rawBody: options.rawBody });
    return this;
  }

  match(path: string): Match | undefined {
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (m) return { route, params: m.slice(1).map((p) => safeDecode(p ?? '')) };
    }
    return undefined;
  }

  handler(match: Match, method: string): Handler {
    const h = match.route.handlers[method as Method];
    if (!h) throw new DeisError('method_not_allowed', `Method "${method}" not allowed.`);
    return h;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
