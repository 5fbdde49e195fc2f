#!/usr/bin/env bash
# tools/bench/rss_churn.sh: does the memory budget hold in RSS? Starts shardcached (release
# build in build/, loopback, free port) with each --maxmemory given, overwrites keys with values
# of 50 B..64 KB (log-uniform) through tools/bench/churn_load.py for SECONDS, sampling RSS from
# /proc, and checks max RSS <= 1.10 x maxmemory + 30 MB. Exits non-zero if any budget fails.
#   usage: tools/bench/rss_churn.sh [SECONDS] [BUDGET ...]    (default: 90 64mb 256mb)
#   env:   SHARDCACHED=path/to/shardcached  EXTRA_ARGS="--shards 16"  TTL_FRACTION=0.5
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
SECONDS_PER_RUN=${1:-90}
shift || true
BUDGETS=("$@")
[ ${#BUDGETS[@]} -eq 0 ] && BUDGETS=(64mb 256mb)
BIN=${SHARDCACHED:-$ROOT/build/daemon/shardcached}
if [ -z "${SHARDCACHED:-}" ]; then
  source "$ROOT/tools/lib/setup.sh"  # sc_build: also installs the dashboard's uPlot, which the build embeds
  SC_TARGETS=daemon/shardcached sc_build build --buildtype=release || { echo "build failed"; exit 1; }
fi

to_bytes() {  # 64mb -> bytes
  $PY -c "import sys,re; m=re.fullmatch(r'(\d+)(gb|mb|kb)?',sys.argv[1].lower()); print(int(m[1])*{'gb':1<<30,'mb':1<<20,'kb':1<<10,None:1}[m[2]])" "$1"
}

status=0
printf '%-8s %10s %10s %10s %8s %10s %10s %s\n' budget max_rss limit max_used ratio sets evicted result
for b in "${BUDGETS[@]}"; do
  bytes=$(to_bytes "$b")
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  log=$(mktemp /tmp/rss_churn.XXXXXX.log)
  "$BIN" --bind 127.0.0.1 --port "$port" --save "" --http-port 0 --maxmemory "$b" ${EXTRA_ARGS:-} >"$log" 2>&1 &
  pid=$!
  ok=0
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" info server 2>/dev/null | grep -q shardcache_version; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ $ok -ne 1 ]; then echo "shardcached did not start on $port:"; cat "$log"; kill "$pid" 2>/dev/null; exit 1; fi
  # Enough keys that about a quarter fit: every SET overwrites or evicts.
  keys=$(( bytes / 9300 * 4 ))
  out=$(timeout $((SECONDS_PER_RUN + 60)) $PY "$ROOT/tools/bench/churn_load.py" --port "$port" --pid "$pid" \
        --seconds "$SECONDS_PER_RUN" --keys "$keys" --ttl-fraction "${TTL_FRACTION:-0}")
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  echo "$out" > "/tmp/rss_churn.$b.json"
  $PY - "$out" "$bytes" "$b" <<'PYEOF' || status=1
import json, sys
r = json.loads(sys.argv[1]); budget = int(sys.argv[2])
limit = int(1.10 * budget + 30 * 2**20)
ok = r["max_rss"] <= limit and r["max_used_memory"] <= budget and r["errors"] == 0
mb = lambda n: "%.1fM" % (n / 2**20)
print("%-8s %10s %10s %10s %8.3f %10d %10d %s" % (sys.argv[3], mb(r["max_rss"]), mb(limit), mb(r["max_used_memory"]),
      r["max_rss"] / budget, r["sets"], r["evicted_keys"], "PASS" if ok else "FAIL"))
if r["errors"]:
    print("  errors:", r["errors"], r["last_error"])
sys.exit(0 if ok else 1)
PYEOF
done
exit $status
