#!/usr/bin/env bash
# tests/fuzz/run.sh: runs each libFuzzer target in a build dir for ${FUZZ_SECONDS:-30} seconds,
# ${FUZZ_JOBS:-2} targets at a time,
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
# Runs one target; prints its verdict line and exits 0 when it passed.
fuzz_one() {
  local target=$1 corpus=$2 bin log rc runs cov
  bin=$(find "$build" -type f -name "$target" -perm -u+x 2>/dev/null | head -n 1)
  if [ -z "$bin" ]; then
    echo "$target: FAIL (not built in $build)"
    return 1
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
    return 0
  fi
  echo "$target: FAIL (exit $rc); log tail:"
  tail -n 30 "$log" | sed 's/^/    /'
  return 1
}
# FUZZ_JOBS targets at a time (default 2, one per core here): each target is single-threaded, so
# running two side by side halves the pass's wall time without giving either less CPU.
jobs=${FUZZ_JOBS:-2}
pairs=(fuzz_request_parser:request fuzz_reply_reader:reply fuzz_http_request:http fuzz_glob:glob fuzz_rdb_loader:rdb)
i=0
for pair in "${pairs[@]}"; do
  ( fuzz_one "${pair%%:*}" "${pair##*:}" >"$work/verdict-$i" 2>&1; echo $? >"$work/rc-$i" ) &
  i=$((i + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
passed=0
failed=0
for ((k = 0; k < i; k++)); do
  cat "$work/verdict-$k"
  if [ "$(cat "$work/rc-$k" 2>/dev/null)" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
