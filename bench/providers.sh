#!/usr/bin/env bash
# Provider calls in flight: COUNT jobs (256 by default) queued at once for a model whose
# OpenAI-compatible provider (bench/fake-image-api.py) answers each call after DELAY seconds (2),
# then ONE `pictor worker` process started; timed from its start to the last job settled. Also
# reports the most PostgreSQL connections the worker held at any moment (sampled every 50 ms).
# Target (issue: providers): 256 jobs in under 40 s with at most 4 connections.
#
#   bench/providers.sh            (make bench runs it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${COUNT:-256}
delay=${DELAY:-2}
source bench/lib.sh
export PICTOR_GENERATION_REQUESTS_PER_MINUTE=100000
fake_port=$((port + 1))

# The shipped config plus one model on the fake provider.
export PICTOR_CONFIG=$STATE/pictor-providers.conf
{ cat "$root/pictor.conf"; printf '\n[model.bench-remote]\nprovider = fake\ncost = 1\nsizes = 1024x1024\n'
  printf '\n[provider.fake]\ntype = openai\nurl = http://127.0.0.1:%s\n' "$fake_port"; } >"$PICTOR_CONFIG"

python3 bench/fake-image-api.py "$fake_port" "$delay" & extra_pids+=($!)
start_stack
start_nginx on
email="bench-$$@example.com"
printf '%s\n' "bench password" | "$bin" admin create-user --email "$email" >/dev/null
"$bin" admin grant --email "$email" --amount "$count" --reason "benchmark" >/dev/null
key=$("$bin" admin create-key --email "$email" --name bench)

# Queue every job before the worker starts: four images a request.
for i in $(seq 1 $((count / 4))); do
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d "{\"prompt\": \"remote image batch $i\", \"model\": \"bench-remote\", \"count\": 4}" "$base/api/v1/generations"
done

settled() {
  "$psql" "$PICTOR_DATABASE_URL" -tAc \
    "SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed')) || ' ' || count(*) FILTER (WHERE status = 'failed')
            || ' ' || (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bench-worker') FROM generations"
}

started=$(date +%s.%N)
PICTOR_DATABASE_URL="$PICTOR_DATABASE_URL&application_name=bench-worker" "$bin" worker \
  2>"$STATE/worker.log" & extra_pids+=($!)
peak=0
while read -r done failed connections < <(settled); [ "$done" -lt "$count" ]; do
  [ "$connections" -gt "$peak" ] && peak=$connections
  sleep 0.05
done
ended=$(date +%s.%N)

awk -v n="$count" -v s="$started" -v e="$ended" -v f="$failed" -v p="$peak" -v d="$delay" 'BEGIN {
  printf "\nremote provider answering after %s s, one pictor worker (%d cores), 1024x1024 + thumbnails\n", d, '"$(nproc)"'
  printf "%d jobs in %.2f s: %.2f jobs/s, %.1f calls in flight on average (%d failed)\n", n, e - s, n / (e - s), n * d / (e - s), f
  printf "peak PostgreSQL connections of the worker: %d\n\n", p
}'
