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

// Dockerfile builds
/**
 * A Dockerfile is read and checked whole before the build: real ones are a few KiB, and checking
 * 256 KiB takes the core well under a second (a 1 MiB one took 1.6 s).
 */
export const DOCKERFILE_MAX_BYTES = 256 * 1024;
/** The Docker engine's own line limit (Go's bufio.MaxScanTokenSize - 1); longer lines fail there too. */
export const DOCKERFILE_MAX_LINE_BYTES = 65_535;
/** Symlinks followed to find the Dockerfile in the pushed tree (Linux follows at most 40). */
export const DOCKERFILE_MAX_SYMLINK_HOPS = 40;
/** Characters all variable substitutions of one build may produce: `ENV A=$A$A` doubles at each line. */
export const DOCKERFILE_MAX_EXPANDED_CHARS = 16 * 1024 * 1024;
/** Distinct images (FROM, COPY --from, ONBUILD) one build may look up or pull: each is a call to the engine. */
export const DOCKERFILE_MAX_IMAGES = 32;
/** `ADD <url>` sources one build may fetch: each is a download the core makes on the build's behalf. */
export const DOCKERFILE_MAX_REMOTE_FILES = 32;
/** Bytes all `ADD <url>` downloads of one build may total: they sit on disk until the build ends. */
export const DOCKERFILE_REMOTE_MAX_BYTES = 1024 * 1024 * 1024;
/** Redirects followed per `ADD <url>`, as Go's HTTP client (which the engine used) follows. */
export const DOCKERFILE_REMOTE_MAX_REDIRECTS = 10;
/** Time to connect (and finish TLS) for one `ADD <url>` hop. */
export const DOCKERFILE_REMOTE_CONNECT_TIMEOUT_MS = 30_000;
/** A download that sends nothing for this long is given up. */
export const DOCKERFILE_REMOTE_IDLE_TIMEOUT_MS = 60_000;
/** One `ADD <url>` download, redirects included, may take at most this long. */
export const DOCKERFILE_REMOTE_TOTAL_TIMEOUT_MS = 10 * 60_000;
/** A tar extended header (long path names) is buffered to be read; git writes a few hundred bytes. */
export const DOCKERFILE_TAR_HEADER_MAX_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Run stage: processes, one-off output, logs.
// ---------------------------------------------------------------------------------------------

// (Run stage limits go here.)

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// (Controller input limits go here.)
