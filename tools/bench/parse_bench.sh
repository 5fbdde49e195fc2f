#!/usr/bin/env bash
# tools/bench/parse_bench.sh: builds and runs the protocol microbenchmark (RequestParser
# throughput; ReplyReader vs hiredis's redisReader) and prints a markdown table.
# Usage: tools/bench/parse_bench.sh [commands] [replies] [repeats]   (defaults 1000000 1000000 7)
# Builds in build-bench/ (meson, -Dbench=true, buildtype=release); installs libhiredis-dev with
# apt-get if it is missing. If the whole project cannot be configured yet, it compiles just
# protocol/ and the benchmark with the same optimisation (-O3 -DNDEBUG) and says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench"

if ! pkg-config --exists hiredis 2>/dev/null; then
  echo "parse_bench: installing libhiredis-dev" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y libhiredis-dev >/dev/null 2>&1 ||
    { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y libhiredis-dev >/dev/null; }
fi

log=$(mktemp /tmp/parse_bench_build.XXXXXX.log)
bin=""
how=""
if { [ -f "$build/build.ninja" ] && meson configure "$build" -Dbench=true --buildtype=release >/dev/null 2>&1; } ||
   meson setup "$build" "$root" -Dbench=true --buildtype=release >"$log" 2>&1; then
  if meson compile -C "$build" parse_bench >>"$log" 2>&1; then
    bin="$build/tools/bench/parse_bench"
    how="meson ($build, buildtype=release, -Dbench=true)"
  fi
fi
if [ -z "$bin" ]; then
  echo "parse_bench: the project does not configure/build yet (see $log); compiling protocol/ alone" >&2
  mkdir -p "$build/standalone"
  bin="$build/standalone/parse_bench"
  ${CXX:-g++} -std=c++20 -O3 -DNDEBUG -I"$root" "$root"/protocol/*.cpp "$root/tools/bench/parse_bench.cpp" \
    $(pkg-config --cflags --libs hiredis) -o "$bin"
  how="standalone ${CXX:-g++} -O3 -DNDEBUG (project did not configure)"
fi

echo "# protocol microbenchmark"
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: $how; compiler: $(${CXX:-c++} --version | head -n 1); hiredis $(pkg-config --modversion hiredis)"
echo
"$bin" "$@"
