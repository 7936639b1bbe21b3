#!/usr/bin/env bash
# Fuzzes one libFuzzer target for a bounded time (meson suite `fuzz`).
# Usage: run-fuzz.sh TARGET SEED_DIR WORK_DIR
# Runs the checked-in seeds first (each one a regression test), then
# mutates for GWS_FUZZ_SECONDS (default 20). New inputs go to WORK_DIR (in
# the build tree, kept between local runs); a crash, leak, timeout or
# broken invariant is written to WORK_DIR/../artifacts/ and fails the test.
# Add a reproducer to SEED_DIR once its bug is fixed.
set -euo pipefail
target=$1 seeds=$2 work=$3
name=$(basename "$target")
secs=${GWS_FUZZ_SECONDS:-20}
artifacts=$(dirname "$work")/artifacts
mkdir -p "$work" "$artifacts"
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/../sanitizers/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" "$work" "$seeds"
