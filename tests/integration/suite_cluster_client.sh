# tests/integration/suite_cluster_client.sh: libshardcache's cluster client (ClusterClient,
# ClusterCache) against three shardcached nodes on free loopback ports, their topology files
# written by tools/lib/cluster_conf.py: the doctest binary tests/client_it/cluster_it (a key in
# every slot, hash tags and CROSSSLOT, INVALIDATE / INVALIDATETAG summed over the masters, MOVED
# followed after `cluster_conf.py move` + SIGHUP, a node killed mid-run with per-node fallback).
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$SHARDCACHED")/.." && pwd)   # the build directory holding the daemon
IT_BIN=$BUILD/tests/client_it/cluster_it
CONF="$ROOT/tools/lib/cluster_conf.py"
if [ ! -x "$IT_BIN" ]; then
  fail "cluster_it is built" "missing $IT_BIN"
  finish; exit 1
fi

ports=()
while [ ${#ports[@]} -lt 3 ]; do
  p=$(free_port)
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
DIR=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$DIR")
$PY "$CONF" init-ports "$DIR" "${ports[@]}" || { fail "topology files written"; finish; exit 1; }
for p in "${ports[@]}"; do
  log=$(mktemp /tmp/shardcached-it.XXXXXX.log)
  "$SHARDCACHED" --bind 127.0.0.1 --port "$p" --http-port 0 --save "" --dir "$DIR/node-$p" \
    --cluster-enabled yes >"$log" 2>&1 &
  echo $! >"$DIR/node-$p/pid"
  IT_PIDS+=("$!"); IT_LOGS+=("$log")
done
for p in "${ports[@]}"; do wait_port "$p" || { fail "node $p starts"; finish; exit 1; }; done

echo "== cluster_it (doctest) against 127.0.0.1:${ports[*]}"
SC_CLUSTER_PORTS="${ports[*]}" SC_CLUSTER_DIR=$DIR SC_CLUSTER_CONF=$CONF \
  timeout 300 "$IT_BIN" --no-version >"$DIR/it.log" 2>&1
cat "$DIR/it.log"
# "[doctest] test cases: 5 | 5 passed | 0 failed | 0 skipped"
summary=$(awk '/test cases:/ { print $6 " passed, " $9 " failed" }' "$DIR/it.log" | tail -1)
if [ -n "$summary" ]; then add_counts "$summary"; else fail "cluster_it ran to its summary"; fi
# The test killed the third node on purpose; the two others must still be up.
for p in "${ports[@]:0:2}"; do
  kill -0 "$(cat "$DIR/node-$p/pid")" 2>/dev/null && pass "node $p still running" || fail "node $p still running"
done
finish
