/**
 * The hook bridge: a TCP listener on 127.0.0.1 that pre-receive hooks call back into. Each push
 * registers a one-time token, handed to its git-receive-pack (and so its hook) in the environment;
 * the token, not anything the hook says, decides which app and user the call is for. TCP rather than
 * a Unix socket works the same on Windows and has no socket-path length limit.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { BUILD_OUTPUT_MAX_BUFFERED } from '../contract/limits';
import { capLine } from '../controller/tasks';
import type { HookCall } from './prereceive';
import type { BuildOutput, BuildResult } from './types';

export type HookHandler = (call: HookCall, output: BuildOutput, signal: AbortSignal) => Promise<BuildResult>;

interface Registration {
  handler: HookHandler;
  /** The push's own signal: when it aborts, the hook's connection is cut and its build aborted. */
  signal: AbortSignal;
}

const MAX_REQUEST = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

function parseCall(line: string): (HookCall & { token: string; plain: boolean }) | undefined {
  try {
    const v = JSON.parse(line) as { token?: unknown; refs?: unknown; env?: unknown; plain?: unknown };
    if (typeof v.token !== 'string' || typeof v.refs !== 'string') return undefined;
    const env: Record<string, string> = {};
    if (v.env && typeof v.env === 'object')
      for (const [k, val] of Object.entries(v.env)) if (typeof val === 'string') env[k] = val;
    return { token: v.token, refs: v.refs, env, plain: v.plain === true };
  } catch {
    return undefined;
  }
}

/**
 * An answer for the bash hook, which reads lines and not JSON: each line of text is a space and the
 * line (so no text, whatever it holds, reads as the end), the end is `D0` (accepted) or `D1`.
 */
function plainText(message: { line: string } | { done: true; ok: boolean }): string {
  if ('done' in message) return message.ok ? 'D0\n' : 'D1\n';
  return message.line
    .split('\n')
    .map((l) => ` ${l}\n`)
    .join('');
}

export class HookBridge {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly registrations = new Map<string, Registration>();
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly log: (line: string) => void) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** A token the push's hook presents once; it is forgotten when used or when the push ends. */
  register(handler: HookHandler, signal: AbortSignal): string {
    const token = randomBytes(32).toString('hex');
    this.registrations.set(token, { handler, signal });
    return token;
  }

  unregister(token: string): void {
    this.registrations.delete(token);
  }

  async close(): Promise<void> {
    this.registrations.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('utf8');
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    // Only each new chunk is searched for the newline, so a long request costs one pass.
    const chunks: string[] = [];
    let length = 0;
    const onData = (chunk: string) => {
      const end = chunk.indexOf('\n');
      if (end < 0) {
        chunks.push(chunk);
        length += chunk.length;
        if (length > MAX_REQUEST) socket.destroy();
        return;
      }
      chunks.push(chunk.slice(0, end));
      socket.off('data', onData);
      socket.setTimeout(0);
      void this.serve(socket, chunks.join(''));
    };
    socket.on('data', onData);
  }

  private async serve(socket: net.Socket, line: string): Promise<void> {
    // Messages of one turn of the event loop go out as one write: a build printing thousands of lines
    // at once costs one system call per burst, not one per line.
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pending.length && !socket.destroyed) socket.write(pending.join(''));
      pending = [];
      pendingBytes = 0;
    };
    const call = parseCall(line);
    const send = (message: { line: string } | { done: true; ok: boolean }) => {
      const text = call?.plain ? plainText(message) : JSON.stringify(message) + '\n';
      if (pending.length === 0) setImmediate(flush);
      pending.push(text);
      pendingBytes += text.length;
    };
    const registration = call && this.registrations.get(call.token);
    if (!call || !registration) {
      send({ line: 'This push is not known to the builder; push again.' });
      send({ done: true, ok: false });
      flush();
      socket.end();
      return;
    }
    this.registrations.delete(call.token);
    // The hook going away (git killed) and the push being aborted (SSH client gone) both end the build.
    const hookGone = new AbortController();
    socket.on('close', () => hookGone.abort());
    const cut = () => socket.destroy();
    registration.signal.addEventListener('abort', cut, { once: true });
    if (registration.signal.aborted) cut();
    const signal = AbortSignal.any([hookGone.signal, registration.signal]);
    // A pusher that does not read (slow link, or on purpose) must not make the core buffer the build's
    // output: past a bound, lines are skipped and counted, and the count is shown once it catches up.
    let skipped = 0;
    const output: BuildOutput = {
      line: (text) => {
        for (const l of String(text).split(/\r?\n/)) {
          if (socket.writableLength + pendingBytes > BUILD_OUTPUT_MAX_BUFFERED) {
            skipped++;
            continue;
          }
          if (skipped > 0) {
            send({ line: `[... ${skipped} lines not shown while your connection caught up]` });
            skipped = 0;
          }
          send({ line: capLine(l) });
        }
      },
    };
    let result: BuildResult;
    try {
      result = await registration.handler({ refs: call.refs, env: call.env }, output, signal);
    } catch (err) {
      this.log(
        `builder: pre-receive failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      result = { ok: false, reason: 'The build failed because of an internal error.' };
    } finally {
      registration.signal.removeEventListener('abort', cut);
    }
    if (!result.ok) send({ line: capLine(result.reason) });
    send({ done: true, ok: result.ok });
    flush();
    socket.end();
  }
}
