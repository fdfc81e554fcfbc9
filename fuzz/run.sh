#!/usr/bin/env bash
# Coverage-guided fuzzing of every kiln target (libFuzzer via cargo-fuzz, nightly).
#
#   fuzz/run.sh [RUNS | SECONDSs] [TARGET...]
#
#   fuzz/run.sh                 1,000,000 inputs per target (the default)
#   fuzz/run.sh 50000           50,000 inputs per target
#   fuzz/run.sh 120s router     two minutes of the router target
#
# Needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`.
# Each target starts from its committed seeds (fuzz/seeds/<target>/, read only)
# and grows a scratch corpus in fuzz/corpus/<target>/ (git-ignored). Crashes
# land in fuzz/artifacts/<target>/; reproduce one with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...`, fix it,
# add the input to fuzz/seeds/<target>/ (the stable replay test then keeps it
# fixed) and a regression test beside the code. Logs: fuzz/artifacts/logs/.
# KILN_FUZZ_MAX_SECONDS=N also stops each target after N seconds (whichever
# comes first). Environment: KILN_FUZZ_SANITIZER (default `none`: kiln and its parsers are
# safe Rust; `address` also checks the dependencies' unsafe code, ~2x slower).
set -uo pipefail
cd "$(dirname "$0")"

budget="${1:-1000000}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(router extract cors client_ip request_id files jwt macros)
fi
case "$budget" in
  *s) limit=(-max_total_time="${budget%s}") ;;
  *) limit=(-runs="$budget") ;;
esac
sanitizer="${KILN_FUZZ_SANITIZER:-none}"

# Debug assertions on (overflow checks included), optimized.
cargo +nightly fuzz build -a -s "$sanitizer" || exit 1

mkdir -p artifacts/logs
failed=0
printf '%-12s %12s %8s %s\n' target inputs seconds result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="artifacts/logs/$t.log"
  start=$(date +%s)
  cargo +nightly fuzz run -a -s "$sanitizer" "$t" "corpus/$t" "seeds/$t" -- \
    "${limit[@]}" ${KILN_FUZZ_MAX_SECONDS:+-max_total_time=$KILN_FUZZ_MAX_SECONDS} -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  status=$?
  secs=$(( $(date +%s) - start ))
  inputs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $status; see $log and artifacts/$t/)"
    failed=1
  fi
  printf '%-12s %12s %8s %s\n' "$t" "$inputs" "$secs" "$result"
done
exit "$failed"
