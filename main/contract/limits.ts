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

// (Run stage limits go here.)

// ---------------------------------------------------------------------------------------------
// Controller inputs: config, domains, whitelist, keys, certificates.
// ---------------------------------------------------------------------------------------------

// (Controller input limits go here.)
