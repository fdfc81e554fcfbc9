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
# Then the size of each release binary's .text and of the code compiled in the
# app crate itself (see "Sizes" below).
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

# Sizes: rebuild each app once more keeping its object files (`-C save-temps`
# on the app crate only, so no dependency rebuilds), then read the binary's
# `.text` and the `.text` sections of the objects the app crate's own codegen
# units produced (after thin local LTO): the code generated for the app,
# including every generic instance it instantiated (kiln's pipelines, axum's
# handler and layer services), but not its dependencies' own code.
echo "sizes: rebuilding each app with -C save-temps..." >&2
text_sum() { size -A "$@" | awk '$1 ~ /^\.text/ { s += $2 } END { print s }'; }
declare -A text objs largest fns
for app in "${apps[@]}"; do
    crate=${app//-/_}
    "${nice[@]}" cargo clean -q --release -p "$app"
    "${nice[@]}" cargo rustc -q --release -p "$app" --bin "$app" -- -C save-temps
    text[$app]=$(text_sum "$target_dir/release/$app")
    shopt -s nullglob
    o=("$target_dir/release/deps/$crate"-*.rcgu.o)
    objs[$app]=$(text_sum "${o[@]}")
    read -r "fns[$app]" "largest[$app]" < <(nm -t d --print-size --size-sort "${o[@]}" 2>/dev/null |
        awk '$3 == "t" || $3 == "T" { n++; m = ($2 + 0 > m) ? $2 + 0 : m } END { print n, m }')
    rm -f "$target_dir/release/deps/$crate"-*.rcgu.*
    shopt -u nullglob
done

echo
echo "| release build | kiln | axum | kiln / axum |"
echo "| --- | ---: | ---: | ---: |"
size_row() { # label kiln axum [unit]
    printf '| %s | %s%s | %s%s | %s |\n' "$1" "$2" "${4:+ $4}" "$3" "${4:+ $4}" "$(awk -v k="$2" -v a="$3" 'BEGIN { printf "%.2f", k / a }')"
}
k=kiln-buildtime-app a=axum-buildtime-app
size_row '`.text` of the binary' "${text[$k]}" "${text[$a]}" bytes
size_row '`.text` compiled in the app crate' "${objs[$k]}" "${objs[$a]}" bytes
size_row 'functions compiled in the app crate' "${fns[$k]}" "${fns[$a]}"
size_row 'largest of them' "${largest[$k]}" "${largest[$a]}" bytes
