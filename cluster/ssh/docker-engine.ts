/**
 * A Docker engine on another host, reached as `docker -H ssh://user@host[:port]` reaches it: each HTTP
 * connection of the Docker API is a `docker system dial-stdio` run on the host over SSH (which speaks
 * to whatever engine the docker CLI there uses). Unlike docker-modem's own ssh mode, the host key is
 * checked (connect.ts). Connections are kept alive and reused, so a deploy's many small requests do
 * not start a dial-stdio each.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { ClientChannel } from 'ssh2';
import { SSH_DIAL_STDERR_MAX_BYTES, SSH_DOCKER_IDLE_STREAMS } from '../../main/contract/limits';
import { parseSshUrl, showAddress, type SshAddress } from './address';
import type { SshOptions } from './connect';
import { SshError } from './errors';
import { SshSessions } from './sessions';

/** The command `docker -H ssh://` runs on the host (docker/cli's connhelper). */
export const DIAL_STDIO = 'docker system dial-stdio';

/** What the HTTP client calls on a socket that a channel does not have (timeouts, keep-alive, ref). */
function socketLike(channel: ClientChannel): Duplex {
  const s = channel as unknown as Record<string, unknown>;
  for (const name of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref'])
    if (typeof s[name] !== 'function') s[name] = () => channel;
  return channel;
}

/**
 * When the SSH connection drops (the host went away), ssh2 closes its channels without ending their
 * writable side: the agent would keep such a channel as a free socket (it drops only one that is no
 * longer writable), and the next request would be written into the dead connection and wait for ever.
 * Marked destroyed before the agent hears the close (this listener comes first), it is dropped, and the
 * next request opens a new channel, which fails saying why.
 */
function markDestroyedOnClose(channel: ClientChannel): void {
  channel.once('close', () => {
    (channel as unknown as { destroyed: boolean }).destroyed = true;
  });
}

/** An http.Agent whose connections are dial-stdio channels on the host. */
class DialStdioAgent extends http.Agent {
  constructor(
    private readonly sessions: SshSessions,
    private readonly failure: (err: SshError) => Error,
  ) {
    super({ keepAlive: true, maxFreeSockets: SSH_DOCKER_IDLE_STREAMS });
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    this.sessions.exec(DIAL_STDIO).then(
      (channel) => {
        watchStderr(channel, this.sessions.address, this.failure);
        markDestroyedOnClose(channel);
        callback?.(null, socketLike(channel));
      },
      (err: Error) => callback?.(err instanceof SshError ? this.failure(err) : err, undefined as never),
    );
    return undefined;
  }
}

/**
 * A dial-stdio that ends before speaking (no docker command there, no permission on its socket)
 * says why on stderr: the HTTP request fails with that, not with "socket hang up".
 *
 * The host may send the channel's EOF before the command's exit status (OpenSSH sends them as the
 * pipe and the child's exit are noticed, in either order): the HTTP client would hear the end first
 * and fail with "socket hang up". The end of a channel that has not spoken is held until the exit
 * status (or the close) has come.
 */
function watchStderr(channel: ClientChannel, address: SshAddress, failure: (err: SshError) => Error): void {
  let stderr = '';
  let spoke = false;
  let settled = false;
  let endHeld = false;
  const push = channel.push.bind(channel);
  channel.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null && !spoke && !settled) {
      endHeld = true;
      return false;
    }
    return push(chunk, encoding);
  };
  const release = () => {
    settled = true;
    if (endHeld) push(null);
  };
  channel.once('close', release);
  channel.once('data', () => (spoke = true));
  channel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < SSH_DIAL_STDERR_MAX_BYTES)
      stderr += chunk.toString('utf8').slice(0, SSH_DIAL_STDERR_MAX_BYTES - stderr.length);
  });
  channel.once('exit', (code: number | null) => {
    if (spoke || code === 0) return release();
    settled = true;
    const said = stderr.trim().split('\n').slice(-2).join(' ');
    const message =
      code === 127
        ? `${showAddress(address)} has no docker command (${said || 'command not found'}); install the Docker CLI there, as docker -H ssh:// needs it too.`
        : `The Docker engine on ${showAddress(address)} cannot be reached through \`${DIAL_STDIO}\`: ${said || `it exited with ${code}`}.`;
    // ssh2's destroy() takes no error: the HTTP client hears it as the socket's error, then the close.
    channel.emit('error', failure(new SshError('no_docker', message)));
    channel.close();
  });
}

export interface SshDockerEngine {
  docker: Docker;
  address: SshAddress;
  /** More connections to the host: the router's forwarded ports use them. */
  sessions: SshSessions;
  close(): void;
}

/**
 * A Docker client for the engine at `url` (`ssh://user@host[:port]`), for a DockerTarget or for the
 * core's DOCKER_HOST. Nothing is connected yet: the first request connects (and may fail with an
 * SshError: an unknown host key, a refused login, no docker there).
 */
export function dockerOverSsh(
  url: string,
  options: SshOptions = {},
  /**
   * What a request that could not reach the host fails with (default: the SshError itself). A target
   * makes it its own "unavailable", so a host that went away after it was connected is a 503 with
   * the reason, as one that was away from the start is.
   */
  failure: (err: SshError) => Error = (err) => err,
): SshDockerEngine {
  const address = parseSshUrl(url, 'The Docker host');
  const sessions = new SshSessions(address, options);
  const agent = new DialStdioAgent(sessions, failure);
  const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
  // The host name is only the Host header: dial-stdio connects to the engine whatever it says.
  const docker = new DockerClient({
    protocol: 'http',
    host: 'docker',
    port: 80,
    agent,
  } as Docker.DockerOptions);
  return {
    docker,
    address,
    sessions,
    close: () => {
      agent.destroy();
      sessions.close();
    },
  };
}
