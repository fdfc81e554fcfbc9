#!/usr/bin/env bash
# Instructions per request of kiln::serve (HTTP/1.1 keep-alive GET / on one
# connection), from callgrind totals at two request counts:
#   (Ir(2200) - Ir(200)) / 2000
# Usage: bash benches/serve_cost/run.sh   (needs valgrind and python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
nice -n 10 cargo build --release --offline --manifest-path "$here/Cargo.toml" >&2
bin="$CARGO_TARGET_DIR/release/serve-cost"
total() { # N PORT
    local out="$CARGO_TARGET_DIR/callgrind.$2"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" >/dev/null 2>&1 &
    local server=$!
    python3 "$here/client.py" "$2" "$1"
    wait "$server"
    # Reads all of it: an early exit would SIGPIPE callgrind_annotate (pipefail).
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}
for round in 1 2; do
    small=$(total 200 $((47400 + round)))
    large=$(total 2200 $((47500 + round)))
    echo "round $round: $(( (large - small) / 2000 )) instructions per request"
done
