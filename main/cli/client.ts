/**
 * The controller API client: JSON over HTTP(S) with the Deis client's headers, the API-version
 * check (a warning, printed once) and HTTP errors turned into the Deis CLI's messages.
 */
import type http from 'node:http';
import { MAX_CLI_ERROR_BODY_BYTES } from '../contract/limits';
import { ApiError, CliError } from './errors';
import { lookupLocalhost } from './localhost';
import { CLIENT_API_VERSION, USER_AGENT } from './version';

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface Page<T> {
  results: T[];
  count: number;
  /**
   * Why the list may be short, when the controller says (a Deis Desktop core whose engine is not
   * ready yet answers `ps` with no processes and a `notice`); commands print it on stderr.
   */
  notice?: string;
}

/** `deis.example.com` → `http://deis.example.com`; the path is dropped as the Go client did. */
export function normalizeController(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`${raw} is not a valid controller URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${raw} is not a valid controller URL: use http:// or https://`);
  return new URL(`${url.protocol}//${url.host}`);
}

/** The controller URL as the CLI shows and saves it (no trailing slash). */
export function controllerString(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** Major versions must match and the server's minor must not be older than the client's. */
export function apiVersionsCompatible(server: string | undefined, client = CLIENT_API_VERSION): boolean {
  if (!server) return false;
  const [sMajor, sMinor = ''] = server.split('.');
  const [cMajor, cMinor = ''] = client.split('.');
  return sMajor === cMajor && sMinor >= cMinor;
}

export class ApiClient {
  /** The `DEIS_API_VERSION` of the last response. */
  serverApiVersion: string | undefined;
  private warned = false;

  constructor(
    readonly controller: URL,
    public token: string,
    readonly sslVerify: boolean,
    private readonly warn: (text: string) => void,
  ) {}

  /** One HTTP exchange; never throws on an HTTP status, only on network failures. */
  async send(method: string, path: string, body?: unknown, withToken = true): Promise<Reply> {
    const res = await this.open(method, path, body, withToken);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
      res.on('error', reject);
    });
  }

  /**
   * A request whose response body is read as it comes (a followed log, a streaming run): resolves
   * with the response once its headers arrive; HTTP errors throw as in request(). The token goes
   * in the Authorization header, as for every request, never in the URL.
   */
  async stream(method: string, path: string, body?: unknown): Promise<http.IncomingMessage> {
    const res = await this.open(method, path, body, true);
    const status = res.statusCode ?? 0;
    if (status < 400) {
      this.noteApiVersion({ status, body: '', headers: res.headers });
      return res;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if ((size += chunk.length) > MAX_CLI_ERROR_BODY_BYTES) break;
      chunks.push(chunk);
    }
    res.destroy();
    throw new ApiError(status, Buffer.concat(chunks).toString('utf8'), path);
  }

  /** POSTs a file as the body (application/octet-stream), read from disk as it is sent. */
  async upload(path: string, file: FileBody): Promise<Reply> {
    const res = await this.open('POST', path, file, true);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>)
      if ((size += chunk.length) <= MAX_CLI_ERROR_BODY_BYTES) chunks.push(chunk);
    const reply = {
      status: res.statusCode ?? 0,
      body: Buffer.concat(chunks).toString('utf8'),
      headers: res.headers,
    };
    if (reply.status >= 400) throw new ApiError(reply.status, reply.body, path);
    return reply;
  }

  private open(
    method: string,
    path: string,
    body: unknown,
    withToken: boolean,
  ): Promise<http.IncomingMessage> {
    const url = new URL(path, this.controller);
    const file = body instanceof FileBody ? body : undefined;
    const payload = file || body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      'Content-Type': file ? 'application/octet-stream' : 'application/json',
      'Content-Length': String(file ? file.size : Buffer.byteLength(payload)),
    };
    if (withToken && this.token) headers.Authorization = `token ${this.token}`;
    // Loaded on the first request (node:https alone costs more than the rest of the CLI's start).
    const transport = process.getBuiltinModule(url.protocol === 'https:' ? 'node:https' : 'node:http');
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        // No keep-alive (as the Go client): the process exits as soon as the work is done.
        { method, headers, agent: false, rejectUnauthorized: this.sslVerify, lookup: lookupLocalhost },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          new CliError(
            `Cannot reach the controller at ${controllerString(this.controller)} (${err.code ?? err.message}). ` +
              'Check that Deis Desktop is running and the URL is right.',
          ),
        ),
      );
      if (file) file.data.pipe(req);
      else req.end(payload);
    });
  }

  /** A request whose HTTP errors become the Deis CLI's error messages. */
  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const reply = await this.send(method, path, body);
    if (reply.status >= 400) throw new ApiError(reply.status, reply.body, path);
    this.noteApiVersion(reply);
    // Why an answer is partial (no processes while the engine is being prepared): said on stderr.
    const notice = reply.headers['x-deis-notice'];
    if (typeof notice === 'string' && notice) this.warn(`!    ${notice}\n`);
    return reply;
  }

  async get<T>(path: string): Promise<T> {
    return parseJson<T>((await this.request('GET', path)).body);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    const reply = await this.request('POST', path, body);
    return (reply.body === '' ? undefined : parseJson<T>(reply.body)) as T;
  }

  async delete(path: string, body?: unknown): Promise<void> {
    await this.request('DELETE', path, body);
  }

  /** A paginated list, first page only, as `?limit=N` asks. */
  async list<T>(path: string, limit: number): Promise<Page<T>> {
    const page = await this.get<{ results?: T[]; count?: number; notice?: unknown }>(
      `${path}?limit=${limit}`,
    );
    const results = page.results ?? [];
    const notice = typeof page.notice === 'string' ? page.notice : undefined;
    return { results, count: page.count ?? results.length, ...(notice ? { notice } : {}) };
  }

  /** `GET /v2/` must answer 401 for a URL to be a Deis controller. */
  async checkConnection(): Promise<void> {
    const reply = await this.send('GET', '/v2/', undefined, false).catch((err: unknown) => {
      throw new CliError(`${notAController(this.controller)}\n${(err as Error).message}`);
    });
    if (reply.status !== 401) throw new CliError(notAController(this.controller));
    this.noteApiVersion(reply);
  }

  private noteApiVersion(reply: Reply): void {
    const header = reply.headers['deis_api_version'];
    const version = Array.isArray(header) ? header[0] : header;
    this.serverApiVersion = version;
    if (apiVersionsCompatible(version) || this.warned) return;
    this.warned = true;
    this.warn(
      '!    WARNING: Client and server API versions do not match. Please consider upgrading.\n' +
        `!    Client version: ${CLIENT_API_VERSION}\n` +
        `!    Server version: ${version ?? ''}\n`,
    );
  }
}

function notAController(url: URL): string {
  return (
    `${controllerString(url)} does not appear to be a valid Deis controller.\n` +
    'Make sure that the Controller URI is correct, the server is running and\n' +
    'your client version is correct.'
  );
}

function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CliError(`The controller sent a response that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** A body that is a file to stream rather than JSON to send. */
export class FileBody {
  constructor(
    readonly size: number,
    readonly data: NodeJS.ReadableStream,
  ) {}
}
