/**
 * The shell scripts put into buildpack build containers: the build driver (Heroku buildpack API:
 * detect, compile, release) and `/runner/init`, which starts a process type of the built app.
 */

/** Exit code of the build driver when no buildpack recognises the app. */
export const NO_BUILDPACK_EXIT = 10;

export const BUILD_SCRIPT = `#!/bin/bash
# Deis Desktop build driver: runs the Heroku buildpack API on /app.
set -eo pipefail
BUILD_DIR=/app
CACHE_DIR=/tmp/cache
ENV_DIR=/tmp/deis/env
mkdir -p "$CACHE_DIR" "$ENV_DIR"
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
