#!/usr/bin/env bash
# A private PostgreSQL cluster for `make run`: data and socket under the project, nothing
# system-wide touched.   scripts/postgres.sh start|stop|status|url  (STATE=var/dev by default)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${STATE:-$root/var/dev}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "postgres.sh: PostgreSQL is not installed (run scripts/install-deps.sh)" >&2; exit 1; }

data=$state/postgres
socket_dir=$state/run
db_user=pictor
db_name=pictor

# PostgreSQL refuses to run as root: then it runs as the `postgres` system user, which needs
# to reach the state directory. A checkout under /root is out of its reach; use /var/tmp then.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  mkdir -p "$state"
  if ! runuser -u postgres -- test -x "$state"; then
    data=/var/tmp/pictor-$(printf %s "$root" | cksum | cut -d' ' -f1)/postgres
  fi
fi

url() { echo "postgresql:///$db_name?host=$socket_dir&user=$db_user"; }

start() {
  mkdir -p "$socket_dir" "$(dirname "$data")"
  if [ ${#as_pg[@]} -gt 0 ]; then chown postgres "$socket_dir"; fi
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    if [ ${#as_pg[@]} -gt 0 ]; then chown postgres "$data"; fi
    "${as_pg[@]}" "$pg_bin/initdb" -D "$data" -U "$db_user" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -l "$data/server.log" -w -s start \
      -o "-c listen_addresses='' -k $socket_dir -c max_connections=200"
  fi
  if ! "$pg_bin/psql" "postgresql:///postgres?host=$socket_dir&user=$db_user" -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
    "$pg_bin/createdb" -h "$socket_dir" -U "$db_user" "$db_name"
  fi
}

stop() {
  [ -s "$data/postmaster.pid" ] || return 0
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -w -s -m fast stop || true
}

status() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" status; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) echo "usage: scripts/postgres.sh start|stop|status|url" >&2; exit 2 ;;
esac
