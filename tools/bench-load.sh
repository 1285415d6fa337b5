#!/usr/bin/env bash
# Load run against the offline stack: POST /express-instance end to end (API → start Lambda → Step
# Functions → ec2toggle Lambda → EC2 → back), instant instance transitions. Loopback only, bounded.
# The stack is this script's own, on free ports: it never measures whatever else answers somewhere.
# Usage: tools/bench-load.sh <build-dir>   (make bench-load runs it; <build-dir>/bin holds the tools)
set -euo pipefail
build_dir=${1:?build dir}
bin=$build_dir/bin

log=$(mktemp)
ready=$(mktemp -u)
"$bin/stepgate-local" -build-dir "$build_dir" -api-addr 127.0.0.1:0 -aws-addr 127.0.0.1:0 -dashboard "" -transition 0 -quiet \
  -ready-file "$ready" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$ready"' EXIT
# The ready file is written by the stack started above once it serves, with its own URLs.
for _ in $(seq 300); do
  [ -s "$ready" ] && break
  kill -0 $pid 2>/dev/null || { echo "the offline stack did not start:"; cat "$log"; exit 1; }
  sleep 0.1
done
[ -s "$ready" ] || { echo "the offline stack did not get ready within 30 s:"; cat "$log"; exit 1; }
api=$(sed -E 's/.*"apiUrl":"([^"]+)".*/\1/' "$ready")

body='{"instance_id":"i-0123456789abcdef0"}'
echo "== one client, 2000 toggles ($api)"
"$bin/loadgen" -url "$api/express-instance" -method POST -body "$body" -c 1 -n 2000 -warmup 50 -expect 200 -pid "$pid"
echo
echo "== 16 clients, 20000 toggles"
"$bin/loadgen" -url "$api/express-instance" -method POST -body "$body" -c 16 -n 20000 -warmup 200 -expect 200 -pid "$pid"
