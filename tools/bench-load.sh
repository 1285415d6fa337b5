#!/usr/bin/env bash
# Load run against the offline stack: POST /express-instance end to end (API → start Lambda → Step
# Functions → ec2toggle Lambda → EC2 → back), instant instance transitions. Loopback only, bounded.
# Usage: tools/bench-load.sh <build-dir>   (make bench-load runs it)
set -euo pipefail
build_dir=${1:?build dir}
tools=build/tools
mkdir -p "$tools"
go build -o "$tools/stepgate-local" ./cmd/stepgate-local
go build -o "$tools/loadgen" ./cmd/loadgen

api=127.0.0.1:3100
aws=127.0.0.1:4666
log=$(mktemp)
"$tools/stepgate-local" -build-dir "$build_dir" -api-addr "$api" -aws-addr "$aws" -dashboard "" -transition 0 -quiet >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://$api/" && break
  sleep 0.1
done

body='{"instance_id":"i-0123456789abcdef0"}'
echo "== one client, 2000 toggles"
"$tools/loadgen" -url "http://$api/express-instance" -method POST -body "$body" -c 1 -n 2000 -warmup 50 -expect 200 -pid "$pid"
echo
echo "== 16 clients, 20000 toggles"
"$tools/loadgen" -url "http://$api/express-instance" -method POST -body "$body" -c 16 -n 20000 -warmup 200 -expect 200 -pid "$pid"
