/**
 * Fetches an `ADD <url>` source for a build, in place of the Docker engine (which would fetch it from
 * the host's own network, loopback included). Every hop's connected socket is checked: a peer on the
 * loopback or unspecified address is refused before a byte is sent, so neither a name that resolves
 * there (DNS rebinding included) nor a redirect can reach the host's own services.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import tls from 'node:tls';
import {
  DOCKERFILE_REMOTE_CONNECT_TIMEOUT_MS,
  DOCKERFILE_REMOTE_IDLE_TIMEOUT_MS,
  DOCKERFILE_REMOTE_MAX_REDIRECTS,
  DOCKERFILE_REMOTE_TOTAL_TIMEOUT_MS,
} from '../../contract/limits';

export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
}

const HOST_ONLY = new net.BlockList();
HOST_ONLY.addSubnet('127.0.0.0', 8, 'ipv4');
HOST_ONLY.addSubnet('0.0.0.0', 8, 'ipv4');
HOST_ONLY.addSubnet('::', 104, 'ipv6'); // ::, ::1 and the IPv4-compatible 0.x.x.x
HOST_ONLY.addSubnet('::127.0.0.0', 104, 'ipv6'); // IPv4-compatible loopback
HOST_ONLY.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
HOST_ONLY.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');

/** True for an address that means this machine itself: loopback or unspecified, in any notation. */
export function isHostOnlyAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true; // not an address we can judge: treat as refused
  return HOST_ONLY.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL without user name and password, for messages and logs. */
export function shownUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}

export interface Fetched {
  /** The file on disk (mode 0600). */
  file: string;
  /** The name Docker would give it: the URL path's last element, else Content-Disposition's, else ''. */
  name: string;
  size: number;
  /** Last-Modified, else the epoch, as Docker sets it. */
  mtime: Date;
}

export interface FetchOptions {
  /** Bytes this download may still use (shared by all downloads of a build); decreased as it runs. */
  budget: { left: number };
  signal?: AbortSignal;
  /** Names the file on disk (downloads of one build share `dir`). */
  index: number;
}

/** Connects to host:port, checks the peer, then (https) does TLS; nothing is written before the check. */
async function connect(url: URL, signal: AbortSignal): Promise<net.Socket> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const socket = net.connect({ host, port });
  const done = new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new FetchRefused(`could not connect to ${url.host} in time`)),
      DOCKERFILE_REMOTE_CONNECT_TIMEOUT_MS,
    );
    const onAbort = () => fail(new FetchRefused('the download was stopped'));
    signal.addEventListener('abort', onAbort);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    socket.once('error', (err) => fail(new FetchRefused(`could not connect to ${url.host}: ${err.message}`)));
    socket.once('connect', () => {
      const peer = socket.remoteAddress ?? '';
      if (isHostOnlyAddress(peer)) {
        fail(
          new FetchRefused(
            `${url.host} is this machine itself (${peer}); builds may not reach services on this machine's loopback`,
          ),
        );
        return;
      }
      if (url.protocol !== 'https:') {
        cleanup();
        resolve(socket);
        return;
      }
      const secure = tls.connect({ socket, servername: net.isIP(host) ? undefined : host });
      secure.once('error', (err) => fail(new FetchRefused(`TLS with ${url.host} failed: ${err.message}`)));
      secure.once('secureConnect', () => {
        cleanup();
        resolve(secure);
      });
    });
  });
  return done;
}

function filenameFromPath(urlPath: string): string {
  let decoded = urlPath;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    // Go keeps what it cannot decode; so do we.
  }
  if (decoded === '' || decoded.endsWith('/')) return '';
  return decoded.slice(decoded.lastIndexOf('/') + 1);
}

function filenameFromDisposition(header: string | undefined): string {
  if (!header) return '';
  const m = /;\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  const value = m ? (m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? '') : '';
  if (value === '' || value.endsWith('/')) return '';
  return value.slice(value.lastIndexOf('/') + 1);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads `raw` (an http:// or https:// URL) into `dir` as Docker's ADD would (redirects followed,
 * an error status fails), refusing any hop whose peer is this machine.
 */
export async function fetchRemote(raw: string, dir: string, options: FetchOptions): Promise<Fetched> {
  const signal = AbortSignal.any([
    AbortSignal.timeout(DOCKERFILE_REMOTE_TOTAL_TIMEOUT_MS),
    ...(options.signal ? [options.signal] : []),
  ]);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefused('it is not a valid URL');
  }
  const name = filenameFromPath(url.pathname);
  for (let hop = 0; hop <= DOCKERFILE_REMOTE_MAX_REDIRECTS; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new FetchRefused(`a redirect led to ${url.protocol} URL; only http and https are fetched`);
    const socket = await connect(url, signal);
    const res = await request(url, socket, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location) {
      res.destroy();
      socket.destroy();
      try {
        url = new URL(location, url);
      } catch {
        throw new FetchRefused(`the server redirected to an invalid URL`);
      }
      continue;
    }
    if (status >= 400) {
      res.destroy();
      socket.destroy();
      throw new FetchRefused(`the server answered ${status} ${res.statusMessage ?? ''}`.trim());
    }
    const fileName = name || filenameFromDisposition(res.headers['content-disposition']);
    const file = path.join(dir, `download-${options.index}`);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        options.budget.left -= chunk.length;
        if (options.budget.left < 0) cb(new FetchRefused('the downloads of this build are too large'));
        else cb(null, chunk);
      },
    });
    socket.setTimeout(DOCKERFILE_REMOTE_IDLE_TIMEOUT_MS, () =>
      res.destroy(new FetchRefused('the server stopped sending')),
    );
    try {
      await pipeline(res, counter, fs.createWriteStream(file, { mode: 0o600, flags: 'wx' }), { signal });
    } catch (err) {
      socket.destroy();
      if (err instanceof FetchRefused) throw err;
      if (signal.aborted) throw new FetchRefused('the download took too long or was stopped');
      throw new FetchRefused(`the download failed: ${(err as Error).message}`);
    }
    socket.destroy();
    const modified = Date.parse(String(res.headers['last-modified'] ?? ''));
    return { file, name: fileName, size, mtime: new Date(Number.isNaN(modified) ? 0 : modified) };
  }
  throw new FetchRefused(`it redirected more than ${DOCKERFILE_REMOTE_MAX_REDIRECTS} times`);
}

function request(url: URL, socket: net.Socket, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'User-Agent': 'Deis-Desktop-Builder' };
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    const req = http.request({
      method: 'GET',
      host: url.hostname,
      path: `${url.pathname}${url.search}`,
      headers: { Host: url.host, ...headers },
      createConnection: () => socket,
      signal,
    });
    req.once('response', resolve);
    req.once('error', (err) => {
      socket.destroy();
      reject(
        signal.aborted
          ? new FetchRefused('the download took too long or was stopped')
          : new FetchRefused(`the request failed: ${err.message}`),
      );
    });
    socket.setTimeout(DOCKERFILE_REMOTE_IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error('the server did not answer')),
    );
    req.end();
  });
}
