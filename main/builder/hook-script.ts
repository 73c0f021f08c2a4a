/**
 * The pre-receive hook that puts the build inside `git push`: a sh stub in each repo runs a small
 * bash script (or, without bash, a Node one), which sends the pushed refs to the builder's hook
 * bridge and prints what comes back (git shows it as `remote:` lines). Kept as plain source, written
 * to disk at start, because the hook runs as its own process outside the bundle. bash first because
 * a push waits for the hook to start: bash starts in a few milliseconds, Node in tens (hundreds on a
 * busy machine).
 */
import fs from 'node:fs';

/** Environment the builder gives git-receive-pack, and so the hook. */
export const HOOK_ENV = {
  token: 'DEIS_BUILDER_TOKEN',
  port: 'DEIS_BUILDER_BRIDGE_PORT',
  node: 'DEIS_BUILDER_NODE',
  script: 'DEIS_BUILDER_HOOK',
  /** The bash that runs PRE_RECEIVE_BASH (unset: the Node hook runs). */
  bash: 'DEIS_BUILDER_BASH',
  bashScript: 'DEIS_BUILDER_HOOK_BASH',
} as const;

/**
 * The bash for the fast hook: a fixed list of places (never PATH: the hook must be the one we wrote,
 * run by a shell of the system's). Undefined on Windows and where there is none: the Node hook runs.
 */
export function findBash(): string | undefined {
  if (process.platform === 'win32') return undefined;
  bash ??=
    ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash', '/opt/homebrew/bin/bash'].find((p) => {
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }) ?? '';
  return bash || undefined;
}
let bash: string | undefined;

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
if [ -n "$${HOOK_ENV.bash}" ]; then
  BASH_ENV= exec "$${HOOK_ENV.bash}" --norc --noprofile "$${HOOK_ENV.bashScript}"
fi
exec "$${HOOK_ENV.node}" "$${HOOK_ENV.script}"
`;

// The protocol of the Node hook below, with the bridge's plain answers (bridge.ts): a line of output
// is a space and the text; the end is "D0" (accepted) or "D1". bash reads the socket a byte at a
// time, which a few thousand lines of build output barely feel, and shows each line as it comes.
// Without bash's /dev/tcp, the Node hook runs, before anything of git's input is read. JSON needs
// \\, \" and control characters escaped: git refuses the latter in ref names, and the quarantine
// paths are git's own under the repo.
export const PRE_RECEIVE_BASH = `# Deis Desktop pre-receive hook: hands the pushed refs to the builder and shows its output as it comes.
if ! { exec 3<>"/dev/tcp/127.0.0.1/$${HOOK_ENV.port}"; } 2>/dev/null; then
  exec "$${HOOK_ENV.node}" "$${HOOK_ENV.script}"
fi
json() {
  local s=$1
  s=\${s//\\\\/\\\\\\\\}
  s=\${s//\\"/\\\\\\"}
  s=\${s//$'\\n'/\\\\n}
  s=\${s//$'\\r'/\\\\r}
  s=\${s//$'\\t'/\\\\t}
  printf '"%s"' "$s"
}
refs=$(cat; printf .)
refs=\${refs%.}
env=
for name in ${QUARANTINE_ENV.join(' ')}; do
  value=\${!name}
  if [ -n "$value" ]; then env="$env\${env:+,}$(json "$name"):$(json "$value")"; fi
done
printf '{"token":%s,"plain":true,"refs":%s,"env":{%s}}\\n' "$(json "$${HOOK_ENV.token}")" "$(json "$refs")" "$env" >&3
status=2
while IFS= read -r line <&3 || [ -n "$line" ]; do
  case $line in
    " "*) printf '%s\\n' "\${line# }" ;;
    D0) status=0; break ;;
    D1) status=1; break ;;
  esac
  line=
done
if [ "$status" -gt 1 ]; then
  echo "The builder stopped before the build finished; the push was not accepted."
  exit 1
fi
exit "$status"
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
