/**
 * The core's way to the router pod's status port (127.0.0.1 inside the pod: neither apps nor any
 * other program on the cluster's network reach it): a port-forward through the API server, over one
 * websocket kept open, carrying a keep-alive HTTP/1.1 connection (the same one the Docker target
 * runs through an exec). A route switch costs one request on it, no new connection. Requests go one
 * at a time; a failed one is tried once more on a fresh port-forward (every request replaces a whole
 * table or only reads, so a repeat is harmless). The connection is dropped after a while unused,
 * before nginx would close it from its side.
 */
import { Duplex, PassThrough, Writable } from 'node:stream';
import type { Kube } from '../client';
import { Connection, type StatusReply } from '../../docker/router/status-tunnel';
import { KUBE_ROUTER_STATUS_IDLE_MS, KUBE_ROUTER_STATUS_REQUEST_MS } from '../../../main/contract/limits';

interface Closable {
  close(): void;
  on(event: 'close', listener: () => void): unknown;
  _socket?: { unref?: () => void };
}

export class StatusChannel {
  private connection: Promise<Connection> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    readonly pod: string,
    private readonly port: number,
  ) {}

  /** One request after the ones before it; rejects (with a reason) when even a fresh connection fails. */
  request(
    method: 'GET' | 'PUT',
    path: string,
    body?: Buffer,
    timeoutMs = KUBE_ROUTER_STATUS_REQUEST_MS,
  ): Promise<StatusReply> {
    const run = this.queue.then(async () => {
      try {
        return await this.once(method, path, body, timeoutMs);
      } catch {
        this.drop();
        return await this.once(method, path, body, timeoutMs);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drops the connection for good. */
  close(): void {
    this.closed = true;
    this.drop();
  }

  private drop(): void {
    const c = this.connection;
    this.connection = undefined;
    void c?.then((conn) => conn.destroy()).catch(() => undefined);
  }

  private async once(method: string, path: string, body: Buffer | undefined, timeoutMs: number) {
    if (this.closed) throw new Error('the status connection was closed');
    clearTimeout(this.idle);
    let conn = await (this.connection ??= this.open(timeoutMs));
    if (conn.closed) {
      this.connection = undefined;
      conn = await (this.connection = this.open(timeoutMs));
    }
    try {
      return await conn.send(method, path, body, timeoutMs);
    } finally {
      if (conn.closed) this.connection = undefined;
      this.idle = setTimeout(() => this.drop(), KUBE_ROUTER_STATUS_IDLE_MS);
      this.idle.unref();
    }
  }

  private async open(timeoutMs: number): Promise<Connection> {
    const pending = this.connect();
    // A connect that never completes (an API server that hangs) is given up; the socket, if it comes,
    // is closed.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the port-forward to ${this.pod} did not open in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      void pending.then((c) => c.destroy()).catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async connect(): Promise<Connection> {
    const input = new PassThrough();
    const held: { socket?: Closable } = {};
    const stream = new Duplex({
      write(chunk: Buffer, _encoding, callback) {
        input.write(chunk);
        callback();
      },
      read() {},
      destroy(err, callback) {
        input.end();
        held.socket?.close();
        callback(err);
      },
    });
    // Until the connection listens, an error (the kubelet's sentence below) must not go unheard.
    stream.on('error', () => undefined);
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!stream.destroyed) stream.push(chunk);
        callback();
      },
    });
    // The error channel carries a sentence when the kubelet cannot reach the port.
    const errors = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (chunk.length > 0 && !stream.destroyed)
          stream.destroy(new Error(chunk.toString('utf8', 0, 512).trim()));
        callback();
      },
    });
    const forward = new this.kube.lib.PortForward(this.kube.config, true);
    const socket = (await forward.portForward(
      this.namespace,
      this.pod,
      [this.port],
      output,
      errors,
      input,
    )) as unknown as Closable;
    held.socket = socket;
    if (stream.destroyed) {
      socket.close();
      throw new Error(`the port-forward to ${this.pod} failed as it opened`);
    }
    socket.on('close', () => stream.destroy());
    // A connection left open never keeps the core's process alive (ws keeps its socket here).
    socket._socket?.unref?.();
    const conn = new Connection(stream);
    conn.attachRaw();
    return conn;
  }
}
