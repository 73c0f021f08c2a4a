/**
 * The shell scripts put into buildpack build containers: the build driver (Heroku buildpack API:
 * detect, compile, release) and `/runner/init`, which starts a process type of the built app.
 */

/** Exit code of the build driver when no buildpack recognises the app. */
export const NO_BUILDPACK_EXIT = 10;
/** Exit code of the build driver when BUILDPACK_URL could not be fetched. */
export const FETCH_FAILED_EXIT = 11;

export const BUILD_SCRIPT = `#!/bin/bash
# Deis Desktop build driver: runs the Heroku buildpack API on /app.
set -eo pipefail
BUILD_DIR=/app
CACHE_DIR=/tmp/cache
ENV_DIR=/tmp/deis/env
mkdir -p "$CACHE_DIR" "$ENV_DIR"

# BUILDPACK_URL is fetched here, inside the build container, never on the host: whatever the URL
# points at, this git sees only the container (its own loopback, no host files, no keys but SSH_KEY).
# The URL and ref come in the environment (never through the shell's parser), were checked when the
# config was set and again by the builder, and reach git after "--"; only network transports are allowed.
fetch_buildpack() (
  set +e
  dest=/tmp/deis/buildpacks/custom
  work=$(mktemp -d)
  export HOME="$work" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
  git=(git -c protocol.allow=never -c protocol.https.allow=always -c protocol.http.allow=always
       -c protocol.git.allow=always -c protocol.ssh.allow=always -c advice.detachedHead=false)
  if [ "$DEIS_BUILDPACK_TRANSPORT" = ssh ]; then
    if ! command -v ssh >/dev/null; then
      echo "The stack image has no ssh client, so a buildpack cannot be fetched over SSH: use an https:// BUILDPACK_URL, or a stack image with openssh-client (DEIS_STACK_IMAGE)."
      exit 1
    fi
    key=""
    if [ -s /tmp/deis/ssh_key ]; then key="-i /tmp/deis/ssh_key -o IdentitiesOnly=yes"; fi
    export GIT_SSH_COMMAND="ssh $key -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$work/known_hosts"
  fi
  if [ -n "$DEIS_BUILDPACK_REF" ]; then
    if ! "\${git[@]}" clone --quiet --depth 1 --branch="$DEIS_BUILDPACK_REF" -- "$DEIS_BUILDPACK_REPO" "$dest" 2>/dev/null; then
      # A commit cannot be cloned shallowly: clone fully and check it out.
      rm -rf "$dest"
      "\${git[@]}" clone --quiet -- "$DEIS_BUILDPACK_REPO" "$dest" || exit 1
      sha=$(git -C "$dest" rev-parse --quiet --verify --end-of-options "$DEIS_BUILDPACK_REF^{commit}") || {
        echo "The buildpack has no branch, tag or commit named $DEIS_BUILDPACK_REF."
        exit 1
      }
      git -C "$dest" -c advice.detachedHead=false checkout --quiet "$sha" || exit 1
    fi
  else
    "\${git[@]}" clone --quiet --depth 1 -- "$DEIS_BUILDPACK_REPO" "$dest" || exit 1
  fi
  rm -rf "$dest/.git" "$work"
)
if [ -n "$DEIS_BUILDPACK_REPO" ]; then
  fetch_buildpack 2>&1 || exit ${FETCH_FAILED_EXIT}
  rm -f /tmp/deis/ssh_key
fi
unset DEIS_BUILDPACK_REPO DEIS_BUILDPACK_REF DEIS_BUILDPACK_TRANSPORT
chmod -R u+x /tmp/deis/buildpacks/*/bin 2>/dev/null || true

buildpack=""
name=""
if [ -d /tmp/deis/buildpacks/custom ]; then
  buildpack=/tmp/deis/buildpacks/custom
  name=$("$buildpack/bin/detect" "$BUILD_DIR" 2>/dev/null) || name="Custom"
else
  for bp in /tmp/deis/buildpacks/*/; do
    bp="\${bp%/}"
    if [ -x "$bp/bin/detect" ] && detected=$("$bp/bin/detect" "$BUILD_DIR" 2>/dev/null); then
      buildpack="$bp"
      name="$detected"
      break
    fi
  done
fi
if [ -z "$buildpack" ]; then
  echo "No buildpack recognised this app. Add a Dockerfile, or set BUILDPACK_URL with: deis config:set BUILDPACK_URL=<git url>"
  exit ${NO_BUILDPACK_EXIT}
fi
echo "-----> \${name:-Buildpack} app detected"

if [ -x "$buildpack/bin/pre-compile" ]; then "$buildpack/bin/pre-compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"; fi
"$buildpack/bin/compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"
if [ -x "$buildpack/bin/release" ]; then
  "$buildpack/bin/release" "$BUILD_DIR" > "$BUILD_DIR/.release"
else
  echo "--- {}" > "$BUILD_DIR/.release"
fi
if [ -x "$buildpack/bin/post-compile" ]; then "$buildpack/bin/post-compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"; fi
# The config must not end up inside the image.
rm -rf /tmp/deis
echo "-----> Compiled slug: $(du -sh "$BUILD_DIR" 2>/dev/null | cut -f1)"
`;

export const RUNNER_INIT = `#!/bin/bash
# Deis Desktop runner: /runner/init <process-type> | <command> [args...]
cd /app
export HOME=/app
for f in /app/.profile.d/*.sh; do [ -f "$f" ] && . "$f"; done
[ $# -eq 0 ] && set -- web
if [ -f /app/Procfile ]; then
  cmd=$(sed -n "s/^$1:[[:space:]]*//p" /app/Procfile | head -n 1)
  if [ -n "$cmd" ]; then exec bash -c "$cmd"; fi
fi
exec "$@"
`;
