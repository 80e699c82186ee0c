#!/usr/bin/env bash
# End-to-end builtin generations per second: COUNT requests through nginx to the JSON API,
# two `pictor worker` processes drawing 1024×1024 images with the builtin provider, making
# both thumbnails and storing them; timed from the first request to the last image stored.
#
#   bench/generations.sh          (make bench runs it; COUNT=60 by default)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${COUNT:-60}
source bench/lib.sh
export PICTOR_GENERATION_REQUESTS_PER_MINUTE=100000

start_stack
start_nginx off
email="bench-$$@example.com"
printf '%s\n' "bench password" | "$bin" admin create-user --email "$email" >/dev/null
"$bin" admin grant --email "$email" --amount "$count" --reason "benchmark" >/dev/null
key=$("$bin" admin create-key --email "$email" --name bench)
for n in 1 2; do
  PICTOR_PROVIDER_BUILTIN_CONCURRENCY=1 "$bin" worker 2>"$STATE/worker-$n.log" & extra_pids+=($!)
done
sleep 1

finished() {
  "$psql" "$PICTOR_DATABASE_URL" -tAc \
    "SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')) || ' ' || count(*) FILTER (WHERE status = 'failed') FROM generations"
}

started=$(date +%s.%N)
for i in $(seq 1 "$count"); do
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d "{\"prompt\": \"benchmark image number $i\", \"model\": \"flux-schnell\"}" "$base/api/v1/generations"
done
while read -r done failed < <(finished); [ "$done" -lt "$count" ]; do sleep 0.05; done
ended=$(date +%s.%N)

awk -v n="$count" -v s="$started" -v e="$ended" -v f="$failed" 'BEGIN {
  printf "\nbuiltin generations, 1024x1024 + 256/512 thumbnails, 2 workers x 1 thread (%d cores)\n", '"$(nproc)"'
  printf "%d images in %.2f s: %.2f generations/s, %.0f ms each per worker (%d failed)\n\n", n, e - s, n / (e - s), 2000 * (e - s) / n, f
}'
