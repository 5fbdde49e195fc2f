# tests/integration/suite_hostile_commands.sh: command-level hardening against a running daemon:
# CONFIG SET values that would lock everyone out (redis-server 7.0.15's texts), AUTH forms,
# protected mode at run time (a client from source address 127.0.0.2 connecting to 127.0.0.1:
# Redis 7.0 only trusts 127.0.0.1 and ::1), CLIENT KILL TYPE normal / SKIPME, the failed-auth
# counter in INFO and /metrics and its log line with the peer address, --bind localhost. After
# every probe PING must answer within 100 ms and a canary key must be intact.
source "$(dirname "$0")/lib.sh"

start_daemon --bind localhost || { fail "daemon starts with --bind localhost"; finish; exit 1; }
pass "--bind localhost starts"
cli() { timeout 5 redis-cli -p "$SC_PORT" "$@" 2>/dev/null; }
expect_eq "--bind localhost answers on 127.0.0.1" "$(cli ping)" "PONG"
cli set canary alive >/dev/null

# healthy NAME: PING answers within 100 ms and the canary is intact after a probe.
healthy() {
  local out
  out=$($PY - "$SC_PORT" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
t = time.monotonic(); s.sendall(b"PING\r\n"); r = s.recv(100); dt = (time.monotonic() - t) * 1000
s.sendall(b"GET canary\r\n"); g = s.recv(100)
print("ok" if r == b"+PONG\r\n" and dt < 100 and g == b"$5\r\nalive\r\n" else "bad %r %.1fms %r" % (r, dt, g))
PYEOF
)
  expect_eq "after $1: PING < 100 ms, canary intact" "$out" "ok"
}

# --- CONFIG SET bounds, exact texts from redis-server 7.0.15
e() { echo "ERR CONFIG SET failed (possibly related to argument '$1') - $2"; }
expect_eq "maxclients 0 refused" "$(cli config set maxclients 0)" "$(e maxclients 'argument must be between 1 and 4294967295 inclusive')"
expect_eq "maxclients abc refused" "$(cli config set maxclients abc)" "$(e maxclients "argument couldn't be parsed into an integer")"
expect_eq "proto-max-bulk-len 1 refused" "$(cli config set proto-max-bulk-len 1)" \
  "$(e proto-max-bulk-len 'argument must be between 1048576 and 9223372036854775807 inclusive')"
expect_eq "client-query-buffer-limit 1 refused" "$(cli config set client-query-buffer-limit 1)" \
  "$(e client-query-buffer-limit 'argument must be between 1048576 and 9223372036854775807 inclusive')"
expect_eq "timeout -1 refused" "$(cli config set timeout -1)" "$(e timeout 'argument must be between 0 and 2147483647 inclusive')"
expect_eq "protected-mode maybe refused" "$(cli config set protected-mode maybe)" "$(e protected-mode "argument must be 'yes' or 'no'")"
expect_eq "maxclients untouched by a refused pair" "$(cli config set maxclients 5 timeout -1 >/dev/null; cli config get maxclients | tail -1)" "10000"
expect_eq "hz 0 clamps to 1" "$(cli config set hz 0 >/dev/null; cli config get hz | tail -1)" "1"
cli config set hz 10 >/dev/null
healthy "CONFIG SET probes"

# --- bounded work per request
TL="ERR string exceeds maximum allowed size (proto-max-bulk-len)"
expect_eq "SETRANGE at offset 512 MB refused" "$(cli setrange big 536870912 x)" "$TL"
cli config set proto-max-bulk-len 1mb >/dev/null
expect_eq "SETRANGE past proto-max-bulk-len 1mb refused" "$(cli setrange big 1048576 x)" "$TL"
expect_eq "SET EX overflow refused" "$(cli set k v ex 9223372036854775807)" "ERR invalid expire time in 'set' command"
expect_eq "SCAN COUNT LLONG_MAX answers" "$(cli scan 0 count 9223372036854775807 | head -1)" "0"
cli config set proto-max-bulk-len 512mb >/dev/null
mout=$($PY - "$SC_PORT" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"CONFIG SET client-query-buffer-limit 1mb\r\nMULTI\r\n" + b"".join(
    b"*3\r\n$3\r\nSET\r\n$2\r\nq%d\r\n$102400\r\n" % (i % 10) + b"x" * 102400 + b"\r\n" for i in range(12)) + b"EXEC\r\n")
