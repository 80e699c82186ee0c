#!/usr/bin/env bash
# Shared by the benchmarks: a private PostgreSQL, `pictor serve` and nginx under var/bench,
# stopped again on exit. Source it from a bench script after `cd` to the repository root.

port=${PORT:-18480}
export STATE=$root/var/bench
bin=${PICTOR_BIN:-$root/.build/release/pictor}
base=http://127.0.0.1:$port
# The newest installed PostgreSQL's psql (Debian keeps it out of PATH under its version).
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)

mkdir -p "$STATE/run" "$STATE/media/public" "$STATE/media/private"
export PICTOR_CONFIG=$root/pictor.conf
export PICTOR_DATABASE_URL=$(scripts/postgres.sh url)
export PICTOR_SERVER_LISTEN=$STATE/run/pictor.sock
export PICTOR_SERVER_LISTEN_MODE=0666
export PICTOR_SERVER_ACCESS_LOG=off
export PICTOR_SERVER_MAX_REQUESTS=0
export PICTOR_SERVER_WORKERS=${WORKERS:-2}
export PICTOR_SERVER_THREADS=${THREADS:-4}
export PICTOR_PATHS_MEDIA=$STATE/media
export PICTOR_PATHS_TEMPLATES=$root/templates
export PICTOR_PATHS_PUBLIC=$root/public
export PICTOR_PATHS_MIGRATIONS=$root/sql
export PICTOR_PATHS_COMMON_PASSWORDS=$root/data/common-passwords.txt
export PICTOR_MODERATION_BLOCKLIST=${PICTOR_MODERATION_BLOCKLIST:-$root/data/moderation-blocklist.txt}
# Private images on pages at links nginx checks itself, as `make run` and production have them.
(umask 077; echo "PICTOR_STORAGE_LINK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$STATE/pictor.env")
export PICTOR_STORAGE_LINK_SECRET=$(sed -n 's/^PICTOR_STORAGE_LINK_SECRET=//p' "$STATE/pictor.env")

serve_pid= nginx_pid=
extra_pids=()
cleanup() {
  for pid in "${extra_pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  scripts/postgres.sh stop
}
trap cleanup EXIT

# Starts PostgreSQL with an empty database (each run measures the same thing), migrates, and
# starts the pool; then call start_nginx off|on.
start_stack() {
  scripts/postgres.sh start
  "$psql" "${PICTOR_DATABASE_URL/\/pictor?//postgres?}" -qc "DROP DATABASE IF EXISTS pictor" -c "CREATE DATABASE pictor"
  "$bin" migrate >/dev/null
  "$bin" serve 2>"$STATE/pictor.log" & serve_pid=$!
}

start_nginx() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; fi
  local conf
  conf=$(scripts/nginx-site.sh --dev-state "$STATE" --socket "$PICTOR_SERVER_LISTEN" --media "$STATE/media" \
    --listen "127.0.0.1:$port" --keep-conn "$1" --link-secret-env "$STATE/pictor.env")
  "$(command -v nginx || echo /usr/sbin/nginx)" -p "$STATE" -c "$conf" & nginx_pid=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0; sleep 0.1; done
  echo "bench: Pictor did not answer through nginx" >&2; exit 1
}


# Prints "requests/s p99" for one URL (extra arguments go to wrk, e.g. -H "Cookie: …"). A short
# unmeasured run first lets every pool thread prepare its statements and warm its caches.
measure() {
  local url=$1; shift
  local out
  wrk -t"${WRK_THREADS:-2}" -c"${connections:-64}" -d"${warmup:-5}s" "$@" "$url" >/dev/null
  out=$(wrk -t"${WRK_THREADS:-2}" -c"${connections:-64}" -d"${duration:-10}s" --latency "$@" "$url")
  grep -qE "Non-2xx|Socket errors" <<<"$out" && echo "bench: $url: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")"
}
