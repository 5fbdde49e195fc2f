#!/usr/bin/env bash
# tests/integration/suite_hostile_admission.sh: clients that hold connections without using them
# (python/hostile_admission.py, raw sockets). RESP `timeout` closes idle clients from the cron;
# HTTP closes idle keep-alive connections, answers 408 to headers or bodies that do not arrive in
# time; with --requirepass a REST request without the token gets 401 from its headers, before any
# body byte is buffered (VmRSS checked); http-max-inflight-body caps the body bytes all
# connections are receiving (503); maxclients is one limit for RESP and HTTP connections.
# After every probe PING answers within 100 ms and a canary key is intact.
source "$(dirname "$0")/lib.sh"

probe() {  # probe GROUP [args...]: runs one group of checks against the current daemon
  local out
  out=$(timeout 80 "$PY" "$(dirname "$0")/python/hostile_admission.py" --port "$SC_PORT" --http-port "$SC_HTTP_PORT" \
    --pid "$SC_PID" "$@" 2>&1)
  echo "$out" | grep -v ' passed, .* failed$'
  local line
  line=$(echo "$out" | tail -n 1)
  if [[ "$line" =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then add_counts "$line"; else fail "probe $1 ran to its end" "$line"; fi
}

# Short HTTP deadlines so the suite stays quick; the defaults are in docs/operations.md.
start_daemon --threads 2 --loglevel debug --requirepass pw --http-idle-timeout 2 --http-header-timeout 2 \
  --http-body-timeout 2 --http-max-inflight-body 8mb || { fail "daemon starts"; finish; exit 1; }
expect_eq "CONFIG GET http-idle-timeout" \
  "$(timeout 5 redis-cli -p "$SC_PORT" -a pw --no-auth-warning config get http-idle-timeout | tr '\n' ' ')" "http-idle-timeout 2 "
probe --group timeouts --password pw
if grep -q "Closing idle client" "$SC_LOG"; then pass "the idle close is logged as Redis logs it"; else fail "Closing idle client logged"; fi
probe --group auth --password pw
probe --group inflight --password pw
stop_daemon

start_daemon --threads 2 --maxclients 8 || { fail "daemon starts with --maxclients 8"; finish; exit 1; }
probe --group maxclients --maxclients 8
stop_daemon

# maxclients counts every client, whichever port it came in on: with 3, two idle HTTP
# keep-alive connections and one RESP connection fill it; redis-cli then reads Redis's error,
# curl a 503; once an HTTP connection closes, redis-cli gets in.
start_daemon --threads 2 --maxclients 3 || { fail "daemon starts with --maxclients 3"; finish; exit 1; }
exec {h1}<>"/dev/tcp/127.0.0.1/$SC_HTTP_PORT" {h2}<>"/dev/tcp/127.0.0.1/$SC_HTTP_PORT"
statuses=""
for fd in "$h1" "$h2"; do
  printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
  IFS= read -r -t 5 line <&"$fd"; statuses+="${line%$'\r'};"
done
exec {r1}<>"/dev/tcp/127.0.0.1/$SC_PORT"
printf 'PING\r\n' >&"$r1"
IFS= read -r -t 5 pong <&"$r1"
expect_eq "maxclients 3: 2 idle HTTP keep-alive + 1 RESP connections fit" "$statuses ${pong%$'\r'}" \
  "HTTP/1.1 200 OK;HTTP/1.1 200 OK; +PONG"
expect_eq "redis-cli as the 4th client: Redis's error" "$(timeout 5 redis-cli -p "$SC_PORT" ping 2>&1)" \
  "ERR max number of clients reached"
expect_eq "curl as the 4th client: 503" \
  "$(timeout 5 curl -s -w ' %{http_code}' "http://127.0.0.1:$SC_HTTP_PORT/healthz")" \
  '{"error":"ERR max number of clients reached"} 503'
exec {h1}>&-
sleep 0.3
expect_eq "redis-cli fits once an HTTP connection closed" "$(timeout 5 redis-cli -p "$SC_PORT" ping 2>&1)" "PONG"
expect_eq "INFO rejected_connections counts both refusals" \
  "$(timeout 5 redis-cli -p "$SC_PORT" info stats | tr -d '\r' | grep '^rejected_connections:')" "rejected_connections:2"
exec {h2}>&- {r1}>&-
stop_daemon

# Under a 64-descriptor limit maxclients becomes 32 (64 - Redis's 32 reserved): HTTP connections
# filling it must not leave a RESP client waiting in the backlog without a descriptor.
SC_WRAP="prlimit --nofile=64:64" start_daemon --threads 2 --maxclients 2000000 ||
  { fail "daemon starts under a 64-fd limit"; finish; exit 1; }
grep -q "maxclients has been reduced to 32" "$SC_LOG" && pass "64-fd limit: maxclients reduced to 32" ||
  fail "64-fd limit: maxclients reduced to 32" "$(cat "$SC_LOG")"
probe --group maxclients --maxclients 32
stop_daemon

# The defaults, as documented.
start_daemon
for p in "timeout 0" "http-idle-timeout 60" "http-header-timeout 10" "http-body-timeout 60" \
  "http-max-inflight-body 268435456"; do
  expect_eq "default ${p% *}" "$(timeout 5 redis-cli -p "$SC_PORT" config get "${p% *}" | tr '\n' ' ')" "$p "
done
finish
