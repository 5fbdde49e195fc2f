# tests/integration/lib.sh: helpers for integration suites (sourced). Starts the built daemon on a
# free loopback port, counts checks, and prints the "N passed, N failed" line suites must end with.
# Every wait below is bounded.

IT_PASS=0
IT_FAIL=0
IT_PIDS=()
IT_LOGS=()
IT_DIRS=()
SHARDCACHED=${SHARDCACHED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/daemon/shardcached}
PY=/usr/bin/python3   # Debian's python (sees python3-redis); the python3 on PATH does not

# free_port: prints a currently free TCP port on 127.0.0.1.
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT: waits up to 5 s until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 i
  for i in $(seq 1 100); do
    $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && return 0
    sleep 0.05
  done
  return 1
}

# start_daemon [extra args...]: starts shardcached; sets SC_PORT, SC_HTTP_PORT, SC_PID, SC_LOG.
# SC_CONF, if set, is a configuration file passed first (`shardcached FILE flags...`).
# SC_WRAP, if set, is a command that execs the daemon with changed limits, e.g.
# `SC_WRAP="prlimit --nofile=64:64" start_daemon ...` (prlimit execs it: SC_PID stays the daemon's).
start_daemon() {
  SC_PORT=$(free_port)
  SC_HTTP_PORT=$(free_port)
  SC_LOG=$(mktemp /tmp/shardcached-it.XXXXXX.log)
  # No save points and a directory of its own: a test daemon never writes or loads a snapshot
  # unless the test asks (its own --save / --dir come later and win).
  SC_DIR=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir)
  IT_DIRS+=("$SC_DIR")
  ${SC_WRAP:-} "$SHARDCACHED" ${SC_CONF:+"$SC_CONF"} --bind 127.0.0.1 --port "$SC_PORT" --http-port "$SC_HTTP_PORT" --save "" --dir "$SC_DIR" "$@" >"$SC_LOG" 2>&1 &
  SC_PID=$!
  IT_PIDS+=("$SC_PID")
  IT_LOGS+=("$SC_LOG")
  if ! wait_port "$SC_PORT"; then
    echo "daemon did not start:"; cat "$SC_LOG"
    return 1
  fi
}

# wait_exit PID: waits up to 10 s for our child PID to exit; sets WAIT_RC to its exit code (or
# "running"). Not in $(...): wait only works on the shell's own children.
wait_exit() {
  local i
  WAIT_RC=running
  for i in $(seq 1 200); do
    kill -0 "$1" 2>/dev/null || { wait "$1"; WAIT_RC=$?; return; }
    sleep 0.05
  done
}

# stop_daemon [PID]: SIGTERM, wait up to 10 s (a sanitizer build's exit checks take seconds), then
# SIGKILL.
stop_daemon() {
  local pid=${1:-$SC_PID} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
}

# it_cleanup: stops every daemon started; keeps their logs only when a check failed.
it_cleanup() {
  local p
  for p in "${IT_PIDS[@]}"; do stop_daemon "$p"; done
  [ "${#IT_DIRS[@]}" -gt 0 ] && rm -rf "${IT_DIRS[@]}"
  [ "$IT_FAIL" -eq 0 ] && rm -f "${IT_LOGS[@]}"
}
trap it_cleanup EXIT

pass() { IT_PASS=$((IT_PASS + 1)); echo "ok   $1"; }
fail() { IT_FAIL=$((IT_FAIL + 1)); echo "FAIL $1${2:+: $2}"; }

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "got [$2], want [$3]"; fi
}

# add_counts "N passed, N failed" line from a sub-runner (node --test, python unittest wrapper).
add_counts() {
  local line=$1
  IT_PASS=$((IT_PASS + $(echo "$line" | cut -d' ' -f1)))
  IT_FAIL=$((IT_FAIL + $(echo "$line" | cut -d' ' -f3)))
}

# run_counted LABEL CMD...: runs a sub-runner that ends with "N passed, N failed" (a Python check
# script), prints its output with that line labelled "LABEL: ...", and adds its counts; a runner
# that dies before its summary line counts as one failure.
run_counted() {
  local label=$1 out line; shift
  out=$("$@" 2>&1)
  echo "$out" | sed -E "s/^([0-9]+ passed, [0-9]+ failed)\$/$label: \1/"
  line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -n "$line" ]; then add_counts "$line"; else fail "$label ran to the end"; fi
}

# check_sanitizer_logs: stops every daemon started (so reports printed at exit, such as leaks,
# are in the logs) and fails the suite for each daemon log holding an ASan/UBSan/TSan report.
# Sanitizer builds (tools/test's asan and tsan passes) write their reports to the daemon's stderr.
check_sanitizer_logs() {
  local p log
  for p in "${IT_PIDS[@]}"; do stop_daemon "$p"; done
  for log in "${IT_LOGS[@]}"; do
    [ -f "$log" ] || continue
    if grep -qE "runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer" "$log"; then
      fail "sanitizer report in daemon log $log" "$(grep -m1 -E "runtime error:|ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer" "$log")"
    fi
  done
}

finish() {
  check_sanitizer_logs
  [ "$IT_FAIL" -gt 0 ] && [ ${#IT_LOGS[@]} -gt 0 ] && echo "daemon logs kept: ${IT_LOGS[*]}"
  echo "$IT_PASS passed, $IT_FAIL failed"
  [ "$IT_FAIL" -eq 0 ]
}
