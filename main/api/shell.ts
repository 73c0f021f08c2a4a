/**
 * Desktop extension: the console's interactive shell over a WebSocket.
 *
 * 1. `POST /v2/desktop/apps/<app>/pods/<name>/shell/` (a logged-in user who may use the console: the
 *    app's owner, a collaborator or an administrator; the process must be up) answers 201 with a
 *    ticket: random, good once and for SHELL_TICKET_TTL_MS, bound to that user, app and process.
 * 2. The UI opens `GET /v2/desktop/shell/?ticket=<ticket>` as a WebSocket. The upgrade passes the
 *    same Host and Origin checks as every request (edge.ts: a page on another origin cannot open it),
 *    then the ticket is spent; no token is ever in a URL.
 * 3. The UI sends JSON text messages (keystrokes, resizes; ShellClientMessage, at most
 *    SHELL_FRAME_MAX_BYTES each); the core sends the terminal's bytes as binary messages (at most
 *    SHELL_OUTPUT_BYTES_PER_SECOND) and its own word as JSON text (ShellServerMessage).
 *
 * The shell is killed when the socket closes (the tab went away), after SHELL_IDLE_TIMEOUT_MS
 * without a keystroke, when the core stops, or on a message that breaks the protocol; the socket
 * closes when the shell exits. Shells are counted per user, per app and in all, tickets included.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ShellSession } from '../../cluster/target';
import { ShellClientMessage, type ShellServerMessage, type ShellSize } from '../contract/console';
import { DeisError, unauthenticated } from '../contract/errors';
import {
  SHELL_FRAME_MAX_BYTES,
  SHELL_EARLY_MESSAGES_MAX,
  SHELL_IDLE_TIMEOUT_MS,
  SHELL_OUTPUT_BYTES_PER_SECOND,
  SHELL_SESSIONS_MAX,
  SHELL_SESSIONS_PER_APP,
  SHELL_SESSIONS_PER_USER,
  SHELL_TICKET_TTL_MS,
} from '../contract/limits';
import type { Controller } from '../controller';
import type { Scheduler } from '../controller/scheduler';
import type { UserRow } from '../controller/users';

/** Where the UI opens the shell's WebSocket. */
export const SHELL_SOCKET_PATH = '/v2/desktop/shell/';

/** WebSocket close codes the core uses (4000-4999 are the application's). */
export const SHELL_CLOSE = {
  exited: 1000,
  protocol: 1008,
  tooBig: 1009,
  failed: 4000,
  idle: 4001,
  stopping: 1001,
} as const;

interface Claim {
  user: string;
  app: string;
  pod: string;
}

interface Ticket extends Claim {
  size: ShellSize;
  expires: number;
}

