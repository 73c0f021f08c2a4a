# Sourced by compile scripts: exports the app's config from ENV_DIR, as Heroku buildpacks do.
export_env_dir() {
  local dir="$1" key
  [ -d "$dir" ] || return 0
  for f in "$dir"/*; do
    [ -f "$f" ] || continue
    key=$(basename "$f")
    case "$key" in PATH|GIT_DIR|CPATH|CPPATH|LD_PRELOAD|LIBRARY_PATH|LD_LIBRARY_PATH) continue ;; esac
    export "$key=$(cat "$f")"
  done
}
