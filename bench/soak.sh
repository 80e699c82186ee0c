#!/usr/bin/env bash
# Soak: SECONDS_PER_URL (120) seconds of wrk through nginx on each of the landing page, a
# signed-in /gallery and the JSON API, workers never recycled, then each worker's memory (RSS)
# after warm-up and at the end, and its open descriptors: RSS may grow less than 10%,
# descriptors not at all.
#
#   bench/soak.sh        (PICTOR_BIN=.build/debug/pictor for a debug build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${SECONDS_PER_URL:-120}
connections=${CONNECTIONS:-64}
source bench/lib.sh

start_stack
start_nginx on

# A user with 100 images (rows only, as bench/gallery.sh seeds them) and an API key.
email="soak-$RANDOM@example.com"
echo "long enough password" | "$bin" admin create-user --email "$email" >/dev/null
key=$("$bin" admin create-key --email "$email" --name soak)
"$psql" "$PICTOR_DATABASE_URL" -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO generations (user_id, batch_id, status, prompt, model, provider, width, height, seed, credit_cost,
                         image_key, thumb_key, thumb_large_key, created_at, completed_at)
SELECT u.id, gen_random_uuid(), 'succeeded', 'soak image ' || g || ' of a fox at dusk', 'flux-schnell', 'builtin',
       1024, 1024, g, 1, 'aa/' || md5(u.id || '-' || g) || '.png', 'aa/' || md5(u.id || '-' || g) || '-256.webp',
       'aa/' || md5(u.id || '-' || g) || '-512.webp', now() - g * interval '1 minute', now() - g * interval '1 minute'
FROM users u CROSS JOIN generate_series(1, 100) AS g WHERE u.email = '$email';
SQL
cookie_jar=$STATE/soak-cookies
csrf=$(curl -fsS -c "$cookie_jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -fsS -b "$cookie_jar" -c "$cookie_jar" -o /dev/null --data-urlencode "email=$email" \
  --data-urlencode "password=long enough password" --data-urlencode "csrf_token=$csrf" "$base/login"
session=$(awk '$6 == "pictor_session" {print $7}' "$cookie_jar")

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
run() {  # $1 seconds on each URL in turn
  for url in "/" "/gallery" "/api/v1/generations?limit=24"; do
    wrk -t2 -c"$connections" -d"$1s" -H "Cookie: pictor_session=$session" -H "Authorization: Bearer $key" "$base$url" \
      | grep -E "requests in|Non-2xx|Socket errors" | sed "s|^ *|  $url: |"
  done
}

echo "warm-up (10 s per URL)"
run 10
declare -A rss_before fds_before
for pid in $(pgrep -P "$serve_pid"); do rss_before[$pid]=$(rss "$pid"); fds_before[$pid]=$(fds "$pid"); done
echo "soak ($seconds s per URL)"
run "$seconds"
sleep 6   # nginx closes idle kept connections after 4 s
status=0
for pid in "${!rss_before[@]}"; do
  after=$(rss "$pid") fd_after=$(fds "$pid")
  growth=$(awk -v a="$after" -v b="${rss_before[$pid]}" 'BEGIN {printf "%.1f", (a - b) * 100 / b}')
  echo "worker $pid: RSS ${rss_before[$pid]} kB after warm-up, $after kB at the end ($growth%); descriptors ${fds_before[$pid]} → $fd_after"
  awk -v g="$growth" 'BEGIN {exit !(g >= 10)}' && { echo "soak: worker $pid grew $growth%" >&2; status=1; }
  [ "$fd_after" -gt "${fds_before[$pid]}" ] && { echo "soak: worker $pid holds more descriptors" >&2; status=1; }
done
exit $status
