#!/usr/bin/env bash
# Instructions per request, counted by callgrind: the one driver for every count.
#
#   bash benches/callgrind.sh chain          # every chain scenario (kiln, hand, boxed, tower, axum)
#   bash benches/callgrind.sh db [N]         # the `db` bench: kiln `Tx`, by hand in kiln, by hand in axum
#   bash benches/callgrind.sh gate           # CI's regression gate against callgrind-baseline.txt
#   bash benches/callgrind.sh gate --bless   # rewrite the baseline
#
# A count is (Ir(1 + N) - Ir(1)) / N: one process handling 1 request, one
# handling 1 + N, so start-up cancels out. `chain` and `gate` collect only inside
# `measured` (one request's handling; building the request and dropping the
# response are outside); `db` counts every thread (SQLite's worker included),
# so its thread hand-offs move a run slightly: run it twice to see by how much.
#
# The gate covers the kiln chains (0/1/5/10 middleware, 10 that do nothing) and
# every built-in's common path (the `builtins` bench's scenarios): a count more
# than 2% above its baseline, or a scenario added or gone, fails the run.
# Counts are deterministic for a given binary, so the gate holds on a noisy
# machine; they move with the compiler and the CPU (glibc and some crates pick
# code paths by CPU features), so against a baseline counted with another rustc
# or CPU model the gate only reports (and says to re-bless). A change that makes
# a path dearer on purpose re-blesses in the same commit and says why in its message.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
chain | db | gate) shift ;;
*)
    sed -n '4,7p' "$0" | sed 's/^# *//' >&2
    exit 2
    ;;
esac

if ! command -v valgrind >/dev/null; then
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bench_bin() { # bench name -> its release executable (cargo bench also builds the package's bins)
    local exe
    exe=$(cargo bench -q -p kiln-benches --bench "$1" --no-run --message-format=json 2>/dev/null |
        grep -F '"kind":["bench"]' | grep -F "\"name\":\"$1\"" |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
    [[ -n "$exe" ]] || { echo "callgrind: found no $1 bench binary" >&2; exit 1; }
    echo "$exe"
}
chain_bin() {
    cargo build --release -q -p kiln-benches --bin callgrind_chain
    local target_dir
    target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    echo "$target_dir/release/callgrind_chain"
}

collect=(--toggle-collect='*measured*')
ir() { # command... -> total Ir (inside `measured` unless `collect` is empty)
    valgrind --tool=callgrind "${collect[@]}" --callgrind-out-file="$tmp/out" "$@" \
        >/dev/null 2>"$tmp/log" || { cat "$tmp/log" >&2; return 1; }
    sed -n 's/^summary: //p' "$tmp/out" | awk '{print $1}'
}
per_request() { # name n command... (the command takes the request count last)
    local name=$1 n=$2
    shift 2
    local one many
    one=$(ir "$@" 1)
    many=$(ir "$@" $((n + 1)))
    awk -v s="$name" -v a="$one" -v b="$many" -v n="$n" 'BEGIN { printf "%s\t%.1f\n", s, (b - a) / n }'
}
table() { awk -F'\t' 'BEGIN { printf "%-28s %14s\n", "scenario", "instr/request" } { printf "%-28s %14s\n", $1, $2 }'; }

case "$mode" in
chain)
    bin=$(chain_bin)
    for s in $("$bin" list); do per_request "$s" 10000 "$bin" "$s"; done | table
    ;;
db)
    bin=$(bench_bin db)
    collect=()
    for s in kiln_tx kiln_by_hand axum_by_hand; do per_request "$s" "${1:-2000}" "$bin" --instructions "$s"; done | table
    ;;
gate)
    bless=false
    [[ "${1:-}" == "--bless" ]] && bless=true
    baseline=benches/callgrind-baseline.txt
    tolerance=2 # percent
    chain=$(chain_bin)
    builtins=$(bench_bin builtins)
    rustc_v=$(rustc --version)
    # The model and the features that choose code paths (memcpy, memchr, hashing).
    cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);$(
        for f in sse4_2 avx2 avx512f avx512bw erms fsrm; do
            # `if`, not `&&`: a missing last flag must not fail the substitution (`set -e`).
            if grep -qw "$f" /proc/cpuinfo; then printf ' %s' "$f"; fi
        done
    )"
    {
        for n in 0 1 5 10 empty-10; do per_request "chain/kiln-$n" 2000 "$chain" "kiln-$n"; done
        while read -r s; do per_request "builtin/$s" 2000 "$builtins" --instructions "$s"; done < <("$builtins" --list)
    } >"$tmp/now"
    if $bless; then
        { echo "# $rustc_v"; echo "# cpu: $cpu"; cat "$tmp/now"; } >"$baseline"
        echo "callgrind gate: wrote $baseline ($(wc -l <"$tmp/now") counts, $rustc_v, $cpu)"
        exit 0
    fi
    [[ -f "$baseline" ]] || { echo "callgrind gate: no $baseline; run with --bless" >&2; exit 1; }
    base_rustc=$(sed -n '1s/^# //p' "$baseline")
    base_cpu=$(sed -n 's/^# cpu: //p' "$baseline")
    strict=true
    if [[ "$base_rustc" != "$rustc_v" || "$base_cpu" != "$cpu" ]]; then
        strict=false
        echo "callgrind gate: the baseline was counted with '$base_rustc' on '$base_cpu',"
        echo "callgrind gate: this is '$rustc_v' on '$cpu': reporting only; re-bless here to gate again"
    fi
    awk -F'\t' -v tol="$tolerance" -v strict="$strict" '
        BEGIN { printf "%-44s %10s %10s %8s\n", "scenario", "instr/req", "baseline", "change" }
        NR == FNR { if ($0 !~ /^#/) base[$1] = $2; next }
        {
            now = $2
            if (!($1 in base)) { printf "%-44s %10.1f %10s %8s  new (bless it)\n", $1, now, "-", "-"; missing++; next }
            b = base[$1]; d = (now - b) / b * 100
            flag = d > tol ? "  REGRESSION" : (d < -tol ? "  cheaper (bless it)" : "")
            if (d > tol) bad++
            printf "%-44s %10.1f %10.1f %+7.2f%%%s\n", $1, now, b, d, flag
            seen[$1] = 1
        }
        END {
            for (k in base) if (!(k in seen)) { printf "%-44s %10s %10.1f  gone (bless it)\n", k, "-", base[k]; missing++ }
            if (bad > 0 && strict == "true") { printf "callgrind gate: %d count(s) grew by more than %d%%\n", bad, tol; exit 1 }
            if (missing > 0 && strict == "true") { printf "callgrind gate: the scenarios changed; re-bless\n"; exit 1 }
            print "callgrind gate: ok"
        }' "$baseline" "$tmp/now"
    ;;
esac
