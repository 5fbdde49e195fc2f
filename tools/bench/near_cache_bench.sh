#!/usr/bin/env bash
# tools/bench/near_cache_bench.sh: libshardcache's near cache under with_cache on a Zipf read mix
# with 1 % writes: near cache on vs off vs hiredis, reads/s per thread, read p50/p99, and the
# invalidation delay (write acknowledged -> a polling reader sees the new value). One server on a
# free loopback port: NEAR_BENCH_TARGET=redis (redis-server, default until shardcached has
# CLIENT TRACKING) or shardcached (built here in release). See tools/bench/near_cache_bench.cpp.
#
# Environment (defaults in brackets):
#   NEAR_BENCH_TARGET [redis]  BENCH_THREADS [1,4]  BENCH_SECONDS [5]  BENCH_KEYS [10000]
#   BENCH_ZIPF [0.99]  BENCH_WRITE_PCT [1]  BENCH_DATA [100]  BENCH_SAMPLES [300]
#   BENCH_SERVER_THREADS [2] (shardcached --threads)  BENCH_MD  file to write the tables to as well
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build-bench
PY=/usr/bin/python3
TARGET=${NEAR_BENCH_TARGET:-redis}

source "$ROOT/tools/lib/setup.sh"  # sc_install_pkgs, SC_BUILD_PKGS
sc_install_pkgs $SC_BUILD_PKGS redis-tools redis-server || exit 1  # libhiredis-dev is a build package
targets=tools/bench/near_cache_bench
if [ "$TARGET" = shardcached ]; then
  sc_npm_ci "$ROOT/daemon/http/ui" || exit 1  # uPlot, which the daemon's dashboard page embeds
  targets="$targets daemon/shardcached"
fi

log=$(mktemp /tmp/near_cache_bench_build.XXXXXX.log)
if [ -f "$BUILD/build.ninja" ]; then
  meson configure "$BUILD" -Dbench=true --buildtype=release >"$log" 2>&1
else
  meson setup "$BUILD" "$ROOT" -Dbench=true --buildtype=release >"$log" 2>&1
fi || { tail -20 "$log"; exit 1; }
ninja -C "$BUILD" $targets >>"$log" 2>&1 || { grep -E "error|FAILED" -A3 "$log" | head -40; exit 1; }
rm -f "$log"

PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
SLOG=$(mktemp /tmp/near_cache_bench_server.XXXXXX.log)
case "$TARGET" in
  redis) redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no >"$SLOG" 2>&1 & ;;
  shardcached) "$BUILD/daemon/shardcached" --bind 127.0.0.1 --port "$PORT" --save "" --http-port 0 \
                 --threads "${BENCH_SERVER_THREADS:-2}" >"$SLOG" 2>&1 & ;;
  *) echo "near_cache_bench: NEAR_BENCH_TARGET must be redis or shardcached"; exit 2 ;;
esac
SPID=$!
cleanup() {
  kill -TERM "$SPID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$SPID" 2>/dev/null || true
  rm -f "$SLOG"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  timeout 1 redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
[ "$(timeout 2 redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] || { echo "near_cache_bench: $TARGET did not start"; cat "$SLOG"; exit 1; }

out=$(mktemp /tmp/near_cache_bench.XXXXXX.md)
{
  echo "# libshardcache near cache: with_cache, Zipf ${BENCH_ZIPF:-0.99} over ${BENCH_KEYS:-10000} keys, ${BENCH_WRITE_PCT:-1} % writes"
  echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "build: $BUILD (release); server: $TARGET ($( [ "$TARGET" = redis ] && redis-server --version | cut -d' ' -f3 || echo build-bench)) on 127.0.0.1:$PORT"
  echo "load before: $(uptime)"
  echo
} | tee "$out"
"$BUILD/tools/bench/near_cache_bench" --port "$PORT" --threads "${BENCH_THREADS:-1,4}" --seconds "${BENCH_SECONDS:-5}" \
  --keys "${BENCH_KEYS:-10000}" --zipf "${BENCH_ZIPF:-0.99}" --write-pct "${BENCH_WRITE_PCT:-1}" --data "${BENCH_DATA:-100}" \
  --samples "${BENCH_SAMPLES:-300}" | tee -a "$out"
{ echo; echo "load after: $(uptime)"; } | tee -a "$out"
[ -n "${BENCH_MD:-}" ] && cp "$out" "$BENCH_MD"
rm -f "$out"