d = b""
while b"EXECABORT" not in d:
    x = s.recv(65536)
    if not x: break
    d += x
lines = d.split(b"\r\n")
print(lines[2 + 10].decode(), "|", lines[-2].decode())
PYEOF
)
expect_eq "MULTI past client-query-buffer-limit: error, then EXECABORT" "$mout" \
  "-ERR transaction too large: the queued commands would exceed client-query-buffer-limit | -EXECABORT Transaction discarded because of previous errors."
cli config set client-query-buffer-limit 1gb >/dev/null
healthy "bounded-work probes"

# --- AUTH forms with no password (redis-server 7.0.15)
expect_eq "AUTH x without a password" "$(cli auth x)" \
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
expect_eq "AUTH default x without a password" "$(cli auth default x)" "OK"
expect_eq "AUTH bob x without a password" "$(cli auth bob x)" "WRONGPASS invalid username-password pair or user is disabled."
healthy "AUTH probes"

# --- protected mode at run time: source 127.0.0.2 is not 127.0.0.1 for Redis
from_2() {  # from_2 PORT: from 127.0.0.2, reads what the server says unasked (DENIED) or else sends PING; prints the first line
  $PY - "$1" <<'PYEOF'
import socket, sys
s = socket.socket(); s.settimeout(2); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
d = b""
s.settimeout(0.3)
try:
    d = s.recv(4096)
except socket.timeout:
    s.sendall(b"PING\r\n")
s.settimeout(2)
try:
    while b"\r\n" not in d:
        x = s.recv(4096)
        if not x: break
        d += x
    closed = s.recv(1) == b"" if d.startswith(b"-DENIED") else False
except socket.timeout:
    closed = False
print(d.split(b"\r\n")[0].decode() + (" [closed]" if closed else ""))
PYEOF
}
# redis-server 7.0.15's reply, byte for byte (networking.c, clientAcceptHandler)
DENIED="-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside. [closed]"
expect_eq "protected mode: a client from 127.0.0.2 is refused and closed" "$(from_2 "$SC_PORT")" "$DENIED"
expect_eq "protected mode: 127.0.0.1 is served" "$(cli ping)" "PONG"
code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$SC_HTTP_PORT/ping")
expect_eq "protected mode: REST from 127.0.0.2 gets 403" "$code" "403"
curl -s -m 2 --interface 127.0.0.2 "http://127.0.0.1:$SC_HTTP_PORT/ping" | grep -q '^{"error":"DENIED Redis is running in protected mode' \
  && pass "protected mode: REST 403 carries the DENIED text" || fail "REST DENIED body"
expect_eq "CONFIG SET requirepass pw" "$(cli config set requirepass pw)" "OK"
expect_eq "with a password: 127.0.0.2 gets NOAUTH, not DENIED" "$(from_2 "$SC_PORT")" "-NOAUTH Authentication required."
expect_eq "CONFIG SET requirepass '' is allowed (as in Redis)" "$(cli -a pw config set requirepass '')" "OK"
expect_eq "password removed: 127.0.0.2 refused again" "$(from_2 "$SC_PORT")" "$DENIED"
expect_eq "CONFIG SET protected-mode no" "$(cli config set protected-mode no)" "OK"
expect_eq "protected-mode no: 127.0.0.2 served" "$(from_2 "$SC_PORT")" "+PONG"
cli config set protected-mode yes >/dev/null
healthy "protected-mode probes"

