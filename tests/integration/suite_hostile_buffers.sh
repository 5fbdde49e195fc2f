#!/usr/bin/env bash
# tests/integration/suite_hostile_buffers.sh: client buffers against hostile clients:
# client-output-buffer-limit (hard, soft, at run time, over REST), maxmemory-clients with
# CLIENT NO-EVICT, the memory an idle connection costs (and gives back after 2 s idle), and
# input that moves from the inline read buffer to a pooled one. The checks are in
# python/hostile_buffers.py (raw sockets); this script starts the daemons and counts the results.
set -u
cd "$(dirname "$0")"
source ./lib.sh

# run_part PART: runs one part of python/hostile_buffers.py against the current daemon.
run_part() {
  local line
  while IFS= read -r line; do
    case "$line" in
      "ok   "*) pass "${line#ok   }" ;;
      "FAIL "*) fail "${line#FAIL }" ;;
      *) echo "$line" ;;
    esac
  done < <(timeout 60 $PY python/hostile_buffers.py "$1" "$SC_PORT" "$SC_HTTP_PORT" "$SC_PID" 2>&1)
}

# (a) A fresh daemon, so its peak RSS is this part's.
start_daemon --client-output-buffer-limit "normal 64mb 0 0" || { fail "daemon starts"; finish; exit 1; }
run_part hard
if grep -q "scheduled to be closed ASAP for overcoming of output buffer limits" "$SC_LOG"; then
  pass "the close is logged with Redis's line"
else
  fail "the close is logged with Redis's line"
fi
stop_daemon

# (b) and (d) share a daemon; (c) gets a fresh one (peak RSS again).
start_daemon || { fail "daemon starts"; finish; exit 1; }
run_part runtime
run_part evict
run_part idle_trim
run_part read_paths
grep -q "Evicting client: id=" "$SC_LOG" && pass "eviction is logged with Redis's line" || fail "eviction is logged with Redis's line"
stop_daemon

start_daemon || { fail "daemon starts"; finish; exit 1; }
run_part rest
stop_daemon

# (e) 10,000 idle RESP connections, then 3,000 idle REST ones (each on a fresh daemon, so freed
# memory is not reused): the daemon needs more descriptors than the default 1024.
wrapper=$(mktemp /tmp/shardcached-nofile.XXXXXX)
trap 'rm -f "$wrapper"; it_cleanup' EXIT
printf '#!/bin/sh\nexec prlimit --nofile=20000:20000 "%s" "$@"\n' "$SHARDCACHED" >"$wrapper"
chmod +x "$wrapper"
SHARDCACHED=$wrapper start_daemon --maxclients 12000 --threads 2 || { fail "daemon starts"; finish; exit 1; }
run_part idle
stop_daemon
SHARDCACHED=$wrapper start_daemon --maxclients 12000 --threads 2 || { fail "daemon starts"; finish; exit 1; }
run_part idle_rest
stop_daemon

finish
