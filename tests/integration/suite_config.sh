#!/usr/bin/env bash
# tests/integration/suite_config.sh: the configuration file as an operator uses it, on a real
# daemon with redis-cli: start from a file with an include, flags override the file, a bad
# directive stops start-up with Redis's FATAL report naming file and line (exit 1), CONFIG SET +
# CONFIG REWRITE update the file keeping its comments and a restart keeps the value, REWRITE
# without a file is refused, the shipped shardcached.conf states the real defaults, and CONFIG
# SET/GET and INFO take several parameters, patterns and sections as Redis 7.0 does.
# Loopback only; every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib.sh

RC() { timeout 5 redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
WORK=$(mktemp -d /tmp/shardcached-conf.XXXXXX)
IT_DIRS+=("$WORK")

# start_file PORT FILE [flags...]: starts the daemon with FILE as its first argument; waits for
# PORT. Sets SC_PID and SC_LOG.
start_file() {
  local port=$1; shift
  SC_LOG=$(mktemp /tmp/shardcached-it.XXXXXX.log)
  "$SHARDCACHED" "$@" >"$SC_LOG" 2>&1 &
  SC_PID=$!
  IT_PIDS+=("$SC_PID")
  IT_LOGS+=("$SC_LOG")
  wait_port "$port" || { echo "daemon did not start:"; cat "$SC_LOG"; return 1; }
}

# get PORT PARAM: CONFIG GET's value.
get() { RC "$1" config get "$2" | sed -n 2p; }

# 1. A file with comments, quoting and an include (relative to the working directory).
P1=$(free_port)
cat >"$WORK/extra.conf" <<EOF
# included
maxmemory 100mb
MAXMEMORY-POLICY volatile-lru
EOF
cat >"$WORK/main.conf" <<EOF
# shardcached test configuration
bind 127.0.0.1
port $P1
http-port 0

# persistence off for the test
save ""
dir "$WORK"
include extra.conf
timeout 30
daemonize no
EOF
pushd "$WORK" >/dev/null
start_file "$P1" main.conf || true
popd >/dev/null
if RC "$P1" ping >/dev/null 2>&1; then pass "starts from a file (port $P1 from the file)"; else fail "starts from a file"; fi
expect_eq "maxmemory from the included file" "$(get "$P1" maxmemory)" "104857600"
expect_eq "maxmemory-policy from the included file (name case-insensitive)" "$(get "$P1" maxmemory-policy)" "volatile-lru"
expect_eq "timeout after the include" "$(get "$P1" timeout)" "30"
expect_eq "save \"\" from the file" "$(get "$P1" save)" ""
grep -q "main.conf:11: 'daemonize no' is accepted and ignored" "${IT_LOGS[-1]}" && pass "daemonize no: a warning line" \
  || fail "daemonize no: a warning line" "$(cat "${IT_LOGS[-1]}")"
stop_daemon "$SC_PID"

# 2. Flags on the command line override the file.
P2=$(free_port)
pushd "$WORK" >/dev/null
start_file "$P2" main.conf --port "$P2" --maxmemory 50mb --save "60 5" || true
popd >/dev/null
expect_eq "--port overrides the file's port" "$(RC "$P2" ping 2>&1)" "PONG"
expect_eq "--maxmemory overrides the included file" "$(get "$P2" maxmemory)" "52428800"
expect_eq "--save overrides the file's save" "$(get "$P2" save)" "60 5"
expect_eq "the rest still comes from the file" "$(get "$P2" timeout)" "30"
stop_daemon "$SC_PID"

# 3. A bad directive, and a bad value in an included file: exit 1 and the FATAL report.
printf '# comment\nport 7000\nmaxmemroy 1gb\n' >"$WORK/bad.conf"
timeout 10 "$SHARDCACHED" "$WORK/bad.conf" >"$WORK/bad.out" 2>"$WORK/bad.err"
expect_eq "bad directive: exit 1" "$?" "1"
expected=$(printf '\n*** FATAL CONFIG FILE ERROR (shardcached %s) ***\nReading the configuration file %s, at line 3\n>>> %s\nBad directive or wrong number of arguments' \
  "$("$SHARDCACHED" --version | sed -n 's/^shardcached v=\([^ ]*\).*/\1/p')" "$WORK/bad.conf" "'maxmemroy 1gb'")
expect_eq "bad directive: Redis's report with file and line on stderr" "$(cat "$WORK/bad.err")" "$expected"
printf 'port 7000\ninclude %s\n' "$WORK/badval.conf" >"$WORK/incbad.conf"
printf '\n\nmaxmemory 12parsecs\n' >"$WORK/badval.conf"
timeout 10 "$SHARDCACHED" "$WORK/incbad.conf" >/dev/null 2>"$WORK/badval.err"
expect_eq "bad value in an included file: exit 1" "$?" "1"
grep -q "^Reading the configuration file $WORK/badval.conf, at line 3$" "$WORK/badval.err" && grep -q "^argument must be a memory value$" "$WORK/badval.err" \
  && pass "bad value: the included file's name and line, and the reason" || fail "bad value report" "$(cat "$WORK/badval.err")"
printf 'requirepass "unbalanced\n' >"$WORK/quote.conf"
timeout 10 "$SHARDCACHED" "$WORK/quote.conf" >/dev/null 2>"$WORK/quote.err"
expect_eq "unbalanced quotes: exit 1" "$?" "1"
grep -q "^Unbalanced quotes in configuration line$" "$WORK/quote.err" && pass "unbalanced quotes: reason" || fail "unbalanced quotes: reason" "$(cat "$WORK/quote.err")"
printf 'include %s\n' "$WORK/loop.conf" >"$WORK/loop.conf"
timeout 10 "$SHARDCACHED" "$WORK/loop.conf" >/dev/null 2>"$WORK/loop.err"
expect_eq "include loop: exit 1" "$?" "1"
grep -q "include loop" "$WORK/loop.err" && pass "include loop: reason" || fail "include loop: reason" "$(cat "$WORK/loop.err")"
timeout 10 "$SHARDCACHED" "$WORK/absent.conf" >/dev/null 2>"$WORK/absent.err"
expect_eq "missing file: exit 1" "$?" "1"
grep -q "can't open config file '$WORK/absent.conf'" "$WORK/absent.err" && pass "missing file: reason" || fail "missing file: reason" "$(cat "$WORK/absent.err")"

# 4. CONFIG SET + CONFIG REWRITE: the file is updated in place, comments kept; a restart keeps it.
P4=$(free_port)
cat >"$WORK/rw.conf" <<EOF
# rewrite test: keep me
port $P4
http-port 0

# memory section
maxmemory 100mb
# after maxmemory
save ""
dir "$WORK"
EOF
start_file "$P4" "$WORK/rw.conf" || true
expect_eq "CONFIG SET maxmemory" "$(RC "$P4" config set maxmemory 1gb)" "OK"
expect_eq "CONFIG SET timeout" "$(RC "$P4" config set timeout 7)" "OK"
expect_eq "CONFIG REWRITE" "$(RC "$P4" config rewrite)" "OK"
expected=$(printf '# rewrite test: keep me\nport %s\nhttp-port 0\n\n# memory section\nmaxmemory 1gb\n# after maxmemory\nsave ""\ndir "%s"\n\n# Generated by CONFIG REWRITE\ntimeout 7' "$P4" "$WORK")
expect_eq "rewritten file: comments and order kept, line replaced, new one appended" "$(cat "$WORK/rw.conf")" "$expected"
[ "$(ls "$WORK" | grep -c '^rw.conf')" == "1" ] && pass "no temp file left" || fail "no temp file left" "$(ls "$WORK")"
stop_daemon "$SC_PID"
start_file "$P4" "$WORK/rw.conf" || true
expect_eq "restart with the rewritten file keeps maxmemory" "$(get "$P4" maxmemory)" "1073741824"
expect_eq "restart with the rewritten file keeps timeout" "$(get "$P4" timeout)" "7"
stop_daemon "$SC_PID"

# 5. REWRITE without a config file.
start_daemon || fail "daemon starts without a file"
expect_eq "CONFIG REWRITE without a file" "$(RC "$SC_PORT" config rewrite)" "ERR The server is running without a config file"
stop_daemon "$SC_PID"

# 6. The shipped shardcached.conf: it starts, and CONFIG GET * equals a daemon's started without it
# (both with the same port, dir and save flags; ports left out of the comparison).
mkdir -p "$WORK/sample-a" "$WORK/sample-b"
PA=$(free_port); PB=$(free_port)
start_file "$PA" shardcached.conf --port "$PA" --http-port 0 --dir "$WORK/sample-a" || true
A_LOG=$SC_LOG; A_PID=$SC_PID
start_file "$PB" --port "$PB" --http-port 0 --dir "$WORK/sample-a" || true
B_PID=$SC_PID
all_config() { RC "$1" config get '*' | paste - - | grep -v -E '^(port|http-port)\s' | sort; }
a=$(all_config "$PA"); b=$(all_config "$PB")
[ "$(echo "$a" | wc -l)" -gt 25 ] && pass "CONFIG GET * answers ($(echo "$a" | wc -l) parameters)" || fail "CONFIG GET * answers" "$a"
expect_eq "shipped shardcached.conf: every value is the default" "$a" "$b"
grep -q "accepted and ignored" "$A_LOG" && fail "shipped file: no warnings" "$(grep 'accepted and ignored' "$A_LOG")" || pass "shipped file: no warnings"
stop_daemon "$A_PID"; stop_daemon "$B_PID"

# 7. CONFIG SET with several parameters (all or nothing), CONFIG GET with several patterns, INFO
# with several sections: the replies redis-server 7.0.15 gives (its policy list names Redis's
# policies; shardcached lists the ones it has).
start_daemon --maxmemory 100mb || fail "daemon starts for CONFIG SET/GET, INFO"
expect_eq "CONFIG SET two parameters" "$(RC "$SC_PORT" config set maxmemory 200mb maxmemory-policy volatile-ttl)" "OK"
expect_eq "CONFIG SET: a refused value changes nothing" \
  "$(RC "$SC_PORT" config set maxmemory 50mb maxmemory-policy nosuch)" \
  "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-random, volatile-ttl, allkeys-lru, allkeys-random, noeviction, allkeys-sieve"
expect_eq "CONFIG SET: maxmemory kept after the refusal" "$(get "$SC_PORT" maxmemory)" "209715200"
expect_eq "INFO memory: the store's budget kept too" "$(RC "$SC_PORT" info memory | tr -d '\r' | sed -n 's/^maxmemory://p')" "209715200"
expect_eq "CONFIG SET: duplicate parameter" "$(RC "$SC_PORT" config set maxmemory 1mb MAXMEMORY 2mb)" \
  "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"
expect_eq "CONFIG SET: odd argument count" "$(RC "$SC_PORT" config set maxmemory 1mb hz)" "ERR syntax error"
expect_eq "CONFIG GET: names and patterns, each parameter once" \
  "$(RC "$SC_PORT" config get maxmemory 'maxmemory*' MAXMEMORY | paste - - | LC_ALL=C sort | tr '\t\n' '= ')" \
  "maxmemory=209715200 maxmemory-clients=0 maxmemory-policy=volatile-ttl "
glob=$(RC "$SC_PORT" config get '*max*' | paste - - | cut -f1)
{ echo "$glob" | grep -qx maxclients && echo "$glob" | grep -qx proto-max-bulk-len && ! echo "$glob" | grep -qx hz &&
  [ "$(echo "$glob" | sort | uniq -d)" = "" ]; } && pass "CONFIG GET *max*: the matching names, once each" \
  || fail "CONFIG GET *max*" "$glob"
headers() { RC "$SC_PORT" info "$@" | tr -d '\r' | sed -n 's/^# //p' | tr '\n' ' '; }
expect_eq "INFO keyspace server clients: Redis's order" "$(headers keyspace server CLIENTS)" "Server Clients Keyspace "
expect_eq "INFO server server: once" "$(headers server server)" "Server "
expect_eq "INFO everything" "$(headers everything)" \
  "Server Clients Memory Persistence Stats CPU Commandstats Errorstats Latencystats Cluster Keyspace Keyfamilies "
expect_eq "INFO server all" "$(headers server all)" \
  "Server Clients Memory Persistence Stats CPU Commandstats Errorstats Latencystats Cluster Keyspace Keyfamilies "
expect_eq "INFO (default): no Commandstats, no Latencystats" "$(headers)" \
  "Server Clients Memory Persistence Stats CPU Errorstats Cluster Keyspace "
expect_eq "INFO nosuch: empty" "$(RC "$SC_PORT" info nosuch)" ""
# The same through redis-py (4.3): config_set/config_get/info with several arguments.
py_out=$(timeout 20 /usr/bin/python3 - "$SC_PORT" <<'PY' 2>&1
import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=5)
assert r.config_set("maxmemory", "300mb", "hz", "20") is True
try:
    r.config_set("maxmemory", "50mb", "maxmemory-policy", "nosuch")
    raise SystemExit("refused value accepted")
except redis.ResponseError as e:
    assert str(e).startswith("CONFIG SET failed (possibly related to argument 'maxmemory-policy')"), e
got = r.config_get("maxmemory", "h?")
assert got == {"maxmemory": "314572800", "hz": "20"}, got
assert set(r.config_get("*max*")) >= {"maxmemory", "maxclients", "proto-max-bulk-len"}
info = r.info("clients", "server")
assert "redis_version" in info and "connected_clients" in info and "used_memory" not in info, info
print("ok")
PY
)
expect_eq "redis-py: CONFIG SET/GET and INFO with several arguments" "$py_out" "ok"
stop_daemon "$SC_PID"

finish
