#!/usr/bin/env bash
# Throughput of Pictor through nginx, measured against nginx serving a static file of the
# same size in the same run, so the ratio means something on any machine.
#
#   bench/run.sh            (make bench builds the release binary first)
#   DURATION=10 CONNECTIONS=64 bench/run.sh
#
# It starts its own PostgreSQL, `pictor serve` and nginx under var/bench and stops them at
# the end. It measures the landing page and /healthz with nginx's FastCGI keep-conn off and on
# (the shipped default), and prints requests/s, p99 latency and dynamic/static ratios.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
source bench/lib.sh

# A static file with exactly the bytes of the dynamic response, served by nginx from /media/.
static_twin() {
  curl -fsS "$base$1" -o "$STATE/media/public/$2"
  echo "/media/$2"
}

start_stack
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
