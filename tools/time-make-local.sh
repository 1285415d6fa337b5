#!/usr/bin/env bash
# Seconds from `make local` to its banner, as docs/performance.md's first-run table measures it.
#   tools/time-make-local.sh                      # warm cache, fresh build directory
#   tools/time-make-local.sh DIR                  # the same build directory again: a restart
#   GOCACHE=$(mktemp -d) tools/time-make-local.sh # cold: an empty build cache (about two minutes)
# The stack listens on free ports, so a running `make local` is not disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-$(mktemp -d)}
log=$(mktemp)
start=$(date +%s.%N)
setsid make local BUILD_DIR="$build_dir" \
  LOCAL_FLAGS="-api-addr 127.0.0.1:0 -aws-addr 127.0.0.1:0 -dashboard 127.0.0.1:0" >"$log" 2>&1 &
pid=$!
trap 'kill -INT -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
until grep -q 'stack is up' "$log"; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f s to the banner\n", b - a }'
grep 'packages compiled$' "$log" || true
echo "build directory: $build_dir"
