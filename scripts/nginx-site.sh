#!/usr/bin/env bash
# Renders Pictor's nginx config from nginx/site.conf.in (and, with --dev-state, the whole
# foreground nginx.conf from nginx/dev.conf.in that `make run` and the tests use).
#
#   scripts/nginx-site.sh --socket /run/pictor/pictor.sock --media /var/lib/pictor/media \
#       --listen 80 --server-name pictor.example.com > /etc/nginx/sites-available/pictor
#   scripts/nginx-site.sh --dev-state var/dev --socket … --media … --listen 127.0.0.1:8080
#       (writes var/dev/nginx.conf and var/dev/pictor-site.conf)
#   --socket may be given several times (a unix socket path, or host:port of a pool on another
#       host): nginx balances over the pools and skips one that fails (scaling out).
#   --tls-cert FILE --tls-key FILE serve HTTPS with HTTP/2 on 443 (--tls-listen to change it),
#       and redirect plain HTTP on --listen to it.
#   --keep-conn off renders a FastCGI connection per request instead of kept connections.
#   --rate-limits off leaves out the per-address limits on POST /login and /signup (for test
#       stacks whose every client is 127.0.0.1).
#   --link-secret-env FILE reads PICTOR_STORAGE_LINK_SECRET from FILE (KEY=value lines, the pool's
#       EnvironmentFile, e.g. /etc/pictor/pictor.env) and renders /private-media/, where nginx
#       serves private images at the links Pictor signs with it; the output then holds the secret.
#       Without it, pages link private images through the pool, as with no secret in Pictor.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sockets=()
media=/var/lib/pictor/media
listen=80
server_name=_
client_max_body=12m
keep_conn=on
rate_limits=on
state=
nginx_workers=1
access_log=off
link_secret_env=
tls_cert= tls_key= tls_listen=443

while [ $# -gt 0 ]; do
  case "$1" in
    --socket) sockets+=("$2"); shift 2 ;;
    --tls-cert) tls_cert=$2; shift 2 ;;
    --tls-key) tls_key=$2; shift 2 ;;
    --tls-listen) tls_listen=$2; shift 2 ;;
    --media) media=$2; shift 2 ;;
    --listen) listen=$2; shift 2 ;;
    --server-name) server_name=$2; shift 2 ;;
    --client-max-body) client_max_body=$2; shift 2 ;;
    --keep-conn) keep_conn=$2; shift 2 ;;
    --rate-limits) rate_limits=$2; shift 2 ;;
    --dev-state) state=$2; shift 2 ;;
    --nginx-workers) nginx_workers=$2; shift 2 ;;
    --access-log) access_log=$2; shift 2 ;;
    --link-secret-env) link_secret_env=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "nginx-site.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# The secret as Pictor reads it (the last assignment wins, quotes around it are dropped), and only
# in the form Pictor accepts: it goes inside a quoted nginx string, where `$` would be a variable.
link_secret=
if [ -n "$link_secret_env" ]; then
  link_secret=$(sed -n 's/^[[:space:]]*PICTOR_STORAGE_LINK_SECRET=//p' "$link_secret_env" | tail -n 1 | sed -e "s/^[\"']//" -e "s/[\"']$//")
  if ! [[ "$link_secret" =~ ^[A-Za-z0-9_-]{32,}$ ]]; then
    echo "nginx-site.sh: $link_secret_env must set PICTOR_STORAGE_LINK_SECRET to at least 32 letters, digits, - or _ (openssl rand -hex 32)" >&2
    exit 2
  fi
fi

[ ${#sockets[@]} -eq 0 ] && sockets=(/run/pictor/pictor.sock)
if { [ -n "$tls_cert" ] && [ -z "$tls_key" ]; } || { [ -z "$tls_cert" ] && [ -n "$tls_key" ]; }; then
  echo "nginx-site.sh: --tls-cert and --tls-key go together" >&2
  exit 2
fi

# One `server` line per pool. A pool that fails (refused, reset) is skipped for 5 s; a request
# not yet sent to it goes to another, POSTs included. With one pool nginx ignores both.
upstream_servers=""
for pool in "${sockets[@]}"; do
  address=$pool
  case "$pool" in /*|./*) address="unix:$pool" ;; esac
  upstream_servers+="    server $address max_fails=1 fail_timeout=5s;\n"
done

render_site() {
  local site_listen=$listen tls_filter='/#TLS/d'
  if [ -n "$tls_cert" ]; then
    site_listen="$tls_listen ssl http2"
    tls_filter='s/#TLS //'
  fi
  local keep_filter='/#KEEPCONN/d'
  [ "$keep_conn" = on ] && keep_filter='s/#KEEPCONN //'
  local limits_filter='/#LIMITS/d'
  [ "$rate_limits" = on ] && limits_filter='s/#LIMITS //'
  local signed_filter='/#SIGNED/d'
  [ -n "$link_secret" ] && signed_filter='s/#SIGNED //'
  sed -e "s|^ *@UPSTREAM_SERVERS@$|${upstream_servers%\\n}|" -e "s|@MEDIA@|$media|g" -e "s|@LISTEN@|$site_listen|g" \
      -e "s|@PLAIN_LISTEN@|$listen|g" -e "s|@TLS_CERT@|$tls_cert|g" -e "s|@TLS_KEY@|$tls_key|g" -e "$tls_filter" \
      -e "s|@SERVER_NAME@|$server_name|g" -e "s|@ROOT@|$root|g" \
      -e "s|@CLIENT_MAX_BODY@|$client_max_body|g" -e "$keep_filter" -e "$limits_filter" \
      -e "$signed_filter" -e "s|@LINK_SECRET@|$link_secret|g" "$root/nginx/site.conf.in"
}

if [ -z "$state" ]; then
  render_site
  exit 0
fi

state=$(mkdir -p "$state" && cd "$state" && pwd)
mkdir -p "$state/nginx-temp"
# Readable by its owner only: it may hold the link secret.
(umask 077; render_site > "$state/pictor-site.conf")
# nginx started by root runs its workers as `nobody`, who may not be able to read a checkout
# under /root; in this private dev setup they run as the user who started it.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
access_log_directive=off
[ "$access_log" != off ] && access_log_directive="$access_log pictor"
sed -e "s|@STATE@|$state|g" -e "s|@NGINX_WORKERS@|$nginx_workers|g" -e "s|@USER_LINE@|$user_line|g" \
    -e "s|@ACCESS_LOG@|$access_log_directive|g" "$root/nginx/dev.conf.in" > "$state/nginx.conf"
echo "$state/nginx.conf"
