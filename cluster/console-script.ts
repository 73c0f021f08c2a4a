/**
 * The console's command line, the same on every target: the user's command starts through a shell
 * that first says its PID on stderr (a marker line, never shown) and then execs the command in its
 * place, so that stopping it (the client went away, the time or output limit) can be a second exec
 * that stops and kills that PID and everything under it. Neither Docker nor the Kubernetes API can
 * kill an exec, and closing its stream leaves a quiet command running.
 */

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
