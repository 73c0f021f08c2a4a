#!/usr/bin/env bash
# Restarts a dockerd that was started by hand (no systemd): stops the one whose pid is in its pid file,
# starts a new one detached from this shell (it must outlive the test that asked for the restart), and
# waits until it answers. For the opt-in test services-dockerd-restart, which .ci/run runs on its own
# after the suite (restarting dockerd stops every container on the machine).
#   DEIS_DOCKERD_PIDFILE  dockerd's pid file (its default: /var/run/docker.pid)
#   DEIS_DOCKERD_LOG      where the new dockerd writes (default /tmp/dockerd-restarted.log)
set -euo pipefail
pidfile=${DEIS_DOCKERD_PIDFILE:-/var/run/docker.pid}
log=${DEIS_DOCKERD_LOG:-/tmp/dockerd-restarted.log}
pid=$(cat "$pidfile" 2>/dev/null || true)
if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
  echo "restart-dockerd: no running dockerd in $pidfile" >&2
  exit 1
fi
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "restart-dockerd: dockerd (pid $pid) did not stop within 30 s" >&2
  exit 1
fi
setsid nohup dockerd >>"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
if ! docker info >/dev/null 2>&1; then
  echo "restart-dockerd: dockerd did not answer within 60 s; its log:" >&2
  tail -30 "$log" >&2
  exit 1
fi
echo "restart-dockerd: dockerd restarted (pid $(cat "$pidfile"))"
