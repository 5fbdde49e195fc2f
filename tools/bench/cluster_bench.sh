#!/usr/bin/env bash
# tools/bench/cluster_bench.sh: what cluster mode costs and gives, on free loopback ports.
#  1. Routing cost: one daemon in standalone mode and one in cluster mode owning every slot, each
#     driven by plain redis-benchmark SET and GET (-d 100, -r $KEYS default 100000, -n $N default
#     1000000, -P 16, -c 50), runs interleaved $ROUNDS times (default 3): the daemon's CPU time
#     (utime+stime from /proc) per request, and the cluster/standalone ratio of the medians.
#  2. The same load on a 1-node cluster (plain redis-benchmark: --cluster refuses fewer than two
#     nodes), then redis-benchmark --cluster against $NODES-node clusters (default "1 3"):
#     requests per second, each node's CPU per request of the whole run, their sum, and that sum
#     over the standalone median of part 1 (routing plus the smaller per-node batches).
#  3. With valgrind (CG=0 skips it): tools/bench/callgrind_resp.sh's instructions per operation
#     (SET and GET at pipeline 1 and 16) for the daemon with cluster mode off and in cluster mode
#     owning every slot: counts that the machine's noise does not move.
# Every daemon runs with 2 io threads (--threads $THREADS). The machine may be shared: compare
# ratios from one invocation only.
#   usage: tools/bench/cluster_bench.sh            env: SHARDCACHED=path (default build/, release),
#          N, KEYS, ROUNDS, THREADS, NODES, CG, CG_N (callgrind requests per load, default 20000)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
N=${N:-1000000}; KEYS=${KEYS:-100000}; ROUNDS=${ROUNDS:-3}; THREADS=${THREADS:-2}; NODES=${NODES:-1 3}; CG=${CG:-1}
BIN=${SHARDCACHED:-$ROOT/build/daemon/shardcached}
if [ -z "${SHARDCACHED:-}" ]; then
  source "$ROOT/tools/lib/setup.sh"  # sc_build: also installs the dashboard's uPlot, which the build embeds
  SC_TARGETS=daemon/shardcached sc_build build --buildtype=release || { echo "build failed"; exit 1; }
fi
TMP=$(mktemp -d /tmp/cluster_bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)

# start PORT DIR [flags...]: a daemon; prints its pid after checking the port answers as it.
start() {
  local port=$1 dir=$2; shift 2
  mkdir -p "$dir"
  "$BIN" --bind 127.0.0.1 --port "$port" --http-port 0 --save "" --dir "$dir" --threads "$THREADS" --maxmemory 2gb "$@" \
    >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  [ "$(redis-cli -p "$port" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')" = "$pid" ] ||
    { echo "port $port not ours" >&2; kill "$pid"; exit 1; }
  echo "$pid"
}
cluster_conf() { $PY "$ROOT/tools/lib/cluster_conf.py" "$@"; }

# bench PIDS PORT TEST [--cluster]: one redis-benchmark run; prints "rps us_per_op" (all PIDS'
# CPU), then each pid's us per request of the run.
bench() {
  local pids=$1 port=$2 t=$3; shift 3
  local p out
  declare -A c0
  for p in $pids; do c0[$p]=$(cpu "$p"); done
  out=$(timeout 600 redis-benchmark -h 127.0.0.1 -p "$port" "$@" -t "$t" -d 100 -r "$KEYS" -n "$N" -P 16 -c 50 -q --csv | tail -1)
  local per="" sum=0 d
  for p in $pids; do d=$(($(cpu "$p") - ${c0[$p]})); sum=$((sum + d)); per+=" $d"; done
  $PY -c "import sys; f = lambda t: '%.4f' % (t / $TCK / $N * 1e6)
print('%s %s' % ('$(echo "$out" | cut -d, -f2 | tr -d '"')', f($sum)) + ''.join(' ' + f(int(x)) for x in '$per'.split()))"
}

echo "== 1. routing cost at pipeline 16: CPU per request, standalone vs cluster mode (one node, every slot)"
ps=$(free_port); pc=$(free_port)
cluster_conf init-ports "$TMP/one" "$pc"
spid=$(start "$ps" "$TMP/standalone") || exit 1; PIDS+=("$spid")
cpid=$(start "$pc" "$TMP/one/node-$pc" --cluster-enabled yes) || exit 1; PIDS+=("$cpid")
for t in set get; do
  : >"$TMP/$t.s"; : >"$TMP/$t.c"
  for r in $(seq 1 "$ROUNDS"); do
    bench "$spid" "$ps" "$t" >>"$TMP/$t.s"
    bench "$cpid" "$pc" "$t" >>"$TMP/$t.c"
  done
  $PY - "$t" "$TMP/$t.s" "$TMP/$t.c" <<'PYEOF'
import statistics, sys
t, s, c = sys.argv[1], [l.split() for l in open(sys.argv[2])], [l.split() for l in open(sys.argv[3])]
ms, mc = statistics.median(float(x[1]) for x in s), statistics.median(float(x[1]) for x in c)
print("%s standalone us/op %s (median %.4f)  cluster us/op %s (median %.4f)  cluster/standalone %.3f" % (
    t, " ".join(x[1] for x in s), ms, " ".join(x[1] for x in c), mc, mc / ms))
open(sys.argv[2] + ".median", "w").write("%.4f\n" % ms)
PYEOF
done
kill "$spid" "$cpid"; wait "$spid" "$cpid" 2>/dev/null; PIDS=()

echo "== 2. 1 node (plain redis-benchmark; --cluster needs two), then redis-benchmark --cluster; NODES=\"$NODES\""
for n in $NODES; do
  ports=(); pids=()
  while [ ${#ports[@]} -lt $n ]; do p=$(free_port); [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p"); done
  cluster_conf init-ports "$TMP/c$n" "${ports[@]}"
  for p in "${ports[@]}"; do pid=$(start "$p" "$TMP/c$n/node-$p" --cluster-enabled yes) || exit 1; pids+=("$pid"); PIDS+=("$pid"); done
  for t in set get; do
    if [ "$n" = 1 ]; then line=$(bench "${pids[*]}" "${ports[0]}" "$t")
    else line=$(bench "${pids[*]}" "${ports[0]}" "$t" --cluster); fi
    read -r rps us per <<<"$line"
    $PY -c "print('%s node(s) %s: %s requests/s, %s us CPU per request (all nodes; per node: %s), %.3f x standalone' % (
      '$n', '$t', '$rps', '$us', ' '.join('$per'.split()), $us / float(open('$TMP/$t.s.median').read())))"
  done
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null; PIDS=()
done

if [ "$CG" = 1 ] && command -v valgrind >/dev/null; then
  echo "== 3. callgrind instructions per operation: cluster mode off vs cluster mode owning every slot"
  cg_port=$(free_port)
  cluster_conf init-ports "$TMP/cg" "$cg_port"
  CG_SHARDCACHED=$BIN bash "$ROOT/tools/bench/callgrind_resp.sh" shardcached "$TMP/cg-off" | grep instructions
  CG_SHARDCACHED=$BIN CG_ARGS="--cluster-enabled yes --dir $TMP/cg/node-$cg_port" \
    bash "$ROOT/tools/bench/callgrind_resp.sh" shardcached "$TMP/cg-on" | grep instructions | sed 's/^shardcached/cluster    /'
fi
