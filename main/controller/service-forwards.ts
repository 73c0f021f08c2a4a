/**
 * Local port forwards to backing services (`deis services:connect`): the core listens on 127.0.0.1
 * and carries each connection to the service through the target (on Docker, an exec in the
 * service's own container), so nothing new is published on the host's network and the engine may be
 * remote. A forward lives as long as its CLI renews it; Ctrl-C closes it, and a killed CLI's forward
 * closes at the end of its lease.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { badRequest, conflict, forbidden, notFoundDetail } from '../contract/errors';
import {
  SERVICE_FORWARD_CONNECTIONS_MAX,
  SERVICE_FORWARD_LEASE_MS,
  SERVICE_FORWARDS_PER_USER,
} from '../contract/limits';
import { TargetError } from '../../cluster/target';
import type { Services } from './services';
import type { UserRow } from './users';

interface Forward {
  id: string;
  service: string;
  owner: number;
  server: net.Server;
  sockets: Set<net.Socket>;
  lease: NodeJS.Timeout;
}

export interface ForwardOpened {
  id: string;
  service: string;
  port: number;
  /** The service's URL through the forward (it holds the service's password: shown to its owner only). */
  url: string;
  /** Renew within this many milliseconds, or the forward closes. */
  lease_ms: number;
}

export class ServiceForwards {
  private readonly forwards = new Map<string, Forward>();

  constructor(private readonly services: Services) {}

  async open(user: UserRow, name: string, port: number | undefined): Promise<ForwardOpened> {
    if (port !== undefined && (!Number.isInteger(port) || port < 1024 || port > 65535))
      throw badRequest('The local port must be a whole number from 1024 to 65535.');
    const target = this.services.forwardable(user, name);
    // One connection first: a target that cannot carry them (Kubernetes, for now) says so here.
    try {
      const probe = await target.dial();
      // Destroying a stream that is still open reports an AbortError: expected, not a failure.
      probe.on('error', () => undefined);
      probe.destroy();
    } catch (err) {
      if (err instanceof TargetError) throw badRequest(err.message);
      throw err;
    }
    const mine = [...this.forwards.values()].filter((f) => f.owner === user.id);
    if (mine.length >= SERVICE_FORWARDS_PER_USER)
      throw conflict(
        `You have ${SERVICE_FORWARDS_PER_USER} forwards open, the most one user may; stop one (Ctrl-C in its terminal) first.`,
      );
    const sockets = new Set<net.Socket>();
    const server = net.createServer((local) => {
      if (sockets.size >= SERVICE_FORWARD_CONNECTIONS_MAX) {
        local.destroy();
        return;
      }
      sockets.add(local);
      local.on('close', () => sockets.delete(local));
      local.pause();
      target.dial().then(
        (remote) => {
          remote.on('error', () => local.destroy());
          if (local.destroyed) return void remote.destroy();
          local.pipe(remote);
          remote.pipe(local);
          local.on('close', () => remote.destroy());
          remote.on('close', () => local.destroy());
          local.on('error', () => remote.destroy());
          local.resume();
        },
        () => local.destroy(),
      );
    });
    server.maxConnections = SERVICE_FORWARD_CONNECTIONS_MAX;
    const bound = await new Promise<number>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? conflict(`Port ${port} is in use on this machine; choose another with --port.`)
            : err,
        ),
      );
      server.listen(port ?? 0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    server.unref();
    const id = randomUUID();
    const forward: Forward = {
      id,
      service: target.name,
      owner: user.id,
      server,
      sockets,
      lease: this.leaseTimer(id),
    };
    this.forwards.set(id, forward);
    return {
      id,
      service: target.name,
      port: bound,
      url: target.url(bound),
      lease_ms: SERVICE_FORWARD_LEASE_MS,
    };
  }

  private leaseTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.closeNow(id), SERVICE_FORWARD_LEASE_MS);
    timer.unref();
    return timer;
  }

  private find(user: UserRow, id: string): Forward {
    const f = this.forwards.get(id);
    if (!f) throw notFoundDetail('This forward is closed; run deis services:connect again.');
    if (f.owner !== user.id && user.is_superuser !== 1) throw forbidden();
    return f;
  }

  renew(user: UserRow, id: string): void {
    const f = this.find(user, id);
    clearTimeout(f.lease);
    f.lease = this.leaseTimer(id);
  }

  close(user: UserRow, id: string): void {
    this.find(user, id);
    this.closeNow(id);
  }

  private closeNow(id: string): void {
    const f = this.forwards.get(id);
    if (!f) return;
    this.forwards.delete(id);
    clearTimeout(f.lease);
    f.server.close();
    for (const s of f.sockets) s.destroy();
  }

  /** Closes every forward (the core is stopping). */
  closeAll(): void {
    for (const id of [...this.forwards.keys()]) this.closeNow(id);
  }
}
