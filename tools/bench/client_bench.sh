#!/usr/bin/env bash
# tools/bench/client_bench.sh: libshardcache's shardcache::Client vs hiredis, GET and SET with
# 1, 4 and 16 threads against one release shardcached on a free loopback port, in one run (see
# tools/bench/client_bench.cpp for what each figure is). Prints the machine, the load (uptime)
# before and after, and a markdown table.
#
# Environment (defaults in brackets):
#   BENCH_OPS [50000]      calls per phase (one client, one op, one thread count)
#   BENCH_KEYS [10000]     key space          BENCH_DATA [100]       value bytes
#   BENCH_THREADS [1,4,16] client threads     BENCH_POOL [2]         shardcache::Client pool_size
#   BENCH_SECONDS [15]     a phase stops at this deadline
#   BENCH_SERVER_THREADS [2] shardcached --threads
#   BENCH_REPEAT [3]       runs of each phase, clients interleaved; the table shows medians
#   BENCH_MD               file to write the table to as well
# Builds build-bench/ (meson, -Dbench=true, buildtype=release); installs libhiredis-dev with
# apt-get when missing (tools/lib/setup.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build-bench
PY=/usr/bin/python3

source "$ROOT/tools/lib/setup.sh"  # sc_install_pkgs, SC_BUILD_PKGS
sc_install_pkgs $SC_BUILD_PKGS redis-tools || exit 1  # libhiredis-dev is a build package
sc_npm_ci "$ROOT/daemon/http/ui" || exit 1  # uPlot, which the daemon's dashboard page embeds

log=$(mktemp /tmp/client_bench_build.XXXXXX.log)
if [ -f "$BUILD/build.ninja" ]; then
  meson configure "$BUILD" -Dbench=true --buildtype=release >"$log" 2>&1
else
  meson setup "$BUILD" "$ROOT" -Dbench=true --buildtype=release >"$log" 2>&1
fi || { tail -20 "$log"; exit 1; }
ninja -C "$BUILD" tools/bench/client_bench daemon/shardcached >>"$log" 2>&1 || { grep -E "error|FAILED" -A3 "$log" | head -40; exit 1; }
rm -f "$log"

PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DLOG=$(mktemp /tmp/client_bench_daemon.XXXXXX.log)
"$BUILD/daemon/shardcached" --bind 127.0.0.1 --port "$PORT" --save "" --http-port 0 --threads "${BENCH_SERVER_THREADS:-2}" >"$DLOG" 2>&1 &
DPID=$!
cleanup() {
  kill -TERM "$DPID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$DPID" 2>/dev/null || true
  rm -f "$DLOG"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  timeout 1 redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
[ "$(timeout 2 redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] || { echo "client_bench: shardcached did not start"; cat "$DLOG"; exit 1; }

out=$(mktemp /tmp/client_bench.XXXXXX.md)
{
  echo "# libshardcache Client vs hiredis"
  echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "build: $BUILD (release); hiredis $(pkg-config --modversion hiredis); shardcached --threads ${BENCH_SERVER_THREADS:-2} on 127.0.0.1:$PORT"
  echo "load before: $(uptime)"
  echo
} | tee "$out"
set +e
timeout 900 "$BUILD/tools/bench/client_bench" --port "$PORT" --server-pid "$DPID" \
  --ops "${BENCH_OPS:-50000}" --keys "${BENCH_KEYS:-10000}" --value-size "${BENCH_DATA:-100}" \
  --threads "${BENCH_THREADS:-1,4,16}" --pool "${BENCH_POOL:-2}" --repeat "${BENCH_REPEAT:-3}" --seconds "${BENCH_SECONDS:-15}" | tee -a "$out"
rc=${PIPESTATUS[0]}
set -e
{ echo; echo "load after: $(uptime)"; } | tee -a "$out"
[ -n "${BENCH_MD:-}" ] && cp "$out" "$BENCH_MD"
rm -f "$out"
exit "$rc"
