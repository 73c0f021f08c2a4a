/**
 * The lines of an app's log, in the format of Deis's logger (deis/logger, log/message_handler.go),
 * which `deis logs` prints as they are:
 *
 *   2026-11-29T23:50:01+00:00 myapp[web.v3.x7r4f]: GET / 200        a process's output
 *   2026-11-29T23:50:02+00:00 deis[controller]: INFO config myapp updated   the controller's events
 *
 * A process's tag is `<type>.v<release>.<the random end of its name>`; the time is UTC, to the
 * second, as Deis wrote it. The core writes lines with these helpers; the UI (its process-type
 * filter) and tests read them with parseLogLine.
 */

/** Deis's time format (Go's `2006-01-02T15:04:05-07:00`) of a Date or of Docker's RFC 3339 timestamp. */
export function logTime(at: Date | string = new Date()): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return `${iso.slice(0, 19)}+00:00`;
}

/** A line of a process's output. */
export function processLogLine(
  time: string,
  app: string,
  proc: { type: string; version: number | string; id: string },
  message: string,
): string {
  return `${time} ${app}[${proc.type}.v${proc.version}.${proc.id}]: ${message}`;
}

/** A line of the controller about an app (a deploy, a scale, a config change). */
export function controllerLogLine(time: string, message: string, level = 'INFO'): string {
  return `${time} deis[controller]: ${level} ${message}`;
}

/**
 * A process of the Docker target, named as Deis's pods are (`<app>-<type>-<10 chars>-<id>`, or
 * `<app>-v<N>-<type>-<id>` before): its type, release (from the name, else `version`) and id, or
 * undefined for another name.
 */
export function processOfName(
  app: string,
  name: string,
  version?: string,
): { type: string; version: string; id: string } | undefined {
  if (!name.startsWith(`${app}-`)) return undefined;
  const rest = name.slice(app.length + 1);
  const old = /^v(\d+)-([a-z0-9][a-z0-9-]*)-([a-z0-9]+)$/.exec(rest);
  if (old) return { version: old[1]!, type: old[2]!, id: old[3]! };
  const m = /^([a-z0-9][a-z0-9-]*)-[a-z0-9]{10}-([a-z0-9]{5})$/.exec(rest);
  return m ? { version: version ?? '0', type: m[1]!, id: m[2]! } : undefined;
}

export interface ParsedLogLine {
  /** Empty when the line has none (the original logger's lines before Deis added times). */
  time: string;
  /** The app, or `deis` for the controller's lines. */
  source: string;
  /** A process's type (`web`), or `controller`. */
  type: string;
  message: string;
}

const LINE_RE =
  /^(?:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) )?([a-z0-9-]+)\[([^\]\s]+)\]: ?(.*)$/s;

/** Reads a line in either form above; undefined for any other text. */
export function parseLogLine(line: string): ParsedLogLine | undefined {
  const m = LINE_RE.exec(line);
  if (!m) return undefined;
  const [, time, source, tag, message] = m;
  return { time: time ?? '', source: source!, type: tag!.split('.')[0]!, message: message! };
}
