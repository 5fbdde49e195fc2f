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
finish
