/**
 * The builder's SSH server: public-key logins only, and per session exactly one of `git-receive-pack`,
 * `git-upload-pack` (for an app the user may use) or `ping`. Shells, ptys and other commands are refused.
 */
import ssh2 from 'ssh2';
import type { Connection, ServerChannel, Session } from 'ssh2';
import { authenticate } from './auth';
import { parseExecCommand } from './command';
import { refuseGit, type GitRequest } from './git-session';
import type { Authorize, LookupKey } from './types';

const { Server } = ssh2;

export interface SshdOptions {
  hostKey: string;
  lookupKey: LookupKey;
  authorize: Authorize;
  log: (line: string) => void;
  /** Runs an authorized git request; resolves when it has fully ended. */
  serveGit: (channel: ServerChannel, request: GitRequest) => Promise<void>;
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

export function createSshServer(options: SshdOptions): { server: ssh2.Server; connections: Set<Connection> } {
  const { log } = options;
  const connections = new Set<Connection>();
  const server = new Server({ hostKeys: [options.hostKey] }, (client) => {
    connections.add(client);
    let user: string | undefined;
    client.on('authentication', (ctx) => {
      void authenticate(ctx, options.lookupKey, log, (username) => (user = username));
    });
    client.on('ready', () => {
      client.on('session', (accept) => handleSession(accept(), () => user!, options));
    });
    client.on('error', (err: NodeJS.ErrnoException) => {
      // A client that simply went away is not worth a log line.
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') log(`builder: ssh connection: ${err.message}`);
    });
    client.on('close', () => connections.delete(client));
  });
  return { server, connections };
}

function handleSession(session: Session, user: () => string, options: SshdOptions): void {
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
    else void runCommand(channel, info.command, user(), gitProtocol, options);
  });
}

async function runCommand(
  channel: ServerChannel,
  command: string,
  user: string,
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
  let verdict: Awaited<ReturnType<Authorize>>;
  try {
    verdict = await options.authorize(user, app);
  } catch (err) {
    options.log(`builder: authorize ${user} on ${app}: ${err instanceof Error ? err.message : String(err)}`);
    refuseGit(channel, 'The builder could not check your permissions; the Deis Desktop log has the details.');
    return;
  }
  if (verdict === 'no-app') {
    refuseGit(channel, `App "${app}" does not exist. Create it with: deis apps:create ${app}`);
    return;
  }
  if (verdict === 'forbidden') {
    const action = service === 'git-receive-pack' ? 'push to' : 'fetch from';
    refuseGit(channel, `You do not have permission to ${action} ${app}.`);
    return;
  }
  await options.serveGit(channel, { service, app, user, gitProtocol });
}
