#!/usr/bin/env bash
# Requests lost while workers recycle and the pool reloads, measured as a sysadmin would:
# CONNECTIONS (256) connections POSTing through nginx for DURATION (20) seconds, with
# server.max_requests (MAX_REQUESTS, 2000) low enough that every worker recycles every second
# or two, and a SIGHUP reload every RELOAD_EVERY (3) seconds. A POST is never retried by nginx,
# so a worker closing a connection nginx is writing to shows as a 502.
#
#   bench/recycling.sh        (PICTOR_BIN=.build/debug/pictor for a debug build)
#
# Prints the answers by status (the app's own answer to an unauthenticated POST is 401; any
# other status is a loss), the upstream errors nginx logged, and the recycles and reloads seen.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-20}
connections=${CONNECTIONS:-256}
reload_every=${RELOAD_EVERY:-3}
source bench/lib.sh
export PICTOR_SERVER_MAX_REQUESTS=${MAX_REQUESTS:-2000}

start_stack
start_nginx on
: > "$STATE/nginx-error.log"

# wrk sums requests, not statuses: each thread counts its own, and done() adds them up.
cat > "$STATE/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
  end
  for status, count in pairs(total) do io.write(string.format("status %d: %d\n", status, count)) end
  io.write(string.format("socket errors: %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

( while sleep "$reload_every"; do kill -HUP "$serve_pid"; done ) & reloader=$!
extra_pids+=("$reloader")
wrk -t2 -c"$connections" -d"${duration}s" -s "$STATE/post.lua" "$base/api/v1/generations" > "$STATE/recycling.out"
kill "$reloader"; wait "$reloader" 2>/dev/null || true
extra_pids=()

printf '\n%s connections POSTing for %ss, %s workers x %s threads, max_requests %s, SIGHUP every %ss\n\n' \
  "$connections" "$duration" "$PICTOR_SERVER_WORKERS" "$PICTOR_SERVER_THREADS" "$PICTOR_SERVER_MAX_REQUESTS" "$reload_every"
grep -E '^(Requests/sec|status|socket errors)' "$STATE/recycling.out" | sort
echo "worker recycles: $(grep -c 'is recycling' "$STATE/pictor.log" || true)"
echo "reloads: $(grep -c 'reloading' "$STATE/pictor.log" || true)"
echo "forced closes: $(grep -c 'kept connections nginx still held' "$STATE/pictor.log" || true)"
echo "nginx upstream errors: $(grep -c upstream "$STATE/nginx-error.log" || true)"
{ grep upstream "$STATE/nginx-error.log" || true; } | sed -E 's/^.*\[error\] [0-9]+#[0-9]+: \*[0-9]+ //; s/, client.*//' | sort | uniq -c | sort -rn | head -5
