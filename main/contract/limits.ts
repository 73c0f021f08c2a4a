/**
 * Every limit on what a client, an app or a build may ask of the core, in one table: each a named
 * constant with the reason for its number. Each is enforced where its input arrives, before any work
 * starts, and answered with the same clear 4xx wherever it is hit. SECURITY.md lists them.
 * (Plain constants: the renderer and the CLI import this file too.)
 */

// ---------------------------------------------------------------------------------------------
// API edge: requests, bodies, logins.
// ---------------------------------------------------------------------------------------------

/** Bytes of a JSON body from a caller who is not signed in (register, login): a few short fields. */
export const API_ANONYMOUS_BODY_LIMIT = 16 * 1024;
/**
 * Bytes of any other JSON body: an app's whole config may be 1 MiB (Controller inputs) and a
 * certificate with its chain and key a few hundred KiB; twice that leaves room for JSON escaping.
 */
export const API_BODY_LIMIT = 2 * 1024 * 1024;
/**
 * Body bytes being received across all requests at once: eight bodies of the largest size. A parsed
 * body can take ~20× its size in memory, so this keeps a burst of big requests to a few hundred MB.
 */
export const API_BODY_BYTES_IN_FLIGHT = 16 * 1024 * 1024;
/** A refused body up to this size is read and dropped so the connection stays usable; a bigger one closes it. */
export const API_DRAIN_LIMIT = 64 * 1024;
/** Nesting of arrays and objects in a body: Deis's deepest (a healthcheck's HTTP headers) has 7; deeper is an attack on parsers. */
export const API_JSON_MAX_DEPTH = 32;
/** Time to send a request's headers: a client on loopback needs milliseconds; slow ones hold a connection. */
export const API_HEADERS_TIMEOUT_MS = 10_000;
/** Time to send a whole request (headers and body); answers (deploys, streams) may take as long as they need. */
export const API_REQUEST_TIMEOUT_MS = 30_000;
/** Open connections to the API: the UI, CLIs and streams use a few dozen; beyond this new ones are closed. */
export const API_MAX_CONNECTIONS = 512;
/**
 * Password hashes computed at once (scrypt: ~16 MB and 50-150 ms of a core each, on the thread pool),
 * and never more than the machine's cores less one, so the API's own thread always has a core.
 */
export const PASSWORD_HASHES_AT_ONCE = 2;
/** Sign-ins waiting for a hash: about a second of work; more get a 429 at once instead of queueing. */
export const PASSWORD_HASHES_WAITING = 16;
/** Tokens (signed-in sessions) per user: each login issues one; past this the oldest is revoked. */
export const TOKENS_PER_USER = 20;

// ---------------------------------------------------------------------------------------------
// Builder: pushes, folder deploys, the SSH server, build output.
// ---------------------------------------------------------------------------------------------

// (Builder limits go here.)

// ---------------------------------------------------------------------------------------------
// Run stage: processes, one-off output, logs.
// ---------------------------------------------------------------------------------------------

// (Run stage limits go here.)

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// (Controller input limits go here.)
