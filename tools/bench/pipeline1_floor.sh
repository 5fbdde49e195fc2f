#!/usr/bin/env bash
# tools/bench/pipeline1_floor.sh: how low can a server's CPU per request go at pipeline 1?
# Runs redis-server, tools/bench/floor_server (plain epoll, stores nothing: the kernel's share
# alone) and release shardcached (--threads 1 and 2) in turn under the same redis-benchmark load
# (GET and SET, 100-byte values, 50 clients, -P $P), and prints per server: requests/s, user and
# system CPU µs per request (/proc/PID/stat before and after), syscalls per request (perf stat
# raw_syscalls:sys_enter, when perf can trace; tracing adds a little system time to every
# server alike) and the ratios to redis-server in the same round. Rounds repeat the servers
# interleaved, so a noisy neighbour hits all of them.
#
# Environment (defaults in brackets): FLOOR_N [400000] requests per load, FLOOR_P [1] pipeline,
# FLOOR_ROUNDS [3], FLOOR_PERF [1] (0: no syscall counting), BENCH_SHARDCACHED daemon binary
# (default: release build in build-resp-bench), FLOOR_BIN floor_server binary (default: same
# build directory). Installs redis-server/redis-tools with apt-get when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${FLOOR_N:-400000}
P=${FLOOR_P:-1}
ROUNDS=${FLOOR_ROUNDS:-3}
USE_PERF=${FLOOR_PERF:-1}
PY=/usr/bin/python3
TCK=$(getconf CLK_TCK)

source "$ROOT/tools/lib/setup.sh"  # sc_install_pkgs, sc_build
sc_install_pkgs redis-server redis-tools || exit 1
if [ -z "${BENCH_SHARDCACHED:-}" ] || [ -z "${FLOOR_BIN:-}" ]; then
  sc_install_pkgs $SC_BUILD_PKGS || exit 1
  sc_build build-resp-bench --buildtype=release || exit 1
fi
SC_BIN=${BENCH_SHARDCACHED:-$ROOT/build-resp-bench/daemon/shardcached}
FLOOR=${FLOOR_BIN:-$ROOT/build-resp-bench/tools/bench/floor_server}
[ -x "$SC_BIN" ] && [ -x "$FLOOR" ] || { echo "pipeline1_floor: missing $SC_BIN or $FLOOR"; exit 1; }
if [ "$USE_PERF" = 1 ] && ! perf stat -e raw_syscalls:sys_enter -o /dev/null true >/dev/null 2>&1; then
  echo "# perf cannot trace syscalls here: syscalls per request not shown"; USE_PERF=0
fi

WORK=$(mktemp -d /tmp/pipeline1-floor.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# wait_port PORT: until something on 127.0.0.1:PORT answers PING (+PONG from every server here).
wait_port() {
  local i
  for i in $(seq 1 100); do
    [ "$(timeout 1 redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

echo "# pipeline1_floor: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# redis-benchmark -c 50 -n $N -r 100000 -d 100 -P $P, $ROUNDS round(s), servers interleaved"
RESULTS=$WORK/results.tsv  # round test server rps user_us sys_us syscalls_per_req
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for server in redis floor sc-t1 sc-t2; do
    port=$(free_port)
    case $server in
      redis) redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no >"$WORK/$server.log" 2>&1 & ;;
      floor) "$FLOOR" "$port" 1 >"$WORK/$server.log" 2>&1 & ;;
      sc-t*) "$SC_BIN" --bind 127.0.0.1 --port "$port" --save "" --http-port 0 --threads "${server#sc-t}" --loglevel warn >"$WORK/$server.log" 2>&1 & ;;
    esac
    PID=$!
    wait_port "$port" || { echo "pipeline1_floor: $server did not start"; cat "$WORK/$server.log"; exit 1; }
    for t in set get; do  # SET first: GET then finds the 100k keys (hits, as in resp_bench.sh)
      read -r u0 s0 < <(sed 's/.*) //' "/proc/$PID/stat" | awk '{ print $12, $13 }')
      if [ "$USE_PERF" = 1 ]; then
        perf stat -x, -e raw_syscalls:sys_enter -p "$PID" -o "$WORK/perf" & perf_pid=$!
        sleep 0.2
      fi
      line=$(timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -t "$t" -c 50 -n "$N" -r 100000 -d 100 -P "$P" --csv 2>/dev/null |
               grep -v '^"test"' | tail -1) || true
      read -r u1 s1 < <(sed 's/.*) //' "/proc/$PID/stat" | awk '{ print $12, $13 }')
      calls=nan
      if [ "$USE_PERF" = 1 ]; then
        kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
        calls=$(awk -F, '/raw_syscalls/ { print $1 }' "$WORK/perf")
      fi
      rps=$(echo "$line" | cut -d, -f2 | tr -d '"')
      $PY -c "import sys; print('\t'.join(map(str, ['$round', '$t', '$server', float('${rps:-0}' or 0), ($u1-$u0)/$TCK/$N*1e6, ($s1-$s0)/$TCK/$N*1e6, float('$calls')/$N])))" >>"$RESULTS"
    done
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  done
done

$PY - "$RESULTS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
data = {}
for rnd, test, server, rps, user, sys_, calls in rows:
    data.setdefault((test, server), []).append((int(rnd), float(rps), float(user), float(sys_), float(calls)))
def med(test, server, i):
    return statistics.median(r[i] for r in data[(test, server)])
def ratio(test, server, i):  # median over rounds of server / redis in the same round
    red = {r[0]: r for r in data[(test, "redis")]}
    return statistics.median(r[i] / red[r[0]][i] for r in data[(test, server)] if red[r[0]][i] > 0)
print("| test | server | req/s | user µs/req | sys µs/req | CPU µs/req | syscalls/req | req/s ratio | CPU ratio |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for test in ("set", "get"):
    for server in ("redis", "floor", "sc-t1", "sc-t2"):
        rs = data[(test, server)]
        cpu = [(r[0], r[2] + r[3]) for r in rs]  # user + sys per round; ratio to redis's in that round
        red = {r[0]: r[2] + r[3] for r in data[(test, "redis")]}
        cpu_ratio = statistics.median(c / red[rnd] for rnd, c in cpu)
        calls = med(test, server, 4)
        print(f"| {test.upper()} | {server} | {med(test, server, 1):.0f} | {med(test, server, 2):.2f} | {med(test, server, 3):.2f} | "
              f"{statistics.median(c for _, c in cpu):.2f} | {'-' if calls != calls else f'{calls:.2f}'} | "
              f"{ratio(test, server, 1):.2f} | {cpu_ratio:.2f} |")
EOF
