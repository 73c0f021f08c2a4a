/**
 * The pre-receive hook that puts the build inside `git push`: a sh stub in each repo runs a small
 * Node script, which sends the pushed refs to the builder's hook bridge and prints what comes back
 * (git shows it as `remote:` lines). Kept as plain JS source, written to disk at start, because the
 * hook runs as its own process outside the bundle.
 */

/** Environment the builder gives git-receive-pack, and so the hook. */
export const HOOK_ENV = {
  token: 'DEIS_BUILDER_TOKEN',
  port: 'DEIS_BUILDER_BRIDGE_PORT',
  node: 'DEIS_BUILDER_NODE',
  script: 'DEIS_BUILDER_HOOK',
} as const;

/** Git's variables that point at the quarantined objects of a push in progress. */
export const QUARANTINE_ENV = [
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_QUARANTINE_PATH',
] as const;

export const PRE_RECEIVE_SH = `#!/bin/sh
# Written by Deis Desktop's builder on every push: the build runs before git accepts the refs.
if [ -z "$${HOOK_ENV.token}" ]; then
  echo "This repository is managed by Deis Desktop; push through its builder (git push deis main)." >&2
  exit 1
fi
exec "$${HOOK_ENV.node}" "$${HOOK_ENV.script}"
`;

// Protocol: one JSON line up ({token, refs, env}); JSON lines down ({line} ... {done, ok}).
// It never calls process.exit, so output still in flight to git is not cut off.
export const PRE_RECEIVE_JS = `'use strict';
// Deis Desktop pre-receive hook: hands the pushed refs to the builder and shows its output as it comes.
const net = require('node:net');

const env = process.env;
process.exitCode = 1;
let refs = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (refs += chunk));
process.stdin.on('end', () => {
  const quarantine = {};
  for (const name of ${JSON.stringify(QUARANTINE_ENV)}) if (env[name]) quarantine[name] = env[name];
  const socket = net.connect(Number(env.${HOOK_ENV.port}), '127.0.0.1');
  let buffered = '';
  let done = false;
  socket.setEncoding('utf8');
  socket.on('connect', () => {
    socket.write(JSON.stringify({ token: env.${HOOK_ENV.token}, refs, env: quarantine }) + '\\n');
  });
  socket.on('data', (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf('\\n')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      if (typeof message.line === 'string') process.stdout.write(message.line + '\\n');
      if (message.done) {
        done = true;
        process.exitCode = message.ok ? 0 : 1;
        socket.end();
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!done) process.stdout.write('The builder stopped before the build finished; the push was not accepted.\\n');
  });
});
`;
