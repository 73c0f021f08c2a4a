/**
 * SSH connections to one host, shared: channels are opened on a connection that has room (sshd
 * allows MaxSessions session channels per connection, 10 by default), and a new connection is made
 * when none has, up to SSH_CONNECTIONS_PER_HOST. A connection that drops is forgotten; the next
 * channel makes a new one, checking the host key again. Idle connections do not keep Node running.
 */
import type { Client, ClientChannel } from 'ssh2';
import { SSH_CONNECTIONS_PER_HOST, SSH_SESSIONS_PER_CONNECTION } from '../../main/contract/limits';
import { showAddress, type SshAddress } from './address';
import { connectSsh, type SshOptions } from './connect';
import { SshError } from './errors';

interface Held {
  client: Promise<Client>;
  /** Channels open on it now. */
  open: number;
  /** How many this server allows (lowered when it refused one). */
  room: number;
  /** No new channel goes on it: it failed, ended or was closed. Still counted until its socket closes. */
  closed: boolean;
}

export class SshSessions {
  private readonly held: Held[] = [];

  constructor(
    readonly address: SshAddress,
    private readonly options: SshOptions,
  ) {}

  /**
   * The connections to the host that are up, being made, or still closing. One that dropped counts
   * until its socket has closed: ssh2 ends the connection's channels only then (after 'end' it still
   * has them), so at 0 every channel of a dropped connection has heard that it is gone.
   */
  get connections(): number {
    return this.held.length;
  }

  /** Runs `command` on the host; the channel's stdout/stdin are the stream, its stderr is `channel.stderr`. */
  exec(command: string): Promise<ClientChannel> {
    return this.channel(true, (client, done) => client.exec(command, done));
  }

  /** A TCP connection from the host to host:port (`direct-tcpip`, as `ssh -L` makes). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return this.channel(false, (client, done) => client.forwardOut('127.0.0.1', 0, host, port, done));
  }

  private async channel(
    session: boolean,
    open: (client: Client, done: (err: Error | undefined, channel: ClientChannel) => void) => void,
  ): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      // Counted from the moment it is picked, so callers at the same time spread over connections.
      const held = this.pick(session);
      held.open++;
      let client: Client;
      try {
        client = await held.client;
      } catch (err) {
        held.open--;
        this.forget(held);
        throw err;
      }
      this.refresh(held, client);
      try {
        const channel = await new Promise<ClientChannel>((resolve, reject) =>
          open(client, (err, ch) => (err ? reject(err) : resolve(ch))),
        );
        channel.once('close', () => {
          held.open--;
          this.refresh(held, client);
        });
        return channel;
      } catch (err) {
        held.open--;
        this.refresh(held, client);
        // The server allows fewer sessions than we thought: this connection is full, try another.
        if (session && /open failure/i.test((err as Error).message) && attempt < 3 && held.open > 0) {
          held.room = held.open;
          continue;
        }
        throw new SshError(
          'forward_refused',
          `${showAddress(this.address)} refused a channel: ${(err as Error).message}.`,
        );
      }
    }
  }

  /** A connection with room for one more channel, made when none has. */
  private pick(session: boolean): Held {
    const live = this.held.filter((h) => !h.closed);
    // Forwarded connections are not sessions: MaxSessions does not count them.
    const roomy = live.find((h) => !session || h.open < h.room);
    if (roomy) return roomy;
    if (live.length >= SSH_CONNECTIONS_PER_HOST)
      throw new SshError(
        'too_many_streams',
        `More than ${SSH_CONNECTIONS_PER_HOST * SSH_SESSIONS_PER_CONNECTION} streams to ${showAddress(this.address)} are open at once; stop some apps' processes or wait.`,
      );
    const held: Held = {
      client: connectSsh(this.address, this.options),
      open: 0,
      room: SSH_SESSIONS_PER_CONNECTION,
      closed: false,
    };
    this.held.push(held);
    held.client.then(
      (client) => {
        client.once('end', () => (held.closed = true));
        client.once('close', () => this.forget(held));
      },
      () => this.forget(held),
    );
    return held;
  }

  private forget(held: Held): void {
    held.closed = true;
    const at = this.held.indexOf(held);
    if (at >= 0) this.held.splice(at, 1);
  }

  /** A connection with no open channel does not hold the process open. */
  private refresh(held: Held, client: Client): void {
    const sock = (client as unknown as { _sock?: { ref?(): void; unref?(): void } })._sock;
    if (held.open > 0) sock?.ref?.();
    else sock?.unref?.();
  }

  /** Closes every connection (their channels with them). */
  close(): void {
    for (const held of this.held.splice(0)) {
      held.closed = true;
      held.client.then(
        (c) => c.end(),
        () => undefined,
      );
    }
  }
}
