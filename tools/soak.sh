#!/usr/bin/env bash
# tools/soak.sh [DURATION]: a soak test (not part of tools/test). Builds the release daemon (as
# tools/run does), starts it with --maxmemory 64mb on a free loopback port, and runs mixed load
# for DURATION (default 30m; 60s, 10m, 1h or plain seconds) from tools/soak.py: 3 worker
# processes pipelining SETs (overwrites, PX 1-5 s, TAGS), GETs, INVALIDATE <group>:*,
# INVALIDATETAG and DEL over 120k keys of 0.3-6 KB (several times the budget, so keys are evicted),
# reconnecting now and then, plus a process opening and closing ~50 connections a second.
# Every GET is verified (wrong value, stale after invalidation, stale, alive past TTL);
# used_memory and RSS are sampled each second. Prints a summary table; exits 1 on any violation
# or if the daemon logged a crash. SHARDCACHED=path uses that binary instead of the release build;
# SOAK_WORKERS=N changes the worker count.
set -uo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$SC_ROOT"
PY=/usr/bin/python3

dur=${1:-30m}
case "$dur" in
  *h) secs=$(( ${dur%h} * 3600 )) ;;
  *m) secs=$(( ${dur%m} * 60 )) ;;
  *s) secs=${dur%s} ;;
  *) secs=$dur ;;
esac
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -ge 5 ] || { echo "usage: tools/soak.sh [DURATION: 60s, 30m, 1h; >= 5s]"; exit 2; }

if [ -z "${SHARDCACHED:-}" ]; then
  sc_install_pkgs $SC_BUILD_PKGS || exit 1
  echo "building the release daemon (build/)"
  SC_TARGETS=daemon/shardcached sc_build build --buildtype=release || exit 1
  SHARDCACHED=$SC_ROOT/build/daemon/shardcached
fi

port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp /tmp/shardcached-soak.XXXXXX.log)
"$SHARDCACHED" --bind 127.0.0.1 --port "$port" --save "" --http-port 0 --maxmemory 64mb >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; sleep 0.5; kill -KILL $pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && break
  sleep 0.05
done
echo "soak: $SHARDCACHED (pid $pid) on 127.0.0.1:$port, --maxmemory 64mb, ${secs} s; daemon log $log"
$PY "$SC_ROOT/tools/soak.py" --port "$port" --pid "$pid" --seconds "$secs" --workers "${SOAK_WORKERS:-3}" --verbose
rc=$?
if grep -E "runtime error:|ERROR: AddressSanitizer|Segmentation|terminate called|Assertion" "$log"; then
  echo "soak: the daemon's log shows a crash or sanitizer report"
  rc=1
fi
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait "$pid"; exit_rc=$?
if [ "$exit_rc" -ne 0 ]; then echo "soak: daemon exited $exit_rc on SIGTERM"; rc=1; fi
trap - EXIT
[ "$rc" -eq 0 ] && rm -f "$log"
exit "$rc"
