# tests/integration/suite_badinput.sh: bad and awkward input over raw sockets (python/badinput.py):
# malformed RESP, unknown commands, wrong arity and arguments, missing AUTH, maxclients, garbage
# from one client, a huge bulk declared but never sent, tiny writes, a 100-command pipeline and
# a 10 MB value. The same script then runs against the real redis-server 7.0.15, so every
# expected error text it records is checked against Redis itself.
source "$(dirname "$0")/lib.sh"
SCRIPT="$(dirname "$0")/python/badinput.py"
PASSWORD=it-secret-pw

# run_badinput LABEL PORT PID AUTH_PORT MAXCLIENTS_PORT: runs the script and adds its counts.
run_badinput() {
  run_counted "$1: badinput.py" timeout 120 "$PY" "$SCRIPT" --label "$1" --port "$2" --pid "$3" --auth-port "$4" \
    --password "$PASSWORD" --maxclients-port "$5"
}

# shardcached: a plain one (maxmemory 1gb, room for the 10 MB round trip beside the other
# probes), one with a password, one with --maxclients 2.
start_daemon --maxmemory 1gb || { fail "daemon starts"; finish; exit 1; }
MAIN_PORT=$SC_PORT MAIN_PID=$SC_PID
start_daemon --requirepass "$PASSWORD" || { fail "daemon with --requirepass starts"; finish; exit 1; }
AUTH_PORT=$SC_PORT
start_daemon --maxclients 2 || { fail "daemon with --maxclients 2 starts"; finish; exit 1; }
MAXC_PORT=$SC_PORT
run_badinput shardcached "$MAIN_PORT" "$MAIN_PID" "$AUTH_PORT" "$MAXC_PORT"
kill -0 "$MAIN_PID" 2>/dev/null && pass "shardcached survived all of it" || fail "shardcached survived all of it"

# start_redis [args...]: the reference redis-server on a free loopback port; sets REF_PORT, REF_PID.
start_redis() {
  REF_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REF_PORT" --save '' --appendonly no "$@" >/dev/null 2>&1 &
  REF_PID=$!
  IT_PIDS+=("$REF_PID")
  wait_port "$REF_PORT"
}

if ! command -v redis-server >/dev/null; then
  echo "skip: redis-server is not installed; expected texts not re-checked against Redis"
elif ! redis-server --version | grep -q ' v=7\.0\.'; then
  echo "skip: reference is $(redis-server --version | cut -d' ' -f3), the texts were recorded from 7.0.15"
else
  start_redis && R_MAIN_PORT=$REF_PORT R_MAIN_PID=$REF_PID &&
    start_redis --requirepass "$PASSWORD" && R_AUTH_PORT=$REF_PORT &&
    start_redis --maxclients 2 && R_MAXC_PORT=$REF_PORT
  if [ -n "${R_MAXC_PORT:-}" ]; then
    run_badinput "redis-server 7.0" "$R_MAIN_PORT" "$R_MAIN_PID" "$R_AUTH_PORT" "$R_MAXC_PORT"
  else
    fail "reference redis-server starts"
  fi
fi
finish
