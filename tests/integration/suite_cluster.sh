# tests/integration/suite_cluster.sh: cluster mode with three nodes on free loopback ports, their
# topology files written by tools/lib/cluster_conf.py (as tools/cluster.sh does): redis-cli -c,
# `redis-cli --cluster check`, the REST endpoint's MOVED error, ioredis Cluster and node-redis
# createCluster (node/cluster.test.js; INVALIDATE on every master, MOVED followed after a topology
# change + SIGHUP), redis-py RedisCluster
# (python/cluster_redis_py.py: MOVED after a topology change + SIGHUP, CROSSSLOT), and the
# start-up error for a missing topology file.
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
CONF="$PY $HERE/../../tools/lib/cluster_conf.py"

# A missing file stops start-up with a clear error (Redis would create one).
empty=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$empty")
log=$(mktemp /tmp/shardcached-it.XXXXXX.log); IT_LOGS+=("$log")
"$SHARDCACHED" --port "$(free_port)" --http-port 0 --save "" --dir "$empty" --cluster-enabled yes >"$log" 2>&1 &
nofile=$!
wait_exit "$nofile"
if [ "$WAIT_RC" = 1 ] && grep -q "cluster config file $empty/nodes.conf: cannot open" "$log"; then
  pass "cluster-enabled yes without its file: exit 1, the file named"
else
  fail "cluster-enabled yes without its file" "rc $WAIT_RC: $(tail -2 "$log")"
fi

