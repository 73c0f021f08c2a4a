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

/** Bytes of a deployed folder (what would be committed, .gitignore applied): an app's source is a few MB; more means dependencies or build output are not ignored. */
export const FOLDER_DEPLOY_MAX_BYTES = 200 * 1024 * 1024;
/** Files of a deployed folder: large apps have a few thousand; node_modules alone has tens of thousands. */
export const FOLDER_DEPLOY_MAX_FILES = 20_000;

/** Seconds an SSH client has to log in (OpenSSH's LoginGraceTime is 120): git logs in in under a second; this leaves time to type a key's passphrase. */
export const BUILDER_LOGIN_GRACE_SECONDS = 60;
/** SSH connections not yet logged in, at once (OpenSSH's MaxStartups): far more than parallel pushes on a desktop, far fewer than the core's file descriptors. */
export const BUILDER_MAX_UNAUTHENTICATED = 64;
/** SSH connections at once, logged in or not: each running push holds one, and one git process. */
export const BUILDER_MAX_CONNECTIONS = 256;
/** Seconds a logged-in SSH connection may stay without a git command running: git opens its session at once. */
export const BUILDER_IDLE_SECONDS = 60;
/** Public keys one SSH connection may offer (OpenSSH's MaxAuthTries is 6): a few keys in an agent pass, a scan does not. */
export const BUILDER_MAX_AUTH_ATTEMPTS = 10;
/** Seconds between keepalives on a logged-in connection; after 4 unanswered ones a vanished client's push is ended and its lock freed. */
export const BUILDER_KEEPALIVE_SECONDS = 15;

/** Characters of one build or task log line; longer lines are cut (a minified file or a progress bar without newlines). */
export const BUILD_LOG_MAX_LINE = 4096;
/** Lines a task (and a build's stored log) keeps: the last ones, after a line saying how many were dropped. */
export const BUILD_LOG_MAX_LINES = 10_000;
/** Bytes a task (and a build's stored log) keeps, whatever the line count: bounds the core's memory and the store. */
export const BUILD_LOG_MAX_BYTES = 2 * 1024 * 1024;
/** Bytes of build output waiting for a slow pusher's connection; beyond it lines are skipped (and counted), never buffered. */
export const BUILD_OUTPUT_MAX_BUFFERED = 1024 * 1024;

/** Characters of BUILDPACK_URL: real git URLs are a few hundred at most. */
export const BUILDPACK_URL_MAX = 2048;

// ---------------------------------------------------------------------------------------------
// Run stage: processes, one-off output, logs.
// ---------------------------------------------------------------------------------------------

// (Run stage limits go here.)

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// (Controller input limits go here.)
