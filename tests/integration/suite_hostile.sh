# tests/integration/suite_hostile.sh: hostile clients (python/hostile.py, stdlib raw sockets):
# the glob CVE-2022-36021 pattern through KEYS / SCAN MATCH / INVALIDATE / REST, megabytes of
# random bytes on both ports, malformed RESP and huge declared lengths, RESP3 frames as
# requests, HELLO 4, CLIENT KILL of oneself mid-pipeline, FLUSHALL ASYNC racing a 200k-key
# INVALIDATE, a client killed with SIGKILL mid-pipeline, and REST bad input. After every probe
# the daemon must answer PING and GET /healthz within 100 ms and keep its canary key.
# SC_TIME_SCALE (default 1) stretches the time budgets for sanitizer builds.
source "$(dirname "$0")/lib.sh"
SCRIPT="$(dirname "$0")/python/hostile.py"
PASSWORD=hostile-secret-pw

start_daemon || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT MAIN_HTTP=$SC_HTTP_PORT MAIN_PID=$SC_PID
start_daemon --requirepass "$PASSWORD" || { fail "daemon with --requirepass starts"; finish; exit 1; }
AUTH_PORT=$SC_PORT AUTH_HTTP=$SC_HTTP_PORT AUTH_PID=$SC_PID
start_daemon || { fail "third daemon (FLUSHALL probe) starts"; finish; exit 1; }
FLUSH_PORT=$SC_PORT FLUSH_HTTP=$SC_HTTP_PORT FLUSH_PID=$SC_PID

run_counted hostile.py timeout 300 "$PY" "$SCRIPT" --port "$MAIN_PORT" --http-port "$MAIN_HTTP" --pid "$MAIN_PID" \
  --auth-port "$AUTH_PORT" --auth-http-port "$AUTH_HTTP" --auth-pid "$AUTH_PID" --password "$PASSWORD" \
  --flush-port "$FLUSH_PORT" --flush-http-port "$FLUSH_HTTP" --flush-pid "$FLUSH_PID"
for pid in "$MAIN_PID" "$AUTH_PID" "$FLUSH_PID"; do
  kill -0 "$pid" 2>/dev/null && pass "daemon $pid survived every probe" || fail "daemon $pid survived every probe"
done
# Every daemon exits cleanly on SIGTERM after all of it (no crash on shutdown).
for pid in "$MAIN_PID" "$AUTH_PID" "$FLUSH_PID"; do
  kill -TERM "$pid" 2>/dev/null
  rc=
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  wait "$pid" 2>/dev/null; rc=$?
  expect_eq "daemon $pid exits 0 on SIGTERM" "$rc" 0
done
finish