export class ShellGateway {
  private readonly tickets = new Map<string, Ticket>();
  /** Open shells and spent tickets whose shell is still opening. */
  private readonly live = new Set<Claim>();
  private readonly sockets = new Set<WebSocket>();
  private readonly shells = new Set<ShellSession>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: SHELL_FRAME_MAX_BYTES,
    perMessageDeflate: false,
  });

  constructor(
    private readonly c: Controller,
    private readonly s: Scheduler,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** A ticket for `user` to open a shell in `pod` of `app` (checked by the caller), or a 409 past the limits. */
  issue(user: UserRow, app: string, pod: string, size: ShellSize): { ticket: string; expires_in_ms: number } {
    this.sweep();
    const claims = [...this.live, ...this.tickets.values()];
    if (claims.filter((t) => t.user === user.username).length >= SHELL_SESSIONS_PER_USER)
      throw new DeisError(
        'conflict',
        `You already have ${SHELL_SESSIONS_PER_USER} shells open; close one of them first.`,
      );
    if (claims.filter((t) => t.app === app).length >= SHELL_SESSIONS_PER_APP)
      throw new DeisError(
        'conflict',
        `${app} already has ${SHELL_SESSIONS_PER_APP} shells open; close one of them first.`,
      );
    if (claims.length >= SHELL_SESSIONS_MAX)
      throw new DeisError(
        'conflict',
        `Deis Desktop already has ${SHELL_SESSIONS_MAX} shells open; close one of them first.`,
      );
    const ticket = randomBytes(32).toString('base64url');
    this.tickets.set(ticket, {
      user: user.username,
      app,
      pod,
      size,
      expires: Date.now() + SHELL_TICKET_TTL_MS,
    });
    return { ticket, expires_in_ms: SHELL_TICKET_TTL_MS };
  }

  /**
   * Takes an upgrade that passed the edge (Host, Origin): spends its ticket, or answers 401 and
   * closes; then opens the shell behind the socket.
   */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void {
    this.sweep();
    const key = query.get('ticket') ?? '';
    const ticket = this.tickets.get(key);
    this.tickets.delete(key);
    if (!ticket)
      throw unauthenticated(
        'This shell ticket is unknown, used or expired; open the shell again from the console.',
      );
    const user = this.c.users.byName(ticket.user);
    if (!user) throw unauthenticated('The user who asked for this shell no longer exists.');
    // Whoever may use the console now, not only when the ticket was made.
    const app = this.c.apps.access(user, ticket.app, 'POST');
    const claim: Claim = { user: ticket.user, app: ticket.app, pod: ticket.pod };
    // Counted from the handshake on (a malformed one is answered by ws and never counts).
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.live.add(claim);
      this.sockets.add(ws);
      ws.on('close', () => {
        this.sockets.delete(ws);
        this.live.delete(claim);
      });
      void this.serve(ws, () => this.s.shell(app, ticket.pod, ticket.size), ticket);
    });
  }

  /** Kills every shell and closes its socket (the core is stopping). */
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.close(SHELL_CLOSE.stopping, 'Deis Desktop is stopping.');
    await Promise.all([...this.shells].map((s) => s.close()));
    // A client that does not answer the close is not waited for.
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, t] of this.tickets) if (t.expires <= now) this.tickets.delete(key);
  }

  private async serve(ws: WebSocket, open: () => Promise<ShellSession>, ticket: Ticket): Promise<void> {
    const say = (m: ShellServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const end = (code: number, reason: string) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
    };
    let shell: ShellSession | undefined;
    let closed = false;
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        const detail = `The shell was closed after ${SHELL_IDLE_TIMEOUT_MS / 60_000} minutes without input.`;
        say({ type: 'error', detail });
        end(SHELL_CLOSE.idle, detail);
      }, SHELL_IDLE_TIMEOUT_MS);
      idle.unref();
    };
    // Messages that come while the shell opens wait for it (a first keystroke, a resize).
    const early: ShellClientMessage[] = [];
    const apply = (m: ShellClientMessage) => {
      if (!shell) return void early.push(m);
      if (m.type === 'input') shell.write(m.data);
      else void shell.resize({ cols: m.cols, rows: m.rows });
    };
    ws.on('message', (data: RawData, binary: boolean) => {
      if (binary) return end(SHELL_CLOSE.protocol, 'Send keystrokes as JSON text messages.');
      let parsed: ShellClientMessage;
      try {
        parsed = ShellClientMessage.parse(JSON.parse(rawText(data)));
      } catch {
        return end(
          SHELL_CLOSE.protocol,
          'Not a shell message; send {"type":"input","data":"…"} or a resize.',
        );
      }
      if (early.length >= SHELL_EARLY_MESSAGES_MAX)
        return end(SHELL_CLOSE.protocol, 'Too many messages before the shell opened.');
      touch();
      apply(parsed);
    });
    ws.on('close', () => {
      closed = true;
      clearTimeout(idle);
      void shell?.close();
    });
    ws.on('error', () => ws.terminate());
    touch();
    try {
      shell = await open();
    } catch (err) {
      const detail = err instanceof DeisError ? err.message : 'The shell could not be opened.';
      if (!(err instanceof DeisError))
        this.log(`api: shell into ${ticket.app}/${ticket.pod} failed: ${String(err)}`);
      say({ type: 'error', detail });
      return end(SHELL_CLOSE.failed, detail);
    }
    if (closed) return void shell.close();
    const opened = shell;
    this.shells.add(opened);
    ws.on('close', () => this.shells.delete(opened));
    say({ type: 'ready', pod: ticket.pod });
    for (const m of early.splice(0)) apply(m);
    try {
      let windowStart = Date.now();
      let sent = 0;
      for await (const chunk of shell.output) {
        if (closed) break;
        sent += chunk.length;
        if (sent > SHELL_OUTPUT_BYTES_PER_SECOND) {
          // Past the rate, the shell's output waits (and with it the program writing it).
          const wait = windowStart + 1_000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          windowStart = Date.now();
          sent = chunk.length;
        }
        // Waits until the chunk is on its way: a slow client holds the shell back, not the core's memory.
        await new Promise<void>((resolve) => ws.send(chunk, { binary: true }, () => resolve()));
      }
    } catch {
      // The stream broke (the engine went away): the socket closes below.
    }
    if (closed) return;
    const code = await shell.exitCode();
    say({ type: 'exit', exit_code: code });
    end(SHELL_CLOSE.exited, 'The shell exited.');
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
