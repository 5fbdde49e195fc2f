#!/usr/bin/env bash
# tools/bench/set_throughput.sh DAEMON [DAEMON ...]: SET throughput and memory per key of one or more
# shardcached binaries, alternating between them (the machine is shared: interleaving spreads
# the noise). Each round: a fresh daemon (2 io threads, 2gb), redis-benchmark SET of 2M random
# keys out of 1M (-d 60, 50 clients, pipeline $PIPELINE, default 16), then INFO used_memory / DBSIZE.
# ROUNDS (default 3) rounds. Used to measure what the invalidation index costs (docs/architecture.md).
set -euo pipefail
PY=/usr/bin/python3
ROUNDS=${ROUNDS:-3}
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
for round in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    port=$(free_port); hport=$(free_port)
    "$bin" --port "$port" --save "" --http-port "$hport" --threads 2 --maxmemory 2gb >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    rps=$(timeout 300 redis-benchmark -p "$port" -t set -n 2000000 -r 1000000 -d 60 -c 50 -P "${PIPELINE:-16}" --csv | tail -1 | cut -d, -f2 | tr -d '"')
    used=$(redis-cli -p "$port" info memory | tr -d '\r' | grep '^used_memory:' | cut -d: -f2)
    keys=$(redis-cli -p "$port" dbsize)
    echo "round $round  $bin  SET/s $rps  keys $keys  used_memory/key $((used / keys))  load $(cut -d' ' -f1 /proc/loadavg)"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
