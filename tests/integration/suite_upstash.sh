# tests/integration/suite_upstash.sh: the REST front end with the real @upstash/redis client
# (node --test, tests/integration/upstash/), raw-HTTP bad-input tests, /metrics parsed by the
# Prometheus client's parser and checked against INFO, RESP AUTH, protected mode, and every
# command table row REST allows run over REST (upstash/rest_rows_check.py).
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
TOKEN="sc-token-$$-$RANDOM"

# npm ci once (lockfile pinned @upstash/redis 1.39.x); offline cache first.
if [ ! -d "$HERE/upstash/node_modules/@upstash/redis" ]; then
  npm_log=$(mktemp /tmp/shardcache-npm.XXXXXX.log)  # per run: two checkouts testing at once keep their own
  if ! (cd "$HERE/upstash" && timeout 300 npm ci --prefer-offline --no-audit --no-fund >"$npm_log" 2>&1); then
    tail -20 "$npm_log"
    fail "npm ci in tests/integration/upstash"
    finish; exit 1
  fi
fi
pass "@upstash/redis $(node -p 'require("'"$HERE"'/upstash/node_modules/@upstash/redis/package.json").version') installed"

start_daemon --requirepass "$TOKEN" --http-max-body 1mb || { fail "daemon starts"; finish; exit 1; }
wait_port "$SC_HTTP_PORT" && pass "HTTP listens on --http-port" || { fail "HTTP port"; finish; exit 1; }

# --- the real client and raw HTTP (node --test); TAP summary -> counts
node_log=/tmp/shardcache-upstash-node.$$.log
(cd "$HERE/upstash" && UPSTASH_REDIS_REST_URL="http://127.0.0.1:$SC_HTTP_PORT" UPSTASH_REDIS_REST_TOKEN="$TOKEN" \
  timeout 300 node --test --test-reporter=tap client.test.mjs raw.test.mjs) >"$node_log" 2>&1
grep -E "^# Subtest|^not ok|^ok" "$node_log" | grep -v "^# Subtest" | sed 's/^/  node: /'
grep -A25 "^not ok" "$node_log" | head -80
np=$(awk '/^# pass /{print $3}' "$node_log"); nf=$(awk '/^# fail /{print $3}' "$node_log")
if [ -z "$np" ] || [ -z "$nf" ]; then tail -30 "$node_log"; fail "node --test ran"; else add_counts "$np passed, $nf failed"; fi
[ "$np" = "" ] || [ "$np" -ge 20 ] || fail "expected at least 20 node tests, got $np"

# --- /metrics through the Prometheus parser, agreeing with INFO
metrics_out=$($PY "$HERE/upstash/metrics_check.py" "$SC_PORT" "$SC_HTTP_PORT" "$TOKEN" 2>&1)
echo "$metrics_out" | sed 's/^/  metrics: /'
line=$(echo "$metrics_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ -n "$line" ]; then add_counts "$line"; else fail "metrics_check.py ran" "$metrics_out"; fi

# --- RESP auth with --requirepass (NOAUTH, WRONGPASS, AUTH forms, HELLO 3 AUTH)
cli() { timeout 5 redis-cli -p "$SC_PORT" "$@" 2>/dev/null; }
expect_eq "RESP without AUTH: NOAUTH" "$(cli get k)" "NOAUTH Authentication required."
expect_eq "RESP AUTH wrong password: WRONGPASS" "$(cli auth wrong)" \
  "WRONGPASS invalid username-password pair or user is disabled."
expect_eq "RESP AUTH password" "$(printf 'AUTH %s\r\nPING\r\n' "$TOKEN" | cli)" "$(printf 'OK\nPONG')"
expect_eq "RESP AUTH default password" "$(printf 'AUTH default %s\r\nSET auth:k v\r\nGET auth:k\r\n' "$TOKEN" | cli)" \
  "$(printf 'OK\nOK\nv')"
expect_eq "RESP AUTH other user: WRONGPASS" "$(cli auth bob "$TOKEN")" \
  "WRONGPASS invalid username-password pair or user is disabled."
hello=$(printf 'HELLO 3 AUTH default %s\r\nGET auth:k\r\n' "$TOKEN" | cli -3)
echo "$hello" | grep -q "^proto 3$" && echo "$hello" | tail -1 | grep -qx "v" \
  && pass "RESP HELLO 3 AUTH default password" || fail "RESP HELLO 3 AUTH" "$hello"
expect_eq "redis-cli -a" "$(timeout 5 redis-cli -p "$SC_PORT" -a "$TOKEN" --no-auth-warning get auth:k)" "v"
# The same secret is the REST bearer token; a value set over RESP is visible over REST.
expect_eq "REST sees RESP's write with the token" \
  "$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$SC_HTTP_PORT/get/auth:k")" '{"result":"v"}'
