# tests/integration/suite_tracking.sh: client-side caching (CLIENT TRACKING). A raw RESP2/RESP3
# reader runs every scenario against shardcached and redis-server 7.0.15 and compares the
# transcripts (python/tracking_vs_redis.py: pushes, REDIRECT to __redis__:invalidate, BCAST,
# OPTIN/OPTOUT, NOLOOP, FLUSHALL, expiry, the table's limit), then INVALIDATE / INVALIDATETAG,
# eviction and REST writes reaching a tracker; redis-cli -3 / -2 rendering the replies as with
# redis-server 7.0.15; redis-py (RESP2)
# REDIRECT + SUBSCRIBE __redis__:invalidate; node-redis 6's clientSideCache (node/tracking.test.js).
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT
MAIN_HTTP=$SC_HTTP_PORT
MAIN_PID=$SC_PID
SHARDCACHED="$(dirname "$0")/redis_reference.sh" start_daemon || { fail "redis-server 7.0.15 starts"; finish; exit 1; }
REF_PORT=$SC_PORT
run_counted tracking_vs_redis.py env SC_PORT=$MAIN_PORT REF_PORT=$REF_PORT SC_HTTP_PORT=$MAIN_HTTP \
  timeout 120 "$PY" "$(dirname "$0")/python/tracking_vs_redis.py"

# redis-cli -3 and redis-cli (RESP2) render the tracking replies as with redis-server 7.0.15.
cli_tracking() {
  printf 'CLIENT TRACKING on BCAST PREFIX user: PREFIX cfg: NOLOOP\nCLIENT TRACKINGINFO\nCLIENT GETREDIR\nCLIENT TRACKING off\nCLIENT TRACKINGINFO\nCLIENT TRACKING on OPTIN\nCLIENT CACHING yes\nCLIENT TRACKINGINFO\nCLIENT CACHING maybe\n' |
    timeout 10 redis-cli "$@" 2>&1
}
for proto in -3 -2; do
  ours=$(cli_tracking $proto -p "$MAIN_PORT"); theirs=$(cli_tracking $proto -p "$REF_PORT")
  expect_eq "redis-cli $proto: CLIENT TRACKING / TRACKINGINFO / GETREDIR / CACHING as redis-server 7.0.15" "$ours" "$theirs"
done
case "$(cli_tracking -3 -p "$MAIN_PORT")" in *bcast*noloop*user:*) pass "redis-cli -3 TRACKINGINFO shows bcast, noloop, prefixes" ;;
  *) fail "redis-cli -3 TRACKINGINFO shows bcast, noloop, prefixes" "$(cli_tracking -3 -p "$MAIN_PORT")" ;; esac

# redis-py (RESP2): a connection subscribed to __redis__:invalidate takes another's invalidations.
run_counted redis-py env SC_PORT=$MAIN_PORT CHECKS_DIR="$(dirname "$0")" timeout 30 "$PY" - <<'EOF'
import os, sys, time
sys.path.insert(0, os.environ["CHECKS_DIR"])
import redis
from checks import check_eq, summary
port = int(os.environ["SC_PORT"])
sub = redis.Redis(port=port, decode_responses=True)
p = sub.pubsub()
p.subscribe("__redis__:invalidate")
first = p.get_message(timeout=2)
check_eq("redis-py subscribe confirmation", (first or {}).get("type"), "subscribe")
ids = [c["id"] for c in redis.Redis(port=port, decode_responses=True).client_list() if "P" in c["flags"]]
check_eq("CLIENT LIST shows the subscriber with flag P", len(ids), 1)
tracker = redis.Redis(port=port, decode_responses=True, single_connection_client=True)
check_eq("CLIENT TRACKING on REDIRECT", tracker.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", ids[0]), "OK")
check_eq("CLIENT GETREDIR", tracker.execute_command("CLIENT", "GETREDIR"), int(ids[0]))
tracker.get("py:k")
redis.Redis(port=port).set("py:k", "v")
msg = None
end = time.time() + 3
while msg is None and time.time() < end:
    msg = p.get_message(timeout=0.5)
check_eq("redis-py receives message __redis__:invalidate [py:k]",
         (msg or {}).get("channel"), "__redis__:invalidate")
check_eq("the key", (msg or {}).get("data"), ["py:k"])
tracker.get("py:k")
redis.Redis(port=port).flushall()
msg = None
end = time.time() + 3
while msg is None and time.time() < end:
    msg = p.get_message(timeout=0.5)
check_eq("FLUSHALL: message with a null", (msg or {}).get("data", "missing"), None)
sys.exit(summary())
EOF

# node-redis 6: RESP3 with clientSideCache serves repeated GETs locally; writes from another client
# (SET, DEL, EXPIRE, INVALIDATE, FLUSHALL) reach its cache.
NODE_DIR="$(cd "$(dirname "$0")/node" && pwd)"
if [ ! -d "$NODE_DIR/node_modules" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
  (cd "$NODE_DIR" && timeout 300 npm ci --prefer-offline --no-audit --no-fund >/dev/null 2>&1) || fail "npm ci installs the pinned clients"
fi
out=$(cd "$NODE_DIR" && SC_PORT=$MAIN_PORT timeout 120 node --test --test-reporter=tap --test-force-exit tracking.test.js 2>&1)
echo "$out" | grep -E "^(not )?ok|^# (pass|fail)" | head -40
npass=$(echo "$out" | sed -nE 's/^# pass ([0-9]+)$/\1/p' | tail -1)
nfail=$(echo "$out" | sed -nE 's/^# fail ([0-9]+)$/\1/p' | tail -1)
if [ -z "$npass" ] || [ -z "$nfail" ]; then
  fail "node --test tracking.test.js printed its summary" "$(echo "$out" | tail -5)"
else
  add_counts "$npass passed, $nfail failed"
  [ "$nfail" -eq 0 ] || echo "$out" | tail -60
fi

[ "$(timeout 5 redis-cli -p "$MAIN_PORT" ping)" = PONG ] && kill -0 "$MAIN_PID" && pass "daemon still serving" ||
  fail "daemon still serving"
finish
