/**
 * A keep-alive HTTP/1.1 connection to the router's status port (127.0.0.1 inside its container, so
 * neither apps nor this machine's other programs reach it), made through one long-lived exec: a
 * route switch costs one request on it instead of a new exec (create, start, a curl, inspect),
 * which is most of a switch on a busy engine. Requests go one at a time. Anything unexpected (the
 * router restarted, nginx closed the connection, a malformed answer) closes the tunnel and the
 * caller falls back to an exec of its own; the next request opens a new tunnel.
 */
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { MAX_ROUTER_STATUS_REPLY_BYTES, ROUTER_TUNNEL_RETRY_MS } from '../../../main/contract/limits';

export interface StatusReply {
  status: number;
  text: string;
}

interface Pending {
  resolve(reply: StatusReply): void;
  reject(err: Error): void;
}

/** One HTTP/1.1 connection to the status port over any byte stream (also used by the Kubernetes router). */
export class Connection {
  private buffered = Buffer.alloc(0);
  private pending: Pending | undefined;
  closed = false;

  constructor(private readonly stream: Duplex) {}

  /** Reads answers from a Docker exec's multiplexed stream. */
  attach(docker: Docker): void {
    const out = new PassThrough();
    const err = new PassThrough();
    err.resume();
    docker.modem.demuxStream(this.stream, out, err);
    this.listen(out);
  }

  /** Reads answers straight from the stream (a byte stream of its own, such as a port-forward). */
  attachRaw(): void {
    this.listen(this.stream);
  }

  private listen(out: NodeJS.ReadableStream): void {
    out.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      if (this.buffered.length > MAX_ROUTER_STATUS_REPLY_BYTES)
        return this.fail(new Error('status answer too large'));
      this.parse();
    });
    const end = () => this.fail(new Error('the status connection closed'));
    this.stream.on('end', end);
    this.stream.on('close', end);
    this.stream.on('error', end);
  }

  send(method: string, path: string, body: Buffer | undefined, timeoutMs: number): Promise<StatusReply> {
    if (this.closed) return Promise.reject(new Error('the status connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${method} ${path} took too long`)), timeoutMs);
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const head =
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        (body ? `Content-Length: ${body.length}\r\n` : '') +
        '\r\n';
      this.stream.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  destroy(): void {
    this.fail(new Error('the status connection closed'));
  }

  private fail(err: Error): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
    this.stream.destroy();
  }

  /** One complete answer (Content-Length or chunked) ends the pending request. */
  private parse(): void {
    const p = this.pending;
    if (!p) return;
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(status)) return this.fail(new Error('a malformed status answer'));
    const header = (name: string) =>
      head
        .slice(1)
        .find((l) => l.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    let rest = this.buffered.subarray(headEnd + 4);
    let body: Buffer;
    if ((header('transfer-encoding') ?? '').toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return;
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        if (!Number.isInteger(size) || size < 0) return this.fail(new Error('a malformed status answer'));
        if (rest.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          rest = rest.subarray(lineEnd + 4);
          break;
        }
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(header('content-length') ?? NaN);
      if (!Number.isInteger(length) || length < 0)
        return this.fail(new Error('a status answer without length'));
      if (rest.length < length) return;
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    this.buffered = Buffer.from(rest);
    this.pending = undefined;
    if ((header('connection') ?? '').toLowerCase() === 'close') this.closed = true;
    p.resolve({ status, text: body.toString('utf8') });
  }
}

export class StatusTunnel {
  private connection: Promise<Connection> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Until when requests skip the tunnel (it failed just before). */
  private resting = 0;

  constructor(
    private readonly docker: Docker,
    private readonly container: string,
    private readonly port: number,
  ) {}

  /** One request on the tunnel, after the ones before it; rejects when the tunnel fails. */
  request(method: 'GET' | 'PUT', path: string, body?: Buffer, timeoutMs = 5000): Promise<StatusReply> {
    const run = this.queue.then(() => this.once(method, path, body, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drops the connection (after a reload, new workers should answer); the next request opens one. */
  close(): void {
    const c = this.connection;
    this.connection = undefined;
    void c?.then((conn) => conn.destroy()).catch(() => undefined);
  }

  private async once(method: string, path: string, body: Buffer | undefined, timeoutMs: number) {
    if (Date.now() < this.resting) throw new Error('the status connection failed a moment ago');
    let current = (this.connection ??= this.open());
    try {
      let conn = await current;
      if (conn.closed) {
        // nginx closed it while idle (keepalive_timeout): a new one, no penalty.
        if (this.connection === current) this.connection = undefined;
        current = this.connection ??= this.open();
        conn = await current;
      }
      const reply = await conn.send(method, path, body, timeoutMs);
      if (conn.closed && this.connection === current) this.connection = undefined;
      return reply;
    } catch (err) {
      if (this.connection === current) {
        this.close();
        this.resting = Date.now() + ROUTER_TUNNEL_RETRY_MS;
      }
      throw err;
    }
  }

  private async open(): Promise<Connection> {
    const exec = await this.docker.getContainer(this.container).exec({
      // Requests go in on stdin (as fd 4: a background job's own stdin would be /dev/null), answers
      // come back on stdout. It ends when nginx closes the connection.
      Cmd: [
        'bash',
        '-c',
        `exec 3<>/dev/tcp/127.0.0.1/${this.port} 4<&0 || exit 1; cat <&4 >&3 2>/dev/null & exec cat <&3`,
      ],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    // A connection left open never keeps the core's process alive.
    (stream as Duplex & { unref?: () => void }).unref?.();
    const conn = new Connection(stream);
    conn.attach(this.docker);
    return conn;
  }
}
