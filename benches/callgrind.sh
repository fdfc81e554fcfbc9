#!/usr/bin/env bash
# Instructions per request for every scenario, counted by callgrind.
#
# For each scenario, runs `callgrind_chain SCENARIO 1` and `... 10001` with
# collection on only inside `measured` (one request's handling; request
# building and response dropping are outside), then prints
# (Ir(10001) - Ir(1)) / 10000. Deterministic for a given binary.
#
# Usage: bash benches/callgrind.sh   (from anywhere in the workspace)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

cargo build --release -q -p kiln-benches --bin callgrind_chain
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/callgrind_chain"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() { # scenario iterations -> total Ir collected inside `measured`
    valgrind --tool=callgrind --toggle-collect='*measured*' \
        --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" >/dev/null 2>"$tmp/log"
    sed -n 's/^summary: //p' "$tmp/out" | awk '{print $1}'
}

printf '%-16s %14s\n' scenario instr/request
for s in $("$bin" list); do
    one=$(ir "$s" 1)
    many=$(ir "$s" 10001)
    awk -v s="$s" -v a="$one" -v b="$many" 'BEGIN { printf "%-16s %14.1f\n", s, (b - a) / 10000 }'
done
