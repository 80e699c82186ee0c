#!/usr/bin/env bash
# FastCGI edge fuzz for DURATION (180) seconds: random and mutated records straight to the
# pool's socket and malformed HTTP through nginx (bench/fuzz-fastcgi.py), then checks that no
# worker crashed and that no worker holds more descriptors than before (SEED to replay a run).
#
#   bench/fuzz.sh        (PICTOR_BIN=.build/debug/pictor for a debug build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-180}
seed=${SEED:-$RANDOM}
source bench/lib.sh

start_stack
start_nginx on

workers() { pgrep -P "$serve_pid" | sort; }
descriptors() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
declare -A before
for pid in $(workers); do before[$pid]=$(descriptors "$pid"); done

python3 bench/fuzz-fastcgi.py --socket "$PICTOR_SERVER_LISTEN" --http "127.0.0.1:$port" --seconds "$duration" --seed "$seed"
sleep 6   # nginx closes its idle kept connections after 4 s

status=0
if grep -E "died|did not stop" "$STATE/pictor.log"; then echo "fuzz: a worker crashed" >&2; status=1; fi
for pid in "${!before[@]}"; do
  [ -d "/proc/$pid" ] || continue   # recycled meanwhile
  after=$(descriptors "$pid")
  echo "worker $pid: ${before[$pid]} descriptors before, $after after"
  # Each thread may have opened its PostgreSQL connection meanwhile; a leak would be hundreds.
  if [ "$after" -gt $((before[$pid] + PICTOR_SERVER_THREADS)) ]; then echo "fuzz: worker $pid leaks descriptors" >&2; status=1; fi
done
exit $status