# --- CLIENT KILL TYPE normal kills the others, not the caller; SKIPME no kills the caller too
pids=()
for _ in 1 2 3; do (sleep 30 | timeout 30 redis-cli -p "$SC_PORT" >/dev/null 2>&1) & pids+=($!); done
for _ in $(seq 1 50); do [ "$(cli info clients | grep -o 'connected_clients:[0-9]*' | cut -d: -f2)" -ge 4 ] && break; sleep 0.05; done
killed=$(cli client kill type normal)
[ "${killed:-0}" -ge 3 ] && pass "CLIENT KILL TYPE normal killed the others ($killed)" || fail "CLIENT KILL TYPE normal" "$killed"
expect_eq "CLIENT KILL TYPE pubsub kills none" "$(cli client kill type pubsub)" "0"
expect_eq "CLIENT KILL TYPE foo" "$(cli client kill type foo)" "ERR Unknown client type 'foo'"
expect_eq "CLIENT KILL TYPE normal SKIPME no kills the caller too" \
  "$(printf 'CLIENT KILL TYPE normal SKIPME no\r\nPING\r\n' | timeout 5 redis-cli -p "$SC_PORT" 2>&1 | head -1)" "1"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
healthy "CLIENT KILL probes"

# --- failed authentications: counted in INFO and /metrics, logged with the peer, rate-limited
base=$(cli info stats | grep -o 'acl_access_denied_auth:[0-9]*' | cut -d: -f2)
cli config set requirepass pw >/dev/null
for _ in $(seq 1 20); do cli auth wrong >/dev/null; done
curl -s -m 2 -o /dev/null -H 'Authorization: Bearer nope' "http://127.0.0.1:$SC_HTTP_PORT/ping"
expect_eq "INFO acl_access_denied_auth counts RESP and REST failures" \
  "$(cli -a pw info stats | grep -o 'acl_access_denied_auth:[0-9]*')" "acl_access_denied_auth:$((base + 21))"
expect_eq "/metrics shardcache_auth_failures_total" \
  "$(curl -s -m 2 -H "Authorization: Bearer pw" "http://127.0.0.1:$SC_HTTP_PORT/metrics" | grep '^shardcache_auth_failures_total ')" "shardcache_auth_failures_total $((base + 21))"
grep -q "authentication failed (AUTH) from 127.0.0.1:[0-9]*" "$SC_LOG" && pass "log line names the peer address" \
  || fail "auth failure log line" "$(grep -i auth "$SC_LOG")"
lines=$(grep -c "authentication failed" "$SC_LOG")
[ "$lines" -ge 1 ] && [ "$lines" -le 3 ] && pass "21 failures in about a second: $lines log lines" || fail "rate limit" "$lines lines"
sleep 1.1; cli auth wrong >/dev/null
grep -q "more failed authentications not logged in the last second" "$SC_LOG" && pass "suppressed failures are reported" \
  || fail "suppressed count" "$(grep -i auth "$SC_LOG")"
cli -a pw config set requirepass '' >/dev/null
healthy "failed-auth probes"

# --- --bind forms: ::1 serves (and ::1 is loopback for protected mode); several addresses or an
# unknown name are refused with a reason (exit 2)
V6_PORT=$(free_port)
"$SHARDCACHED" --bind ::1 --port "$V6_PORT" --save "" --http-port 0 >/dev/null 2>&1 &
V6_PID=$!; IT_PIDS+=("$V6_PID")
v6=""; for _ in $(seq 1 100); do v6=$(timeout 2 redis-cli -h ::1 -p "$V6_PORT" ping 2>/dev/null) && [ "$v6" = PONG ] && break; sleep 0.05; done
expect_eq "--bind ::1 answers PING (no password, protected mode on)" "$v6" "PONG"
stop_daemon "$V6_PID"
out=$(timeout 5 "$SHARDCACHED" --bind "127.0.0.1 ::1" --port 0 --save "" --http-port 0 2>&1); rc=$?
expect_eq "--bind with two addresses exits 2" "$rc" "2"
echo "$out" | grep -q "one address only" && pass "--bind with two addresses says why" || fail "two-address message" "$out"
out=$(timeout 5 "$SHARDCACHED" --bind nosuchhost.invalid --port 0 --save "" --http-port 0 2>&1); rc=$?
expect_eq "--bind with an unknown name exits 2" "$rc" "2"

finish