ports=()
while [ ${#ports[@]} -lt 3 ]; do
  p=$(free_port)
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
DIR=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$DIR")
$CONF init-ports "$DIR" "${ports[@]}" || { fail "topology files written"; finish; exit 1; }
declare -A HTTP
for p in "${ports[@]}"; do
  HTTP[$p]=$(free_port)
  log=$(mktemp /tmp/shardcached-it.XXXXXX.log)
  "$SHARDCACHED" --bind 127.0.0.1 --port "$p" --http-port "${HTTP[$p]}" --save "" --dir "$DIR/node-$p" \
    --cluster-enabled yes >"$log" 2>&1 &
  echo $! >"$DIR/node-$p/pid"
  IT_PIDS+=("$!"); IT_LOGS+=("$log")
done
for p in "${ports[@]}"; do wait_port "$p" || { fail "node $p starts" "$(cat "${IT_LOGS[-1]}")"; finish; exit 1; }; done
P1=${ports[0]}
RC() { timeout 10 redis-cli -p "$@"; }

for p in "${ports[@]}"; do
  expect_eq "node $p: cluster_state:ok" "$(RC "$p" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p')" "ok"
  expect_eq "node $p: INFO cluster_enabled:1" "$(RC "$p" info cluster | tr -d '\r' | sed -n 's/^cluster_enabled://p')" "1"
done

# redis-cli -c follows MOVED: keys of every node through one entry point.
bad=0
for i in $(seq 1 30); do
  [ "$(timeout 10 redis-cli -c -p "$P1" set "cli:$i" "v$i")" = OK ] || bad=$((bad + 1))
done
for i in $(seq 1 30); do
  [ "$(timeout 10 redis-cli -c -p "$P1" get "cli:$i")" = "v$i" ] || bad=$((bad + 1))
done
expect_eq "redis-cli -c: 30 keys set and read back through node 1" "$bad" "0"
total=0
for p in "${ports[@]}"; do total=$((total + $(RC "$p" dbsize))); done
expect_eq "the 30 keys are held once across the nodes" "$total" "30"
foo_slot=$(RC "$P1" cluster keyslot foo)
expect_eq "CLUSTER KEYSLOT foo" "$foo_slot" "12182"
foo_port=${ports[2]}  # slots 10922-16383
expect_eq "a plain redis-cli on node 1 gets MOVED for foo" "$(RC "$P1" get foo)" "MOVED 12182 127.0.0.1:$foo_port"
expect_eq "CROSSSLOT for MSET over two slots" "$(RC "$foo_port" mset foo 1 bar 2)" \
  "CROSSSLOT Keys in request don't hash to the same slot"

# redis-cli --cluster check: INFO, CLUSTER NODES on every node, consistent views, every slot covered.
out=$(timeout 30 redis-cli --cluster check "127.0.0.1:$P1" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "\[OK\] All nodes agree about slots configuration." &&
   echo "$out" | grep -q "\[OK\] All 16384 slots covered."; then
  pass "redis-cli --cluster check passes"
else
  fail "redis-cli --cluster check" "rc $rc: $out"
fi

# REST answers for the node's own slots and gives the MOVED text (Upstash's error shape) for others.
expect_eq "REST on the wrong node: MOVED as an Upstash error" \
  "$(curl -s -m 5 "http://127.0.0.1:${HTTP[$P1]}/get/foo")" "{\"error\":\"MOVED 12182 127.0.0.1:$foo_port\"}"
curl -s -m 5 -o /dev/null "http://127.0.0.1:${HTTP[$foo_port]}/set/foo/rest"
expect_eq "REST on the owner serves the key" "$(curl -s -m 5 "http://127.0.0.1:${HTTP[$foo_port]}/get/foo")" '{"result":"rest"}'
expect_eq "REST /multi-exec across slots: CROSSSLOT" \
  "$(curl -s -m 5 "http://127.0.0.1:${HTTP[$foo_port]}/multi-exec" -d '[["set","foo","1"],["set","bar","2"]]')" \
  '{"error":"CROSSSLOT Keys in request don'"'"'t hash to the same slot"}'

# Node.js cluster clients (pinned in node/package-lock.json, installed as suite_node does).
NODE_DIR="$HERE/node"
if command -v node >/dev/null && command -v npm >/dev/null; then
  if [ ! -d "$NODE_DIR/node_modules" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
    (cd "$NODE_DIR" && timeout 300 npm ci --prefer-offline --no-audit --no-fund) || fail "npm ci installs the pinned clients"
  fi
  out=$(cd "$NODE_DIR" && SC_CLUSTER_PORTS="${ports[*]}" SC_CLUSTER_DIR="$DIR" timeout 180 node --test --test-reporter=tap --test-force-exit \
        cluster.test.js 2>&1)
  rc=$?
  echo "$out" | grep -E "^(not )?ok|^# (pass|fail)" | head -40
  npass=$(echo "$out" | sed -nE 's/^# pass ([0-9]+)$/\1/p' | tail -1)
  nfail=$(echo "$out" | sed -nE 's/^# fail ([0-9]+)$/\1/p' | tail -1)
  if [ -z "$npass" ] || [ -z "$nfail" ]; then
    fail "node --test printed its summary" "exit code $rc: $(echo "$out" | tail -20)"
  else
    [ "$nfail" -gt 0 ] && echo "$out" | tail -60
    add_counts "$npass passed, $nfail failed"
  fi
else
  fail "node and npm are installed (Node.js 20 comes with the machine)"
fi

# redis-py RedisCluster, then a topology change (foo's slot to node 1) applied with SIGHUP.
out=$(timeout 120 $PY "$HERE/python/cluster_redis_py.py" "$DIR" "${ports[@]}" 2>&1)
echo "$out"
line=$(echo "$out" | tail -1)
if [[ "$line" =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then add_counts "$line"; else fail "cluster_redis_py.py ran" "$line"; fi
new_owner=$(RC "$P1" cluster nodes | awk -v s="$foo_slot" '{for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) print $2 } }' | cut -d@ -f1)
expect_eq "after the move, redis-cli -c reads foo through any node" "$(timeout 10 redis-cli -c -p "$foo_port" get foo)" "after"
[ -n "$new_owner" ] && [ "$new_owner" != "127.0.0.1:$foo_port" ] && pass "CLUSTER NODES shows the new owner ($new_owner)" \
  || fail "CLUSTER NODES shows the new owner" "$new_owner"
out=$(timeout 30 redis-cli --cluster check "127.0.0.1:$P1" 2>&1)
echo "$out" | grep -q "\[OK\] All nodes agree about slots configuration." && pass "redis-cli --cluster check after the move" \
  || fail "redis-cli --cluster check after the move" "$out"
for pid in "${IT_PIDS[@]:1}"; do kill -0 "$pid" 2>/dev/null || fail "node pid $pid still running"; done
finish
