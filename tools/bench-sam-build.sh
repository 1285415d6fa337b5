#!/usr/bin/env bash
# sam build's work for the three functions: the Makefile's build-<LogicalId> targets, arm64.
# Slow: two cold builds of the AWS SDK for arm64. Prints four timings with the load average.
set -e
cd "$(dirname "$0")/.."
out=$(mktemp -d)
run_seq() { for fn in StartFunction StatusFunction Ec2ToggleFunction; do make -s build-$fn ARTIFACTS_DIR=$out/$fn; done; }
run_par() { make -s -j3 build-StartFunction build-StatusFunction build-Ec2ToggleFunction ARTIFACTS_DIR=$out/par; }
t() { local s=$(date +%s.%N); "$@"; local e=$(date +%s.%N); printf '%s %.1f s (load %s)\n' "$*" "$(echo "$e - $s" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"; }
export GOCACHE=$(mktemp -d)
t run_seq            # cold
t run_seq            # warm
export GOCACHE=$(mktemp -d)
t run_par            # cold
t run_par            # warm
rm -rf "$out"
