#!/usr/bin/env bash
# `make run`: Pictor on http://127.0.0.1:$PORT with its own PostgreSQL, nginx and FastCGI pool.
# Everything lives under var/dev; Ctrl-C stops it all.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-8080}
export STATE=${STATE:-$root/var/dev}
bin=${PICTOR_BIN:-$root/.build/release/pictor}

mkdir -p "$STATE/media/public" "$STATE/media/private" "$STATE/run"
export PICTOR_CONFIG=${PICTOR_CONFIG:-$root/pictor.conf}
export PICTOR_DATABASE_URL=${PICTOR_DATABASE_URL:-$(scripts/postgres.sh url)}
export PICTOR_SERVER_LISTEN=$STATE/run/pictor.sock
export PICTOR_SERVER_LISTEN_MODE=0666
export PICTOR_PATHS_MEDIA=$STATE/media
export PICTOR_PATHS_TEMPLATES=$root/templates
export PICTOR_PATHS_PUBLIC=$root/public
export PICTOR_PATHS_MIGRATIONS=$root/sql
export PICTOR_PATHS_COMMON_PASSWORDS=$root/data/common-passwords.txt
export PICTOR_MODERATION_BLOCKLIST=${PICTOR_MODERATION_BLOCKLIST:-$root/data/moderation-blocklist.txt}
export PICTOR_SITE_PUBLIC_URL=${PICTOR_SITE_PUBLIC_URL:-http://127.0.0.1:$port}
# The secret private images' links are signed with (Pictor) and checked with (nginx): made once,
# kept with the rest of the dev state, so links in open pages survive a restart.
if [ ! -s "$STATE/pictor.env" ]; then
  (umask 077; echo "PICTOR_STORAGE_LINK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n")" > "$STATE/pictor.env")
fi
export PICTOR_STORAGE_LINK_SECRET=$(sed -n 's/^PICTOR_STORAGE_LINK_SECRET=//p' "$STATE/pictor.env")

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "stopping…" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/postgres.sh stop
}
trap stop_all INT TERM EXIT

scripts/postgres.sh start
"$bin" migrate

conf=$(scripts/nginx-site.sh --dev-state "$STATE" --socket "$PICTOR_SERVER_LISTEN" \
  --media "$STATE/media" --listen "127.0.0.1:$port" --access-log "$STATE/nginx-access.log" \
  --link-secret-env "$STATE/pictor.env")
"$bin" serve & pids+=($!)
"$bin" worker & pids+=($!)
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$STATE" -c "$conf" & pids+=($!)

# Wait until the pool answers through nginx before saying where to go.
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  sleep 0.1
done
cat <<MSG

  Pictor is running: http://127.0.0.1:$port/
  (logs: pictor below, nginx in $STATE/nginx-*.log; Ctrl-C stops everything)

MSG
wait -n "${pids[@]}" || true
