/**
 * The builder's SSH server: public-key logins only, and per session exactly one of `git-receive-pack`,
 * `git-upload-pack` (for an app the user may use) or `ping`. Shells, ptys and other commands are refused.
 *
 * Connections are counted from the moment TCP accepts them, before SSH says anything (ssh2 only sees a
 * client once it has sent its version line, so a silent socket would otherwise live for ever): like
 * OpenSSH's LoginGraceTime and MaxStartups, a connection not logged in within the grace time is closed,
 * and beyond a cap of such connections new ones are closed at once; a total cap bounds everything,
 * and a logged-in connection with no git command running is closed when idle.
 */
import net from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, Session } from 'ssh2';
import {
  BUILDER_IDLE_SECONDS,
  BUILDER_KEEPALIVE_SECONDS,
  BUILDER_LOGIN_GRACE_SECONDS,
  BUILDER_MAX_AUTH_ATTEMPTS,
  BUILDER_MAX_CONNECTIONS,
  BUILDER_MAX_UNAUTHENTICATED,
} from '../contract/limits';
import { authenticate } from './auth';
import { parseExecCommand } from './command';
import { refuseGit, type GitRequest } from './git-session';
import type { Authorize, LookupKey, Verdict } from './types';

const { Server } = ssh2;

export interface SshLimits {
  loginGraceMs: number;
  maxUnauthenticated: number;
  maxConnections: number;
  idleMs: number;
  maxAuthAttempts: number;
  keepaliveMs: number;
}

export const SSH_LIMITS: SshLimits = {
  loginGraceMs: BUILDER_LOGIN_GRACE_SECONDS * 1000,
  maxUnauthenticated: BUILDER_MAX_UNAUTHENTICATED,
  maxConnections: BUILDER_MAX_CONNECTIONS,
  idleMs: BUILDER_IDLE_SECONDS * 1000,
  maxAuthAttempts: BUILDER_MAX_AUTH_ATTEMPTS,
  keepaliveMs: BUILDER_KEEPALIVE_SECONDS * 1000,
};

export interface SshdOptions {
  hostKey: string;
  lookupKey: LookupKey;
  authorize: Authorize;
  log: (line: string) => void;
  /** Runs an authorized git request; resolves when it has fully ended. */
  serveGit: (channel: ServerChannel, request: GitRequest) => Promise<void>;
  /** The limits above; tests shorten the times. */
  limits?: Partial<SshLimits>;
}

export interface SshServer {
  /** The listening socket: TCP connections are accounted here, then handed to ssh2. */
  server: net.Server;
  /** Ends every connection, logged in or not. */
  closeAll(): void;
  /** Connections open right now, and how many of them are not logged in. */
  counts(): { open: number; unauthenticated: number };
}

const USAGE = 'Push with git (git push deis main); fetch and clone also work.';

/** Refuses a non-git request: a message on stderr and a non-zero exit status. */
function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(`${message}\n`);
  channel.exit(1);
  channel.end();
}

// GIT_PROTOCOL is the only variable a client may set: it lets git fetch speak protocol v2.
const GIT_PROTOCOL = /^[a-z0-9=:.]+$/i;

/** One accepted TCP connection and what it has done so far. */
interface Tracked {
  socket: net.Socket;
  authenticated: boolean;
  sessions: number;
  timer: NodeJS.Timeout | undefined;
}

const KEEPALIVE_COUNT_MAX = 4;
const REFUSAL_LOG_EVERY_MS = 60_000;

