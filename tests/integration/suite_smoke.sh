# tests/integration/suite_smoke.sh: the daemon starts, serves redis-cli, and stops on SIGTERM.
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
pass "daemon starts on a free loopback port"
cli() { timeout 5 redis-cli -p "$SC_PORT" "$@"; }
expect_eq "PING" "$(cli ping)" "PONG"
expect_eq "SET" "$(cli set greeting hello)" "OK"
expect_eq "GET" "$(cli get greeting)" "hello"
start=$(date +%s%N)
stop_daemon
wait "$SC_PID"; rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "SIGTERM exits 0" "$rc" "0"
if [ "$elapsed_ms" -lt 1500 ]; then pass "SIGTERM exits within a second (${elapsed_ms} ms)"; else fail "SIGTERM slow" "${elapsed_ms} ms"; fi
grep -q "shardcached stopped" "$SC_LOG" && pass "shutdown is logged" || fail "shutdown is logged"

# A config file (redis.conf syntax, the first argument) sets the same things as the flags; here the password.
conf=$(mktemp /tmp/shardcached-conf.XXXXXX)
printf 'requirepass "conf-s3cret"\n' > "$conf"
SC_CONF=$conf start_daemon || fail "daemon starts with a config file"
expect_eq "config file requirepass: NOAUTH without AUTH" "$(cli get k)" "NOAUTH Authentication required."
expect_eq "config file requirepass: AUTH works" "$(cli -a conf-s3cret --no-auth-warning set k v)" "OK"
rm -f "$conf"
# /metrics counts invalidations (with requirepass set it takes the token, as REST does).
expect_eq "INVALIDATE via redis-cli" "$(cli -a conf-s3cret --no-auth-warning invalidate 'k*')" "1"
metrics=$(curl -s --max-time 5 -H "Authorization: Bearer conf-s3cret" "http://127.0.0.1:$SC_HTTP_PORT/metrics")
echo "$metrics" | grep -q '^shardcache_invalidated_keys_total 1$' && pass "/metrics: invalidated keys" || fail "/metrics: invalidated keys"
echo "$metrics" | grep -q '^shardcache_invalidation_calls_total 1$' && pass "/metrics: invalidation calls" || fail "/metrics: invalidation calls"
finish