expect_eq "REST without the token: 401" \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SC_HTTP_PORT/get/auth:k")" "401"
# INFO's byte counters include the REST front end (Redis counts every client's bytes).
net_bytes() { cli -a "$TOKEN" --no-auth-warning info stats | tr -d '\r' | grep "^total_net_$1_bytes:" | cut -d: -f2; }
in0=$(net_bytes input); out0=$(net_bytes output)
big=$(head -c 20000 /dev/zero | tr '\0' x)
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$SC_HTTP_PORT/" -d "[\"set\",\"net:k\",\"$big\"]"
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$SC_HTTP_PORT/get/net:k"
in1=$(net_bytes input); out1=$(net_bytes output)
[ $((in1 - in0)) -ge 20000 ] && [ $((out1 - out0)) -ge 20000 ] && pass "INFO total_net_*_bytes count REST traffic" ||
  fail "INFO total_net_*_bytes count REST traffic" "input +$((in1 - in0)), output +$((out1 - out0))"
! grep -q "$TOKEN" "$SC_LOG" && pass "the password never appears in the log" || fail "password logged"
stop_daemon

# --- protected mode: a non-loopback bind without a password refuses to start and says how to fix it
PM_LOG=$(mktemp /tmp/shardcached-pm.XXXXXX.log)
for bind in 0.0.0.0 127.0.0.2; do
  timeout 5 "$SHARDCACHED" --bind "$bind" --port "$(free_port)" --save "" --http-port "$(free_port)" >"$PM_LOG" 2>&1
  rc=$?
  expect_eq "protected mode: --bind $bind without a password exits 1" "$rc" "1"
  grep -q "refusing to start.*no --requirepass is set (protected mode).*Set a password, or bind 127.0.0.1" "$PM_LOG" \
    && pass "protected mode explains itself ($bind)" || fail "protected mode message" "$(cat "$PM_LOG")"
done
# With a password it starts on that address (127.0.0.2: loopback, but not 127.0.0.1), REST included.
PM_PORT=$(free_port); PM_HTTP=$(free_port)
"$SHARDCACHED" --bind 127.0.0.2 --port "$PM_PORT" --save "" --http-port "$PM_HTTP" --requirepass pw2 >"$PM_LOG" 2>&1 &
PM_PID=$!; IT_PIDS+=("$PM_PID")
ok=0; for _ in $(seq 1 100); do
  [ "$(curl -s -m 1 "http://127.0.0.2:$PM_HTTP/healthz" | head -c 15)" = '{"status":"ok",' ] && { ok=1; break; }
  sleep 0.05
done
expect_eq "protected mode: starts with --requirepass on 127.0.0.2" "$ok" "1"
expect_eq "protected mode: REST needs the token" \
  "$(curl -s -m 2 -H 'Authorization: Bearer pw2' "http://127.0.0.2:$PM_HTTP/" -d '["ping"]')" '{"result":"PONG"}'
expect_eq "protected mode: RESP needs AUTH" "$(timeout 5 redis-cli -h 127.0.0.2 -p "$PM_PORT" ping 2>&1)" \
  "NOAUTH Authentication required."
stop_daemon "$PM_PID"

# --- every command table row REST allows runs over REST (a daemon with REST traffic only)
start_daemon --requirepass "$TOKEN" || { fail "REST-only daemon starts"; finish; exit 1; }
wait_port "$SC_HTTP_PORT" || fail "REST-only daemon: HTTP port"
rows_out=$(timeout 120 $PY "$HERE/upstash/rest_rows_check.py" "$SC_HTTP_PORT" "$TOKEN" 2>&1)
echo "$rows_out" | grep -v "^ok " | sed 's/^/  rows: /'
line=$(echo "$rows_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ -n "$line" ]; then add_counts "$line"; else fail "rest_rows_check.py ran" "$rows_out"; fi
stop_daemon "$SC_PID"

# --- --http-port 0 disables HTTP; RESP still serves
OFF_PORT=$(free_port)
"$SHARDCACHED" --bind 127.0.0.1 --port "$OFF_PORT" --save "" --http-port 0 >"$PM_LOG" 2>&1 &
OFF_PID=$!; IT_PIDS+=("$OFF_PID")
wait_port "$OFF_PORT" && expect_eq "--http-port 0: RESP serves" "$(timeout 5 redis-cli -p "$OFF_PORT" ping)" "PONG"
! grep -q "HTTP (Upstash REST" "$PM_LOG" && pass "--http-port 0: no HTTP listener" || fail "--http-port 0 started HTTP"
stop_daemon "$OFF_PID"
expect_eq "bad --http-port is refused" "$(timeout 5 "$SHARDCACHED" --http-port 70000 >/dev/null 2>&1; echo $?)" "2"
rm -f "$node_log" "$PM_LOG"
finish
