#!/usr/bin/env bash
# Throughput of Pictor through nginx, measured against nginx serving a static file of the
# same size in the same run, so the ratio means something on any machine.
#
#   bench/run.sh            (make bench builds the release binary first)
#   DURATION=10 CONNECTIONS=64 bench/run.sh
#
# It starts its own PostgreSQL, `pictor serve` and nginx under var/bench and stops them at
# the end. It measures the landing page and /healthz with nginx's FastCGI keep-conn off (the
# shipped default) and on, and prints requests/s, p99 latency and dynamic/static ratios.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
threads=${WRK_THREADS:-2}
port=${PORT:-18480}
export STATE=$root/var/bench
bin=${PICTOR_BIN:-$root/.build/release/pictor}
base=http://127.0.0.1:$port

mkdir -p "$STATE/run" "$STATE/media/public" "$STATE/media/private"
export PICTOR_CONFIG=$root/pictor.conf
export PICTOR_DATABASE_URL=$(scripts/postgres.sh url)
export PICTOR_SERVER_LISTEN=$STATE/run/pictor.sock
export PICTOR_SERVER_LISTEN_MODE=0666
export PICTOR_SERVER_ACCESS_LOG=off
export PICTOR_SERVER_MAX_REQUESTS=0
export PICTOR_SERVER_WORKERS=${WORKERS:-2}
export PICTOR_SERVER_THREADS=${THREADS:-8}
export PICTOR_PATHS_MEDIA=$STATE/media
export PICTOR_PATHS_TEMPLATES=$root/templates
export PICTOR_PATHS_PUBLIC=$root/public
export PICTOR_PATHS_MIGRATIONS=$root/sql

serve_pid= nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  scripts/postgres.sh stop
}
trap cleanup EXIT

start_nginx() {
  if [ -n "$nginx_pid" ]; then kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; fi
  local conf
  conf=$(scripts/nginx-site.sh --dev-state "$STATE" --socket "$PICTOR_SERVER_LISTEN" --media "$STATE/media" \
    --listen "127.0.0.1:$port" --keep-conn "$1")
  "$(command -v nginx || echo /usr/sbin/nginx)" -p "$STATE" -c "$conf" & nginx_pid=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0; sleep 0.1; done
  echo "bench: Pictor did not answer through nginx" >&2; exit 1
}

# Prints "requests/s p99" for one URL.
measure() {
  local out rps p99
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local errors
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  [ -n "$errors" ] && echo "bench: $1: $errors" >&2
  echo "$rps $p99"
}

# A static file with exactly the bytes of the dynamic response, served by nginx from /media/.
static_twin() {
  curl -fsS "$base$1" -o "$STATE/media/public/$2"
  echo "/media/$2"
}

scripts/postgres.sh start
"$bin" migrate >/dev/null
"$bin" serve 2>"$STATE/pictor.log" & serve_pid=$!
start_nginx off

printf '\nPictor through nginx, %s connections, %ss per run, %s workers x %s threads (%s cores)\n\n' \
  "$connections" "$duration" "$PICTOR_SERVER_WORKERS" "$PICTOR_SERVER_THREADS" "$(nproc)"
printf '%-26s %12s %10s %14s %8s\n' "endpoint" "requests/s" "p99" "static req/s" "ratio"

for keep in off on; do
  start_nginx "$keep"
  for path in / /healthz; do
    twin=$(static_twin "$path" "twin$(tr '/' '_' <<<"$path").html")
    read -r rps p99 < <(measure "$base$path")
    read -r srps _ < <(measure "$base$twin")
    ratio=$(awk -v a="$rps" -v b="$srps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    printf '%-26s %12s %10s %14s %8s\n' "$path (keep-conn $keep)" "$rps" "$p99" "$srps" "$ratio"
  done
done
echo
