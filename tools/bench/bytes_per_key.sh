#!/usr/bin/env bash
# tools/bench/bytes_per_key.sh: bytes per key next to redis-server 7. Loads N keys (15-byte key,
# 100-byte value; then again with EX 36000 on each) into a fresh redis-server and a fresh
# shardcached on free loopback ports, through redis-cli --pipe, and reports the INFO used_memory
# and RSS (/proc) deltas per key and shardcached's ratio to Redis's.
#   usage: tools/bench/bytes_per_key.sh [N]        (default 1000000)
#   env:   SHARDCACHED=path  REDIS_SERVER=path  EXTRA_ARGS="--shards 16"
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
N=${1:-1000000}
BIN=${SHARDCACHED:-$ROOT/build/daemon/shardcached}
REDIS=${REDIS_SERVER:-redis-server}
if [ -z "${SHARDCACHED:-}" ]; then
  source "$ROOT/tools/lib/setup.sh"  # sc_build: also installs the dashboard's uPlot, which the build embeds
  SC_TARGETS=daemon/shardcached sc_build build --buildtype=release || { echo "build failed"; exit 1; }
fi
TMP=$(mktemp -d /tmp/bytes_per_key.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

for ttl in 0 1; do
  $PY - "$N" "$ttl" > "$TMP/load$ttl.resp" <<'PYEOF'
import sys
n, ttl = int(sys.argv[1]), sys.argv[2] == "1"
out, val, buf = sys.stdout.buffer, b"v" * 100, []
tail = b"$2\r\nEX\r\n$5\r\n36000\r\n" if ttl else b""
head = b"*5\r\n$3\r\nSET\r\n$15\r\n" if ttl else b"*3\r\n$3\r\nSET\r\n$15\r\n"
for i in range(n):
    buf.append(head + b"key:%011d" % i + b"\r\n$100\r\n" + val + b"\r\n" + tail)
    if len(buf) == 10000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
PYEOF
done

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
used() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

# measure NAME TTL: starts the server, loads, prints "used_per_key rss_per_key".
measure() {
  local name=$1 ttl=$2 port pid marker
  port=$(free_port)
  if [ "$name" = redis ]; then
    "$REDIS" --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/$name.log" 2>&1 &
    marker=redis_version
  else
    "$BIN" --bind 127.0.0.1 --port "$port" --save "" --http-port 0 --maxmemory 0 ${EXTRA_ARGS:-} >"$TMP/$name.log" 2>&1 &
    marker=shardcache_version
  fi
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    redis-cli -p "$port" info server 2>/dev/null | grep -q "$marker" && break
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  # Our pid answers on this port (not some other process that took it).
  [ "$(redis-cli -p "$port" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')" = "$pid" ] || { echo "port $port is not ours" >&2; exit 1; }
  local u0 r0 u1 r1
  u0=$(used "$port"); r0=$(rss "$pid")
  redis-cli -p "$port" --pipe < "$TMP/load$ttl.resp" > "$TMP/pipe.out" || { cat "$TMP/pipe.out" >&2; exit 1; }
  grep -q "errors: 0, replies: $N" "$TMP/pipe.out" || { cat "$TMP/pipe.out" >&2; exit 1; }
  sleep 1
  u1=$(used "$port"); r1=$(rss "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null
  $PY -c "print('%.1f %.1f' % (($u1 - $u0) / $N, ($r1 - $r0) / $N))"
}

printf '%-12s %-7s %14s %14s\n' server ttl used_B/key rss_B/key
declare -A R
for ttl in 0 1; do
  for name in redis shardcached; do
    read -r u r < <(measure "$name" "$ttl")
    R[$name.$ttl.u]=$u; R[$name.$ttl.r]=$r
    printf '%-12s %-7s %14s %14s\n' "$name" "$([ $ttl = 1 ] && echo EX || echo none)" "$u" "$r"
  done
done
echo
for ttl in 0 1; do
  $PY -c "print('ratio shardcached/redis, ttl=%s: used %.3f, rss %.3f' % ('$([ $ttl = 1 ] && echo EX || echo none)', ${R[shardcached.$ttl.u]} / ${R[redis.$ttl.u]}, ${R[shardcached.$ttl.r]} / ${R[redis.$ttl.r]}))"
done
