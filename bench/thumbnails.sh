#!/usr/bin/env bash
# Thumbnail speed of Pictor's Imaging module against vipsthumbnail, on the same files, in the
# same run, pinned to one core, so the ratio means something on any machine.
#
#   bench/thumbnails.sh                      builds imaging-bench (release) and runs it
#   RUNS=50 BENCH_BIN=/path/to/imaging-bench bench/thumbnails.sh
#   STAGES=1 bench/thumbnails.sh             also prints where the milliseconds go
#
# Inputs are made fresh: a 1024x1024 builtin-generator PNG and a noisy photo-like plasma
# fractal. Pictor is timed in process (what a worker pays per image) and as a whole process;
# vipsthumbnail, which makes one size per run, is timed per process for -s 512 and -s 256.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-50}

if ! command -v vipsthumbnail >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing libvips-tools (the reference, only needed for this benchmark)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends libvips-tools >/dev/null
fi

if [ -z "${BENCH_BIN:-}" ]; then
  swift build -c release --product imaging-bench
  BENCH_BIN=$(swift build -c release --show-bin-path)/imaging-bench
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VIPS_CONCURRENCY=1  # vips would otherwise start a thread per core

taskset -c 0 "$BENCH_BIN" compare "$work" "$runs" "$(command -v vipsthumbnail)"
if [ -n "${STAGES:-}" ]; then
  for file in "$work/builtin.png" "$work/plasma.png"; do
    taskset -c 0 "$BENCH_BIN" stages "$file" 20
  done
fi
