#!/usr/bin/env bash
# The template engine alone: renders the real gallery page (24 tiles, built the way
# GalleryPages builds them) in a loop on one core and prints microseconds per page, and how
# much of that is building the values. The /gallery figures of bench/gallery.sh include this.
#
#   bench/templates.sh                       builds template-bench (release) and runs it
#   RENDERS=50000 bench/templates.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -z "${BENCH_BIN:-}" ]; then
  swift build -c release --product template-bench
  BENCH_BIN=$(swift build -c release --show-bin-path)/template-bench
fi
taskset -c 0 "$BENCH_BIN" "$root/templates" "${RENDERS:-20000}"
