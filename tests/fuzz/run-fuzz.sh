#!/usr/bin/env bash
# Fuzzes one libFuzzer target for a bounded time (meson suite `fuzz`).
# Usage: run-fuzz.sh TARGET SEED_DIR WORK_DIR [OPTION...]
# (an OPTION starting with "-" is a libFuzzer flag, others ASan options)
# Runs the checked-in seeds first (each one a regression test), then
# mutates for GWS_FUZZ_SECONDS (default 20). New inputs go to WORK_DIR (in
# the build tree, kept between local runs); a crash, leak, timeout or
# broken invariant is written to WORK_DIR/../artifacts/ and fails the test.
# Add a reproducer to SEED_DIR once its bug is fixed. libFuzzer's own exit
# code for a crash is 77, which meson reads as "skipped": every failure
# exits 1 here.
set -euo pipefail
target=$1 seeds=$2 work=$3
shift 3
name=$(basename "$target")
secs=${GWS_FUZZ_SECONDS:-20}
artifacts=$(dirname "$work")/artifacts
mkdir -p "$work" "$artifacts"
here=$(cd "$(dirname "$0")" && pwd)
# Our own options, not the sanitizer test setup's (full malloc stacks cost
# fuzzing speed): a target that needs more passes them (whip-server:
# GStreamer's quark table, see tests/sanitizers/lsan.supp).
ASAN_OPTIONS=detect_leaks=1
flags=()
for o in "$@"; do
  case $o in -*) flags+=("$o") ;; *) ASAN_OPTIONS=$ASAN_OPTIONS:$o ;; esac
done
export ASAN_OPTIONS
export LSAN_OPTIONS=suppressions=$here/../sanitizers/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$here/../sanitizers/ubsan.supp
start=$(mktemp)
trap 'rm -f "$start"' EXIT
rc=0
"$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$artifacts/$name-" "${flags[@]}" "$work" "$seeds" || rc=$?
if [ "$rc" -ne 0 ]; then
  # The input that failed, small enough to carry in a log line (CI shows
  # only the end of its output; tests/summarize.py repeats this line).
  newest=$(find "$artifacts" -name "$name-*" -newer "$start" | head -n 1)
  if [ -n "$newest" ]; then
    echo "reproducer $(basename "$newest") ($(stat -c %s "$newest") bytes)," \
      "base64: $(head -c 150 "$newest" | base64 -w 0)" >&2
  fi
  exit 1
fi
