/**
 * The router of a Docker engine on another host publishes its ports on that host's 127.0.0.1 only
 * (as on this machine: nothing is opened to the host's network). Two ports here forward to them over
 * the same SSH connections, so apps answer at http://<app>.<domain>:<DEIS_ROUTER_PORT> on this
 * machine exactly as on the local engine. When the remote ports change (the router was recreated),
 * the forwards follow and the local ports stay.
 */
import { TargetError } from '../target';
import type { SshAddress } from './address';
import { LocalForward } from './forward';
import type { SshSessions } from './sessions';

export interface RemoteDocker {
  address: SshAddress;
  sessions: SshSessions;
}

export class RemoteRouterPorts {
  private http: LocalForward | undefined;
  private tls: LocalForward | undefined;

  constructor(
    private readonly remote: RemoteDocker,
    private readonly httpPort: number,
    private readonly tlsPort: number,
    private readonly tlsFlexible = false,
  ) {}

  async publish(remote: { http: number; tls: number }): Promise<{ http: number; tls: number }> {
    this.http = await this.forward(this.http, remote.http, this.httpPort, 'DEIS_ROUTER_PORT', false);
    this.tls = await this.forward(
      this.tls,
      remote.tls,
      this.tlsPort,
      'DEIS_ROUTER_TLS_PORT',
      this.tlsFlexible,
    );
    return { http: this.http.port, tls: this.tls.port };
  }

  private async forward(
    current: LocalForward | undefined,
    remotePort: number,
    localPort: number,
    setting: string,
    flexible: boolean,
  ): Promise<LocalForward> {
    const destination = { host: '127.0.0.1', port: remotePort };
    if (current) {
      current.destination = destination;
      return current;
    }
    const forward = new LocalForward(this.remote.sessions, destination);
    try {
      await forward.listen(localPort);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (!flexible)
        throw new TargetError(
          'setup',
          `Port ${localPort} is in use by another program; set ${setting} to a free port.`,
        );
      await forward.listen(0);
    }
    return forward;
  }

  async close(): Promise<void> {
    await this.http?.close();
    await this.tls?.close();
    this.http = this.tls = undefined;
  }
}
