/**
 * The console's command line, the same on every target: the user's command starts through a shell
 * that first says its PID on stderr (a marker line, never shown) and then execs the command in its
 * place, so that stopping it (the client went away, the time or output limit) can be a second exec
 * that stops and kills that PID and everything under it. Neither Docker nor the Kubernetes API can
 * kill an exec, and closing its stream leaves a quiet command running.
 */
import { CONSOLE_OUTPUT_MAX_CHARS, CONSOLE_TIMEOUT_MS } from '../main/contract/limits';
import type { RunIo } from './target';

export const CONSOLE_MARKER = '@deis-console-pid ';
/** `$1` is the user's command: never spliced into the script, so no quoting can break out of it. */
const WRAPPER = `echo "${CONSOLE_MARKER}$$" >&2; exec /bin/sh -c "$1"`;
/** Stops the command's process and its descendants (depth first), then kills them. */
const KILL_TREE =
  't() { kill -STOP "$1" 2>/dev/null; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do t "$c"; done; kill -KILL "$1" 2>/dev/null; }; t "$1"';

/** The argv that runs `command` in a process's container with the PID marker first. */
export const consoleArgv = (command: string): string[] => ['/bin/sh', '-c', WRAPPER, 'sh', command];
/** The argv that stops `pid` and everything under it. */
export const killTreeArgv = (pid: string): string[] => ['/bin/sh', '-c', KILL_TREE, 'sh', pid];

/**
 * Takes the marker line off the front of the command's stderr. `pid` is undefined until the line is
 * complete, then the PID, or '' when there was no marker (/bin/sh itself failed, in an image without a
 * shell: what it said is the output).
 */
export class PidMarker {
  pid: string | undefined;
  private head = '';

  /** stderr text in; the part of it that is the command's own output out. */
  take(text: string): string {
    if (this.pid !== undefined) return text;
    this.head += text;
    const end = this.head.indexOf('\n');
    if (end < 0) {
      if (!this.head.startsWith(CONSOLE_MARKER.slice(0, this.head.length)) || this.head.length > 64)
        return this.none();
      return '';
    }
    const line = this.head.slice(0, end);
    const rest = this.head.slice(end + 1);
    this.head = '';
    if (line.startsWith(CONSOLE_MARKER)) {
      this.pid = line.slice(CONSOLE_MARKER.length).trim();
      return rest;
    }
    this.pid = '';
    return `${line}\n${rest}`;
  }

  /** What was held back when stderr ended before the line did. */
  rest(): string {
    return this.pid === undefined ? this.none() : '';
  }

  private none(): string {
    this.pid = '';
    const said = this.head;
    this.head = '';
    return said;
  }
}

export interface ConsoleLimits {
  timeoutMs: number;
  outputMaxChars: number;
}

export const CONSOLE_LIMITS: ConsoleLimits = {
  timeoutMs: CONSOLE_TIMEOUT_MS,
  outputMaxChars: CONSOLE_OUTPUT_MAX_CHARS,
};

/**
 * One console command's life, whichever engine runs it: output handed on within the output limit,
 * the PID marker read off stderr, and a stop (client gone, time or output limit) that kills the
 * command's tree through `kill` and then lets `close` end the stream. `begin` before the first
 * output, `end` once the stream ended; `stopped` says why it was stopped, if it was.
 */
export class ConsoleRun {
  stopped: string | undefined;
  private readonly marker = new PidMarker();
  private written = 0;
  private timer: NodeJS.Timeout | undefined;
  private closer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.stop('The command was stopped: the client went away.');

  constructor(
    private readonly io: RunIo,
    private readonly kill: (pid: string) => Promise<unknown>,
    private readonly close: () => void,
    private readonly limits: ConsoleLimits = CONSOLE_LIMITS,
  ) {}

  begin(): void {
    this.io.signal?.addEventListener('abort', this.onAbort);
    this.timer = setTimeout(
      () =>
        this.stop(`The command ran longer than ${this.limits.timeoutMs / 60_000} minutes and was stopped.`),
      this.limits.timeoutMs,
    );
    if (this.io.signal?.aborted) this.onAbort();
  }

  end(): void {
    clearTimeout(this.timer);
    clearTimeout(this.closer);
    this.io.signal?.removeEventListener('abort', this.onAbort);
  }

  stop(why: string): void {
    if (this.stopped) return;
    this.stopped = why;
    const pid = this.marker.pid;
    const killed = pid ? this.kill(pid).catch(() => undefined) : Promise.resolve();
    // Whatever still holds the output open (nothing, once the kill landed) no longer matters.
    void killed.then(() => {
      this.closer = setTimeout(() => this.close(), 2_000);
      this.closer.unref();
    });
  }

  /** The command's stdout; a promise means the receiver holds the output back until it resolves. */
  stdout(text: string): void | Promise<void> {
    return this.pass(text);
  }

  /** The command's stderr, the marker line taken off its front. */
  stderr(text: string): void | Promise<void> {
    const waiting = this.marker.pid === undefined;
    const out = this.marker.take(text);
    // A stop asked for before the PID was known kills now.
    if (waiting && this.marker.pid && this.stopped) {
      const why = this.stopped;
      this.stopped = undefined;
      this.stop(why);
    }
    return this.pass(out);
  }

  /** What stderr held back when it ended. */
  stderrEnd(): void | Promise<void> {
    return this.pass(this.marker.rest());
  }

  private pass(text: string): void | Promise<void> {
    if (text === '' || this.stopped) return;
    this.written += text.length;
    if (this.written > this.limits.outputMaxChars) {
      this.stop(
        `The command wrote more than ${this.limits.outputMaxChars / 1024 / 1024} MiB and was stopped; run it with deis run to see everything.`,
      );
      return;
    }
    return this.io.output?.(text);
  }
}
