/**
 * A port on 127.0.0.1 of this machine whose connections are carried over SSH to host:port as the
 * remote side sees it (`ssh -L`): how the core reaches a cluster's API server behind a bastion, and
 * the router of a Docker host. The destination can be moved (the remote router got another port)
 * while the local port stays. Connections are bounded; a refused channel closes its connection.
 */
import net from 'node:net';
import { SSH_FORWARD_MAX_CONNECTIONS } from '../../main/contract/limits';
import type { SshSessions } from './sessions';

export interface Destination {
  host: string;
  port: number;
}

export class LocalForward {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** The last refusal, for a caller that wants to say why connections close. */
  lastError: Error | undefined;

  constructor(
    private readonly sessions: SshSessions,
    public destination: Destination,
    /** Close the SSH connections too when this forward closes (they are its own). */
    private readonly ownsSessions = false,
  ) {}

  /** Listens on 127.0.0.1:`port` (0: any free port) and resolves with the port. */
  async listen(port = 0): Promise<number> {
    const server = net.createServer((socket) => this.carry(socket));
    server.maxConnections = SSH_FORWARD_MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    // It serves only while something else keeps the process alive (the core's API, a test).
    server.unref();
    this.server = server;
    return (server.address() as net.AddressInfo).port;
  }

  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  private carry(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pause();
    const { host, port } = this.destination;
    this.sessions.forwardOut(host, port).then(
      (channel) => {
        if (socket.destroyed) return channel.close();
        channel.on('error', () => socket.destroy());
        socket.once('close', () => channel.close());
        channel.once('close', () => socket.destroy());
        socket.pipe(channel).pipe(socket);
        socket.resume();
      },
      (err: Error) => {
        this.lastError = err;
        socket.destroy();
      },
    );
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (this.ownsSessions) this.sessions.close();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
