#!/usr/bin/env bash
# Pictor's template engine beside swift-mustache 2.1.1 on the real gallery page (same template
# files, same 24 tiles): CPU microseconds per page on one core for each engine and context form,
# with every tile rendered and with the tiles' markup from the cache. Built from
# bench/MustacheCompare, a package of its own, so the app never depends on swift-mustache.
#
#   bench/templates-compare.sh                         (make bench runs it)
#   MEASURE_SECONDS=2 ROUNDS=5 bench/templates-compare.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
package=$root/bench/MustacheCompare

swift build -c release --package-path "$package" --product mustache-compare
bin=$(swift build -c release --package-path "$package" --show-bin-path)/mustache-compare
taskset -c 0 "$bin" "$root/templates" "${MEASURE_SECONDS:-1}" "${ROUNDS:-3}"
