# tests/integration/suite_introspection.sh: SLOWLOG, LATENCY and INFO commandstats / latencystats /
# errorstats / cpu against redis-server 7.0.15 (redis_reference.sh) through redis-py and a raw
# RESP2/RESP3 reader (python/introspection_vs_redis.py), then the same replies through redis-cli.
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT
MAIN_PID=$SC_PID
SHARDCACHED="$(dirname "$0")/redis_reference.sh" start_daemon || { fail "redis-server 7.0.15 starts"; finish; exit 1; }
REF_PORT=$SC_PORT
run_counted introspection_vs_redis.py env SC_PORT=$MAIN_PORT REF_PORT=$REF_PORT \
  timeout 120 "$PY" "$(dirname "$0")/python/introspection_vs_redis.py"

# redis-cli renders both servers' replies the same way (numbers and times masked).
cli() { timeout 10 redis-cli -p "$1" "${@:2}" 2>&1; }
mask() { sed -E 's/[0-9]+/N/g'; }
for port in $MAIN_PORT $REF_PORT; do
  cli "$port" config set slowlog-log-slower-than 0 >/dev/null
  cli "$port" slowlog reset >/dev/null
  cli "$port" set cli:k v >/dev/null
done
expect_eq "redis-cli SLOWLOG GET 1" "$(cli "$MAIN_PORT" slowlog get 1 | mask)" "$(cli "$REF_PORT" slowlog get 1 | mask)"
expect_eq "redis-cli SLOWLOG LEN" "$(cli "$MAIN_PORT" slowlog len | mask)" "$(cli "$REF_PORT" slowlog len | mask)"
expect_eq "redis-cli SLOWLOG GET x" "$(cli "$MAIN_PORT" slowlog get x)" "$(cli "$REF_PORT" slowlog get x)"
expect_eq "redis-cli -3 LATENCY HISTOGRAM set (masked)" "$(cli "$MAIN_PORT" -3 latency histogram set | mask | sort -u)" \
  "$(cli "$REF_PORT" -3 latency histogram set | mask | sort -u)"
expect_eq "redis-cli LATENCY HISTORY nosuch" "$(cli "$MAIN_PORT" latency history nosuch)" "$(cli "$REF_PORT" latency history nosuch)"
expect_eq "redis-cli LATENCY HELP" "$(cli "$MAIN_PORT" latency help)" "$(cli "$REF_PORT" latency help)"
expect_eq "redis-cli SLOWLOG HELP" "$(cli "$MAIN_PORT" slowlog help)" "$(cli "$REF_PORT" slowlog help)"
expect_eq "redis-cli INFO cpu field names" "$(cli "$MAIN_PORT" info cpu | cut -d: -f1)" "$(cli "$REF_PORT" info cpu | cut -d: -f1)"
[ "$(cli "$MAIN_PORT" ping)" = PONG ] && kill -0 "$MAIN_PID" && pass "daemon still serving" || fail "daemon still serving"
finish
