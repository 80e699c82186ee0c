#!/usr/bin/env bash
# The gallery at scale: seeds 100 users × 100 generations and one user with 20,000, then
# runs wrk against /gallery (logged in) and /api/v1/generations through nginx, beside a static
# file of the same size in the same run, for a 100-image user and the 20,000-image user.
# Prints requests/s, p99, the dynamic/static ratio, one private thumbnail at the signed link a
# gallery page gives (nginx alone) beside the same file through the pool's owner-checked route,
# and the query plans of the gallery's statements.
#
#   bench/gallery.sh            (make bench runs it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
source bench/lib.sh
sql() { "$psql" "$PICTOR_DATABASE_URL" -v ON_ERROR_STOP=1 -qtA "$@"; }

start_stack
start_nginx off

# Two people who log in; the others exist only as rows.
for who in small large; do
  printf '%s\n' "bench password" | "$bin" admin create-user --email "$who-$$@example.com" >/dev/null
done
sql <<SQL
INSERT INTO users (email, password_hash)
SELECT 'seed-' || n || '-$$@example.com', 'scrypt\$16384\$8\$1\$x\$y' FROM generate_series(1, 99) AS n;
INSERT INTO generations (user_id, batch_id, status, prompt, model, provider, width, height, seed, credit_cost,
                         image_key, thumb_key, thumb_large_key, created_at, completed_at)
SELECT u.id, gen_random_uuid(), 'succeeded',
       'seeded image ' || g || ' of a ' || (ARRAY['fox','whale','lighthouse','forest','city'])[1 + g % 5] || ' at dusk',
       'flux-schnell', 'builtin', 1024, 1024, g, 1,
       'aa/' || md5(u.id || '-' || g) || '.png', 'aa/' || md5(u.id || '-' || g) || '-256.webp',
       'aa/' || md5(u.id || '-' || g) || '-512.webp', now() - g * interval '1 minute', now() - g * interval '1 minute'
FROM users u
CROSS JOIN LATERAL generate_series(1, CASE WHEN u.email LIKE 'large-%' THEN 20000 ELSE 100 END) AS g;
VACUUM (ANALYZE);  -- as a long-running deployment is: autovacuum would otherwise start mid-run
SQL
echo "seeded: $(sql -c "SELECT count(*) FROM users") users, $(sql -c "SELECT count(*) FROM generations") generations"