export function createSshServer(options: SshdOptions): SshServer {
  const { log } = options;
  const limits = { ...SSH_LIMITS, ...options.limits };
  // ssh2 learns a connection's remote port from its socket; that is how its client finds our record.
  const tracked = new Map<string, Tracked>();
  let unauthenticated = 0;
  const clients = new Set<Connection>();

  let refused = 0;
  let lastRefusalLog = 0;
  const noteRefusal = (why: string) => {
    refused++;
    const now = Date.now();
    if (now - lastRefusalLog < REFUSAL_LOG_EVERY_MS) return;
    lastRefusalLog = now;
    log(`builder: refused ${refused} SSH connection(s): ${why}`);
    refused = 0;
  };

  const arm = (t: Tracked, ms: number, onExpiry: () => void) => {
    clearTimeout(t.timer);
    t.timer = setTimeout(onExpiry, ms);
    t.timer.unref();
  };

  const ssh = new Server(
    {
      hostKeys: [options.hostKey],
      keepaliveInterval: limits.keepaliveMs,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    },
    (client, info) => {
      const t = tracked.get(`${info.ip}:${info.port}`);
      if (!t) {
        client.end();
        return;
      }
      clients.add(client);
      let holders: string[] = [];
      // Like OpenSSH's MaxAuthTries: failed attempts count (a key the server does not know, a bad
      // signature), not the client's first "none" or the key that works.
      let failures = 0;
      client.on('authentication', (ctx) => {
        if (failures >= limits.maxAuthAttempts) {
          ctx.reject([]);
          client.end();
          return;
        }
        const reject = ctx.reject.bind(ctx);
        ctx.reject = (...args: Parameters<typeof reject>) => {
          if (ctx.method !== 'none') failures++;
          reject(...args);
        };
        void authenticate(ctx, options.lookupKey, log, (found) => (holders = found));
      });
      client.on('ready', () => {
        t.authenticated = true;
        unauthenticated--;
        const idle = () => arm(t, limits.idleMs, () => client.end());
        idle();
        client.on('session', (accept) => {
          const session = accept();
          t.sessions++;
          clearTimeout(t.timer);
          session.once('close', () => {
            if (--t.sessions === 0 && !t.socket.destroyed) idle();
          });
          handleSession(session, () => holders, options);
        });
      });
      client.on('error', (err: NodeJS.ErrnoException) => {
        // A client that simply went away, or was closed by a limit, is not worth a log line.
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET' && !t.socket.destroyed)
          log(`builder: ssh connection: ${err.message}`);
      });
      client.on('close', () => clients.delete(client));
    },
  );

  const server = net.createServer((socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    if (socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    if (tracked.size >= limits.maxConnections) {
      socket.destroy();
      noteRefusal(`${limits.maxConnections} connections were open (the limit)`);
      return;
    }
    if (unauthenticated >= limits.maxUnauthenticated) {
      socket.destroy();
      noteRefusal(`${limits.maxUnauthenticated} connections were not logged in yet (the limit)`);
      return;
    }
    const t: Tracked = { socket, authenticated: false, sessions: 0, timer: undefined };
    tracked.set(key, t);
    unauthenticated++;
    arm(t, limits.loginGraceMs, () => socket.destroy());
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(t.timer);
      if (!t.authenticated) unauthenticated--;
      tracked.delete(key);
    });
    ssh.injectSocket(socket);
  });

  return {
    server,
    closeAll: () => {
      for (const client of clients) client.end();
      for (const t of tracked.values()) if (!t.authenticated) t.socket.destroy();
    },
    counts: () => ({ open: tracked.size, unauthenticated }),
  };
}

function handleSession(session: Session, holders: () => string[], options: SshdOptions): void {
  let gitProtocol: string | undefined;
  // A refused pty makes `ssh -t` quit with only "PTY allocation request failed"; agreeing (we never
  // allocate one) lets the shell or command that follows be refused with a message that says why.
  let pty = false;
  session.on('env', (accept, reject, info) => {
    if (info.key === 'GIT_PROTOCOL' && GIT_PROTOCOL.test(info.val)) {
      gitProtocol = info.val;
      accept?.();
    } else reject?.();
  });
  session.on('pty', (accept) => {
    pty = true;
    accept?.();
  });
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('sftp', (_accept, reject) => reject?.());
  session.on('shell', (accept) => {
    refuse(accept(), `Deis Desktop's builder does not offer a shell. ${USAGE}`);
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    if (pty) refuse(channel, `Deis Desktop's builder does not offer a terminal. ${USAGE}`);
    else void runCommand(channel, info.command, holders(), gitProtocol, options);
  });
}

async function runCommand(
  channel: ServerChannel,
  command: string,
  holders: string[],
  gitProtocol: string | undefined,
  options: SshdOptions,
): Promise<void> {
  const parsed = parseExecCommand(command);
  switch (parsed.kind) {
    case 'ping':
      channel.write('pong\n');
      channel.exit(0);
      channel.end();
      return;
    case 'unknown':
      refuse(channel, `Deis Desktop's builder cannot run "${parsed.command}". ${USAGE}`);
      return;
    case 'bad-repo':
      refuseGit(channel, `"${parsed.path}" is not an app repository; use <app>.git with a valid app name.`);
      return;
  }
  const { service, app } = parsed;
  let verdict: Verdict;
  try {
    verdict = await options.authorize(holders, app);
  } catch (err) {
    options.log(
      `builder: authorize ${holders.join(', ')} on ${app}: ${err instanceof Error ? err.message : String(err)}`,
    );
    refuseGit(channel, 'The builder could not check your permissions; the Deis Desktop log has the details.');
    return;
  }
  if (verdict.kind === 'no-app') {
    refuseGit(channel, `App "${app}" does not exist. Create it with: deis apps:create ${app}`);
    return;
  }
  if (verdict.kind === 'forbidden') {
    const action = service === 'git-receive-pack' ? 'push to' : 'fetch from';
    refuseGit(channel, `You do not have permission to ${action} ${app}.`);
    return;
  }
  await options.serveGit(channel, {
    service,
    app,
    appUuid: verdict.appUuid,
    user: verdict.user,
    gitProtocol,
  });
}
