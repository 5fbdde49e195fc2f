#!/usr/bin/env bash
# tools/bench/invalidation_bench.sh [driver options]: builds a release shardcached, starts it and
# redis-server on free loopback ports, and runs tools/bench/invalidation_bench.py against both in
# the same run (INVALIDATE vs SCAN MATCH + UNLINK; concurrent GET latency). Results go to stdout;
# record them in docs/benchmarks-invalidation.md with this command line.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
BUILD=${BUILD:-$ROOT/build-bench}
THREADS=${THREADS:-2}
source "$ROOT/tools/lib/setup.sh"
sc_npm_ci "$ROOT/daemon/http/ui"  # uPlot, which the daemon's dashboard page embeds
if [ ! -f "$BUILD/build.ninja" ]; then meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null; fi
ninja -C "$BUILD" daemon/shardcached >/dev/null
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
  for _ in $(seq 1 100); do
    $PY -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)))" && return 0
    sleep 0.05
  done
  return 1
}
RPORT=$(free_port); SPORT=$(free_port); HPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/tmp/inv-bench-redis.log 2>&1 &
RPID=$!
"$BUILD/daemon/shardcached" --port "$SPORT" --save "" --http-port "$HPORT" --threads "$THREADS" --maxmemory 2gb >/tmp/inv-bench-sc.log 2>&1 &
SPID=$!
trap 'kill $RPID $SPID 2>/dev/null; wait $RPID $SPID 2>/dev/null || true' EXIT
wait_port "$RPORT" && wait_port "$SPORT"
echo "redis-server $(redis-server --version | cut -d' ' -f3) on :$RPORT; shardcached ($THREADS io threads) on :$SPORT;" \
  "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
timeout 3600 $PY "$ROOT/tools/bench/invalidation_bench.py" "$RPORT" "$SPORT" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