# A logged-in session for each person, the way a browser gets one.
login() {
  local jar="$STATE/cookies-$1" token
  rm -f "$jar"
  token=$(curl -fsS -c "$jar" -b "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "email=$1-$$@example.com" \
    --data-urlencode "password=bench password" --data-urlencode "csrf_token=$token" "$base/login"
  awk '$6 == "pictor_session" {print $7}' "$jar"
}

printf '\nGallery through nginx, %s connections, %ss per run (%s cores)\n\n' "$connections" "$duration" "$(nproc)"
printf '%-34s %12s %10s %14s %8s\n' "endpoint" "requests/s" "p99" "static req/s" "ratio"
for who in small large; do
  session=$(login "$who")
  key=$("$bin" admin create-key --email "$who-$$@example.com" --name bench)
  for path in /gallery /api/v1/generations; do
    if [ "$path" = /gallery ]; then auth="Cookie: pictor_session=$session"; else auth="Authorization: Bearer $key"; fi
    twin="twin-$who$(tr '/' '_' <<<"$path").html"
    curl -fsS -H "$auth" "$base$path" -o "$STATE/media/public/$twin"
    read -r rps p99 < <(measure "$base$path" -H "$auth")
    read -r srps _ < <(measure "$base/media/$twin")
    ratio=$(awk -v a="$rps" -v b="$srps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    printf '%-34s %12s %10s %14s %8s\n' "$path ($who user)" "$rps" "$p99" "$srps" "$ratio"
  done
done

# One private thumbnail as the small user's gallery links it (a signed /private-media/ link that
# nginx checks and serves alone) and through /generations/{id}/thumbnail (a pool request: the
# session and owner check, then X-Accel-Redirect). The seeded rows have no files: this one gets
# 12 KB, about a 256 px WebP thumbnail.
session=$(login small)
IFS='|' read -r thumb_id thumb_key < <(sql -c "SELECT g.id, g.thumb_key FROM generations g JOIN users u ON u.id = g.user_id
  WHERE u.email = 'small-$$@example.com' ORDER BY g.created_at DESC, g.id DESC LIMIT 1")
mkdir -p "$STATE/media/private/$(dirname "$thumb_key")"
head -c 12288 /dev/urandom > "$STATE/media/private/$thumb_key"
signed=$(curl -fsS -H "Cookie: pictor_session=$session" "$base/gallery" | grep -o "/private-media/$thumb_key?[^\" ]*" | head -n 1 | sed 's/&amp;/\&/g')
[ -n "$signed" ] || { echo "bench: the gallery links no signed thumbnail" >&2; exit 1; }
read -r signed_rps signed_p99 < <(measure "$base$signed")
read -r pool_rps pool_p99 < <(measure "$base/generations/$thumb_id/thumbnail" -H "Cookie: pictor_session=$session")
printf '\n%-34s %12s %10s\n' "private thumbnail (12 KB)" "requests/s" "p99"
printf '%-34s %12s %10s\n' "signed link, nginx alone" "$signed_rps" "$signed_p99" "pool route, owner check" "$pool_rps" "$pool_p99"
awk -v a="$signed_rps" -v b="$pool_rps" 'BEGIN { printf "signed link / pool route: %.1fx\n", a / b }'

# The plans of the statements the gallery runs (as Pictor sends them: one per filter combination,
# naming the user through the session, in the same round trip as the session lookup).
large_id=$(sql -c "SELECT id FROM users WHERE email = 'large-$$@example.com'")
columns="g.id, g.prompt, g.created_at"
plan() {
  echo
  echo "$1"
  sql -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $2"
}
# A page's statement is prepared once per connection and runs with its generic plan.
generic_plan() {
  echo
  echo "$1"
  sql -c "SET plan_cache_mode = force_generic_plan" -c "PREPARE page(bytea) AS $2" \
      -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) EXECUTE page(sha256(convert_to('$session', 'UTF8')))"
}
owner="g.user_id = (SELECT s.user_id FROM sessions s WHERE s.token_hash = \$1 AND s.expires_at > now())"
generic_plan "Query plan of the first gallery page of the 20,000-image user:" \
  "SELECT $columns FROM generations g WHERE $owner ORDER BY g.created_at DESC, g.id DESC LIMIT 25"
IFS='|' read -r deep_at deep_id < <(sql -c "SELECT created_at, id FROM generations WHERE user_id = $large_id
  ORDER BY created_at DESC, id DESC OFFSET 15000 LIMIT 1")
generic_plan "Query plan of a page 15,000 images deep in the same gallery (keyset cursor, no OFFSET):" \
  "SELECT $columns FROM generations g WHERE $owner AND (g.created_at, g.id) < ('$deep_at', '$deep_id')
   ORDER BY g.created_at DESC, g.id DESC LIMIT 25"
# Searches are planned for their words and their user, after the session lookup (a common word
# walks the date index, a rare one the GIN index).
plan "Query plan of a search of the same gallery for a common word (one prompt in five):" \
  "SELECT $columns FROM generations g WHERE g.user_id = $large_id AND g.prompt_tsv @@ plainto_tsquery('simple', 'whale')
   ORDER BY g.created_at DESC, g.id DESC LIMIT 25"
plan "Query plan of a search of the same gallery for a rare word (one prompt):" \
  "SELECT $columns FROM generations g WHERE g.user_id = $large_id AND g.prompt_tsv @@ plainto_tsquery('simple', '12345')
   ORDER BY g.created_at DESC, g.id DESC LIMIT 25"
