/**
 * Every limit on what a client, an app or a build may ask of the core, in one table: each a named
 * constant with the reason for its number. Each is enforced where its input arrives, before any work
 * starts, and answered with the same clear 4xx wherever it is hit. SECURITY.md lists them.
 * (Plain constants: the renderer and the CLI import this file too.)
 */

// ---------------------------------------------------------------------------------------------
// API edge: requests, bodies, logins.
// ---------------------------------------------------------------------------------------------

// (API edge limits go here.)

// ---------------------------------------------------------------------------------------------
// Builder: pushes, folder deploys, the SSH server, build output.
// ---------------------------------------------------------------------------------------------

// (Builder limits go here.)

// ---------------------------------------------------------------------------------------------
// Run stage: processes, one-off output, logs.
// ---------------------------------------------------------------------------------------------

/** Processes of one type: more than 50 of one type on one machine is almost certainly a typo (`web=500`). */
export const MAX_PROCESSES_PER_TYPE = 50;
/**
 * Processes of one app, all types together: a deploy runs the old and the new ones side by side, and
 * 2 × 100 fits the 221 fixed addresses of the app's own /24 network (see cluster/docker/network.ts).
 */
export const MAX_PROCESSES_PER_APP = 100;
/** Process types named in one scale request: more than any Procfile has; refused before any is read. */
export const MAX_SCALE_TYPES = 50;
/** One-off commands of one app at once: each is a container, and they share the app's 30 dynamic addresses. */
export const MAX_RUNS_PER_APP = 10;
/** One-off commands of all apps at once: each is a container on this machine. */
export const MAX_RUNS = 30;
/**
 * Characters of output kept for the JSON answer of `POST /v2/apps/<app>/run` (the last ones; a marker
 * says how many came before). The streaming run sends every byte as it comes instead.
 */
export const MAX_RUN_OUTPUT_CHARS = 1024 * 1024;
/** A log or build line: a longer one is cut here with a marker (Docker's own log entries are 16 KiB). */
export const MAX_LINE_CHARS = 16 * 1024;
/** Marks a line cut at MAX_LINE_CHARS. */
export const LINE_CUT_MARKER = ` [line cut: longer than ${MAX_LINE_CHARS} characters]`;
/** `?log_lines=` of a logs request: more than the log store of an app keeps. */
export const MAX_LOG_LINES = 10_000;
/** Bytes of one app's log file before it rotates into `.1`: at most twice this on disk per app. */
export const MAX_LOG_FILE_BYTES = 2 * 1024 * 1024;
/**
 * Characters waiting for one slow event-stream client: past this, log lines are skipped (with a
 * marker saying how many), a task-event client is dropped (it reconnects and asks for the state),
 * and a run's output waits (the command itself is held until the client reads).
 */
export const MAX_STREAM_BACKLOG_CHARS = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// (Controller input limits go here.)
