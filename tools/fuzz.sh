#!/usr/bin/env bash
# tools/fuzz.sh HOURS: a long fuzzing run (not part of tools/test, whose fuzz pass is 30 s per
# target). Builds the libFuzzer targets as tools/test does (clang-14, build-fuzz/, ASan+UBSan),
# then runs each target in turn for HOURS / 5 (HOURS is the total, split evenly across the five
# targets: fuzz_request_parser, fuzz_reply_reader, fuzz_http_request, fuzz_glob, fuzz_rdb_loader). Each target
# works on a persistent corpus, ${FUZZ_CORPUS:-$HOME/.cache/shardcache-fuzz}/<corpus>, seeded
# from tests/fuzz/corpus/ (the checked-in corpus is never modified), so runs build on each other.
# A crash is kept in <corpus dir>/artifacts/ and the target is restarted for its remaining time
# (at most 10 crashes a target). Prints per target: executions, exec/s, cov:, ft:, corpus size,
# crashes. Exits 1 if any target crashed. FUZZ_JOBS=2 runs two targets at once. FUZZ_TARGETS
# (e.g. "fuzz_request_parser fuzz_reply_reader") runs only those, HOURS split among them.
set -uo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SC_ROOT"

hours=${1:-}
awk -v h="$hours" 'BEGIN { exit !(h + 0 > 0) }' || { echo "usage: tools/fuzz.sh HOURS (total, e.g. 0.05 or 2)"; exit 2; }
targets="fuzz_request_parser:request fuzz_reply_reader:reply fuzz_http_request:http fuzz_glob:glob fuzz_rdb_loader:rdb"
if [ -n "${FUZZ_TARGETS:-}" ]; then
  chosen=""
  for pair in $targets; do
    case " $FUZZ_TARGETS " in *" ${pair%%:*} "*) chosen="$chosen $pair" ;; esac
  done
  [ -n "$chosen" ] || { echo "FUZZ_TARGETS names no known target: $FUZZ_TARGETS"; exit 2; }
  targets=$chosen
fi
ntargets=$(echo $targets | wc -w)
per=$(awk -v h="$hours" -v n="$ntargets" 'BEGIN { printf "%d", h * 3600 / n }')
[ "$per" -lt 10 ] && per=10
store=${FUZZ_CORPUS:-$HOME/.cache/shardcache-fuzz}
mkdir -p "$store/artifacts"

sc_install_pkgs clang-14 libfuzzer-14-dev libclang-rt-14-dev $SC_BUILD_PKGS || exit 1
echo "== fuzz build (clang-14, libFuzzer, ASan+UBSan) in build-fuzz/"
CXX=clang++-14 SC_TARGETS="tests/fuzz/fuzz_request_parser tests/fuzz/fuzz_reply_reader tests/fuzz/fuzz_http_request tests/fuzz/fuzz_glob tests/fuzz/fuzz_rdb_loader" \
  sc_build build-fuzz --buildtype=debugoptimized -Dfuzz=true -Djemalloc=false || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# fuzz_one TARGET CORPUS: runs TARGET for $per seconds in total; writes $logs/TARGET.result.
fuzz_one() {
  local target=$1 corpus=$2 bin dir crashes=0 runs=0 left=$per t0 rc log n=0
  bin=$SC_ROOT/build-fuzz/tests/fuzz/$target
  dir=$store/$corpus
  mkdir -p "$dir"
  cp -n "$SC_ROOT/tests/fuzz/corpus/$corpus"/* "$dir"/ 2>/dev/null
  t0=$(date +%s)
  while [ "$left" -gt 0 ] && [ "$crashes" -lt 10 ]; do
    n=$((n + 1))
    log=$logs/$target.$n.log
    timeout --kill-after=10 $((left + 120)) "$bin" -max_total_time="$left" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$store/artifacts/$target-" "$dir" >"$log" 2>&1
    rc=$?
    runs=$((runs + $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || echo 0)))
    if [ "$rc" -ne 0 ]; then
      crashes=$((crashes + 1))
      echo "$target: crash (exit $rc), log $store/artifacts/$target-crash-$n.log"
      cp "$log" "$store/artifacts/$target-crash-$n.log"
      grep -E "^(==|SUMMARY|.*runtime error)" "$log" | head -5 | sed 's/^/    /'
    fi
    left=$((per - ($(date +%s) - t0)))
  done
  local secs=$(( $(date +%s) - t0 )) last
  last=$(cat "$logs/$target".*.log | grep -E '^#[0-9]+' | tail -n 1)
  printf '%s %s %s %s %s %s %s\n' "$target" "$secs" "$runs" \
    "$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo '?')" \
    "$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo '?')" \
    "$(ls "$dir" | wc -l)" "$crashes" >"$logs/$target.result"
}

echo "== fuzzing ${per} s per target (total ${hours} h), corpus $store"
jobs_max=${FUZZ_JOBS:-1}
for pair in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
  fuzz_one "${pair%%:*}" "${pair##*:}" &
done
wait

printf '\n%-20s %8s %14s %10s %7s %7s %8s %8s\n' target seconds executions exec/s cov ft corpus crashes
bad=0
for pair in $targets; do
  t=${pair%%:*}
  if [ ! -f "$logs/$t.result" ]; then echo "$t: no result"; bad=1; continue; fi
  read -r name secs runs cov ft corp crashes <"$logs/$t.result"
  printf '%-20s %8s %14s %10s %7s %7s %8s %8s\n' "$name" "$secs" "$runs" "$(( runs / (secs > 0 ? secs : 1) ))" "$cov" "$ft" "$corp" "$crashes"
  [ "$crashes" -gt 0 ] && bad=1
done
[ "$bad" -eq 0 ] && echo "fuzz: no crashes" || echo "fuzz: crashes found (artifacts in $store/artifacts)"
exit "$bad"
