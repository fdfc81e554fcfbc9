#!/usr/bin/env bash
# Instructions per request of the `db` bench's scenarios (a SQLite write
# transaction with `SELECT 1`: kiln's `Tx`, by hand in kiln, by hand in axum),
# counted by callgrind over every thread (SQLite's worker included):
# (Ir(1 + N) - Ir(1)) / N. Thread hand-offs make a run vary slightly; run it
# twice to see by how much.
#
# Usage: bash benches/db-instructions.sh [N]   (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
if ! command -v valgrind >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
bin=$(cargo bench -q -p kiln-benches --bench db --no-run --message-format=json 2>/dev/null |
    grep -F '"kind":["bench"]' | grep -F '"name":"db"' |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[[ -n "$bin" ]] || { echo "db-instructions: found no db bench binary" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ir() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" --instructions "$1" "$2" \
        >/dev/null 2>"$tmp/log" || { cat "$tmp/log" >&2; return 1; }
    sed -n 's/^summary: //p' "$tmp/out" | awk '{print $1}'
}
printf '%-14s %14s\n' scenario instr/request
for s in kiln_tx kiln_by_hand axum_by_hand; do
    one=$(ir "$s" 1)
    many=$(ir "$s" $((n + 1)))
    awk -v s="$s" -v a="$one" -v b="$many" -v n="$n" 'BEGIN { printf "%-14s %14.1f\n", s, (b - a) / n }'
done
