#!/usr/bin/env bash
# The instruction-count regression gate that CI runs.
#
# Counts instructions per request under callgrind for the chain scenarios
# (kiln with 0/1/5/10 middleware, and 10 that do nothing) and for every
# built-in's common path (the `builtins` bench's scenarios), then compares
# them with `benches/callgrind-baseline.txt`: a count more than 2% above its
# baseline fails the run. Instruction counts are deterministic for a given
# binary, so the gate holds on a noisy machine; they do move with the
# compiler and with the CPU (glibc and some crates pick code paths by CPU
# features), so against a baseline counted with another rustc or CPU model
# the gate only reports (and says to re-bless) instead of failing.
#
#   bash benches/callgrind-gate.sh          # check against the baseline
#   bash benches/callgrind-gate.sh --bless  # rewrite the baseline
#
# A change that makes a path dearer on purpose re-blesses in the same commit
# and says why in the commit message.
set -euo pipefail
cd "$(dirname "$0")/.."

bless=false
[[ "${1:-}" == "--bless" ]] && bless=true
baseline=benches/callgrind-baseline.txt
tolerance=2 # percent
iters=2001

if ! command -v valgrind >/dev/null; then
    sudo=$([[ $(id -u) -eq 0 ]] || echo sudo)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq valgrind >/dev/null
fi

cargo build --release -q -p kiln-benches --bin callgrind_chain
builtins=$(cargo bench -q -p kiln-benches --bench builtins --no-run --message-format=json 2>/dev/null |
    grep -F '"kind":["bench"]' | grep -F '"name":"builtins"' |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[[ -n "$builtins" ]] || { echo "callgrind-gate: found no builtins bench binary" >&2; exit 1; }
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
chain="$target_dir/release/callgrind_chain"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() { # command... -> total Ir collected inside `measured`
    valgrind --tool=callgrind --toggle-collect='*measured*' \
        --callgrind-out-file="$tmp/out" "$@" >/dev/null 2>"$tmp/log" || {
        cat "$tmp/log" >&2
        return 1
    }
    sed -n 's/^summary: //p' "$tmp/out" | awk '{print $1}'
}

per_request() { # name command... (the command takes the iteration count last)
    local name=$1
    shift
    local one many
    one=$(ir "$@" 1)
    many=$(ir "$@" "$iters")
    awk -v n="$name" -v a="$one" -v b="$many" -v i="$iters" \
        'BEGIN { printf "%s\t%.1f\n", n, (b - a) / (i - 1) }'
}

rustc_v=$(rustc --version)
# The model and the features that choose code paths (memcpy, memchr, hashing).
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);$(
    for f in sse4_2 avx2 avx512f avx512bw erms fsrm; do
        grep -qw "$f" /proc/cpuinfo && printf ' %s' "$f"
    done
)"
{
    for n in 0 1 5 10 empty-10; do
        per_request "chain/kiln-$n" "$chain" "kiln-$n"
    done
    while read -r s; do
        per_request "builtin/$s" "$builtins" --instructions "$s"
    done < <("$builtins" --list)
} >"$tmp/now"

if $bless; then
    { echo "# $rustc_v"; echo "# cpu: $cpu"; cat "$tmp/now"; } >"$baseline"
    echo "callgrind-gate: wrote $baseline ($(wc -l <"$tmp/now") counts, $rustc_v, $cpu)"
    exit 0
fi

if [[ ! -f "$baseline" ]]; then
    echo "callgrind-gate: no $baseline; run with --bless" >&2
    exit 1
fi
base_rustc=$(sed -n '1s/^# //p' "$baseline")
base_cpu=$(sed -n 's/^# cpu: //p' "$baseline")
strict=true
if [[ "$base_rustc" != "$rustc_v" || "$base_cpu" != "$cpu" ]]; then
    strict=false
    echo "callgrind-gate: the baseline was counted with '$base_rustc' on '$base_cpu',"
    echo "callgrind-gate: this is '$rustc_v' on '$cpu': reporting only; re-bless here to gate again"
fi

awk -F'\t' -v tol="$tolerance" -v strict="$strict" '
    BEGIN { printf "%-44s %10s %10s %8s\n", "scenario", "instr/req", "baseline", "change" }
    NR == FNR { if ($0 !~ /^#/) base[$1] = $2; next }
    {
        now = $2; b = base[$1]
        if (b == "") { printf "%-44s %10.1f %10s %8s  new (bless it)\n", $1, now, "-", "-"; missing++; next }
        d = (now - b) / b * 100
        flag = d > tol ? "  REGRESSION" : (d < -tol ? "  cheaper (bless it)" : "")
        if (d > tol) bad++
        printf "%-44s %10.1f %10.1f %+7.2f%%%s\n", $1, now, b, d, flag
        seen[$1] = 1
    }
    END {
        for (k in base) if (!(k in seen)) { printf "%-44s %10s %10.1f  gone (bless it)\n", k, "-", base[k]; missing++ }
        if (bad > 0 && strict == "true") { printf "callgrind-gate: %d count(s) grew by more than %d%%\n", bad, tol; exit 1 }
        if (missing > 0 && strict == "true") { printf "callgrind-gate: the scenarios changed; re-bless\n"; exit 1 }
        print "callgrind-gate: ok"
    }' "$baseline" "$tmp/now"
