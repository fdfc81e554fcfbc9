#!/usr/bin/env bash
# Compile time of the same 40-route app in kiln and in axum
# (benches/buildtime/kiln-app, benches/buildtime/axum-app), medians over N runs.
#
# Per run, kiln and axum interleaved, with every dependency already built:
#   release   cargo clean --release -p APP; cargo build --release -p APP
#   check     cargo clean -p APP;           cargo check -p APP
#   edit      one handler's literal changed (then restored), then
#             cargo build --release -p APP   and   cargo check -p APP
#   no-op     cargo build --release -p APP with nothing to do (cargo's own overhead)
#   fresh     (only with --fresh; slow) cargo build --release -p APP in an empty
#             CARGO_TARGET_DIR: every dependency too
# Each figure is the wall time of the whole cargo command, so it is the app crate's
# own compile (rustc front end, codegen, link) plus cargo's overhead (the no-op row).
# Release builds are not incremental (cargo's default), checks are.
# Then the size of each release binary's .text and of the code attributed to the
# app crate (symbols whose demangled name mentions it, e.g. its handlers and every
# generic instance over its types).
#
# Usage: bash benches/buildtime.sh [--runs N] [--fresh] [--no-nice]
#   --runs N   runs per measurement (default 3)
#   --fresh    also time fully clean builds (minutes per run on 2 cores)
#   --no-nice  do not run cargo under `nice -n 10` (for a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
fresh=false
nice=(nice -n 10)
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --fresh) fresh=true; shift ;;
        --no-nice) nice=(); shift ;;
        *) echo "usage: bash benches/buildtime.sh [--runs N] [--fresh] [--no-nice]" >&2; exit 2 ;;
    esac
done

apps=(kiln-buildtime-app axum-buildtime-app)
declare -A edit_file=(
    [kiln-buildtime-app]=benches/buildtime/kiln-app/src/handlers/catalog.rs
    [axum-buildtime-app]=benches/buildtime/axum-app/src/handlers/catalog.rs
)
# The one line the edit changes: the body of the `health` handler.
marker='// benches/buildtime.sh changes this literal'

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
tmp=$(mktemp -d)
restore() {
    for app in "${apps[@]}"; do
        if [ -f "$tmp/$app.orig" ]; then cp "$tmp/$app.orig" "${edit_file[$app]}"; fi
    done
    rm -rf "$tmp"
}
trap restore EXIT
for app in "${apps[@]}"; do
    grep -q "$marker" "${edit_file[$app]}" || { echo "no edit marker in ${edit_file[$app]}" >&2; exit 1; }
    cp "${edit_file[$app]}" "$tmp/$app.orig"
done

declare -A times # "measure app" -> space-separated seconds

# timed MEASURE APP EXPECT cargo-args...: runs cargo, records its wall time, and
# fails unless its output shows EXPECT ("Compiling APP", "Checking APP" or "fresh").
timed() {
    local measure=$1 app=$2 expect=$3
    shift 3
    local start end
    start=$(date +%s.%N)
    if ! "${nice[@]}" cargo "$@" >"$tmp/log" 2>&1; then
        cat "$tmp/log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    if [ "$expect" = fresh ]; then
        if grep -q -e Compiling -e Checking "$tmp/log"; then
            echo "$measure $app: expected nothing to build:" >&2; cat "$tmp/log" >&2; exit 1
        fi
    elif ! grep -q "$expect" "$tmp/log"; then
        echo "$measure $app: expected '$expect':" >&2; cat "$tmp/log" >&2; exit 1
    fi
    times["$measure $app"]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') "
}

median() { # seconds... -> median
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "warming up: building every dependency (release and check)..." >&2
for app in "${apps[@]}"; do
    "${nice[@]}" cargo build --release -q -p "$app"
    "${nice[@]}" cargo check -q -p "$app"
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for ((run = 1; run <= runs; run++)); do
    echo "run $run/$runs" >&2
    for app in "${apps[@]}"; do
        "${nice[@]}" cargo clean -q --release -p "$app"
        timed release "$app" "Compiling $app" build --release -p "$app"
        timed noop "$app" fresh build --release -p "$app"
        "${nice[@]}" cargo clean -q -p "$app"
        timed check "$app" "Checking $app" check -p "$app"
        sed -i "s|\"ok[0-9]*\" $marker|\"ok$run\" $marker|" "${edit_file[$app]}"
        timed edit-release "$app" "Compiling $app" build --release -p "$app"
        timed edit-check "$app" "Checking $app" check -p "$app"
        cp "$tmp/$app.orig" "${edit_file[$app]}"
        if $fresh; then
            export CARGO_TARGET_DIR
            CARGO_TARGET_DIR=$(mktemp -d)
            timed fresh "$app" "Compiling $app" build --release -p "$app"
            rm -rf "$CARGO_TARGET_DIR"
            unset CARGO_TARGET_DIR
        fi
    done
done
# Leave release binaries of the unedited sources for the size table.
for app in "${apps[@]}"; do "${nice[@]}" cargo build --release -q -p "$app"; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

row() { # label measure
    local k a r
    # shellcheck disable=SC2086 # the recorded times are space-separated on purpose
    k=$(median ${times["$2 kiln-buildtime-app"]})
    # shellcheck disable=SC2086
    a=$(median ${times["$2 axum-buildtime-app"]})
    r=$(awk -v k="$k" -v a="$a" 'BEGIN { printf "%.2f", k / a }')
    printf '| %s | %s s | %s s | %s |\n' "$1" "$k" "$a" "$r"
}

echo
echo "Commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (dirty)'), $(rustc -V),"
echo "$(nproc) CPUs, load average $load_before → $load_after (1/5/15 min), $runs run(s), medians:"
echo
echo "| build (dependencies already built) | kiln | axum | kiln / axum |"
echo "| --- | ---: | ---: | ---: |"
row '`cargo build --release`, app crate clean' release
row '`cargo check`, app crate clean' check
row '`cargo build --release` after editing one handler' edit-release
row '`cargo check` after editing one handler' edit-check
row '`cargo build --release`, nothing to do' noop
if $fresh; then row '`cargo build --release`, empty target dir (all dependencies)' fresh; fi

text_size() { size -A "$1" | awk '$1 == ".text" { print $2 }'; }
app_code() { # binary crate -> "bytes symbols largest-bytes" of code naming the crate
    nm -C -t d --print-size --size-sort "$1" | awk -v c="$2" '
        ($3 == "t" || $3 == "T") && index($0, c "::") { n++; s += $2; m = $2 + 0 }
        END { printf "%d %d %d\n", s, n, m }'
}
echo
echo "| release binary | kiln | axum |"
echo "| --- | ---: | ---: |"
declare -A text code
for app in "${apps[@]}"; do
    text[$app]=$(text_size "$target_dir/release/$app")
    code[$app]=$(app_code "$target_dir/release/$app" "${app//-/_}")
done
read -r kb kn km <<<"${code[kiln-buildtime-app]}"
read -r ab an am <<<"${code[axum-buildtime-app]}"
printf '| `.text` of the whole binary | %s bytes | %s bytes |\n' "${text[kiln-buildtime-app]}" "${text[axum-buildtime-app]}"
printf '| code naming the app crate (functions) | %s bytes (%s) | %s bytes (%s) |\n' "$kb" "$kn" "$ab" "$an"
printf '| largest such function | %s bytes | %s bytes |\n' "$km" "$am"
