#!/usr/bin/env bash
# tests/fuzz/run.sh: runs each libFuzzer target in a build dir for ${FUZZ_SECONDS:-30} seconds
# on a temporary copy of its seed corpus (the checked-in corpus is never modified).
# Usage: tests/fuzz/run.sh <build-dir>   (configure it with CXX=clang++-14 ... -Dfuzz=true)
# A target passes if it exits 0 without a crash. Crash inputs are kept in
# <build-dir>/fuzz-artifacts/. The last line printed is always "N passed, N failed"; the exit
# status is 0 only if every target passed.
set -u
build=${1:?usage: run.sh <build-dir>}
secs=${FUZZ_SECONDS:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
passed=0
failed=0
for pair in fuzz_request_parser:request fuzz_reply_reader:reply fuzz_http_request:http fuzz_glob:glob fuzz_rdb_loader:rdb; do
  target=${pair%%:*}
  corpus=${pair##*:}
  bin=$(find "$build" -type f -name "$target" -perm -u+x 2>/dev/null | head -n 1)
  if [ -z "$bin" ]; then
    echo "$target: FAIL (not built in $build)"
    failed=$((failed + 1))
    continue
  fi
  mkdir -p "$work/$corpus" "$artifacts"
  cp "$here/corpus/$corpus"/* "$work/$corpus"/ 2>/dev/null
  log="$work/$target.log"
  # -max_total_time bounds the fuzzing; timeout(1) bounds everything else (startup, a hang).
  timeout --kill-after=10 $((secs + 60)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$work/$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "$target: ok (${runs:-?} runs, ${cov:-cov: ?}, ${secs}s)"
    passed=$((passed + 1))
  else
    echo "$target: FAIL (exit $rc); log tail:"
    tail -n 30 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
