#!/usr/bin/env bash
# tools/bench/cpu_per_op.sh DAEMON [DAEMON ...]: the daemon's CPU time per request for SET and
# GET. For each binary in turn: a fresh daemon (2 io threads, 2gb) on a free loopback port,
# redis-benchmark SET then GET (-d 100, -r $KEYS default 100000, -n $N default 2000000, -P 16,
# -c 50), and the daemon's utime+stime from /proc/PID/stat before and after each. Name a binary
# twice to interleave runs (the machine is shared: compare ratios from one invocation only).
set -uo pipefail
PY=/usr/bin/python3
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; }
TCK=$(getconf CLK_TCK)
for bin in "$@"; do
  port=$(free_port); hport=$(free_port)
  "$bin" --bind 127.0.0.1 --port "$port" --save "" --http-port "$hport" --threads 2 --maxmemory 2gb >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  [ "$(redis-cli -p "$port" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')" = "$pid" ] || { echo "port not ours"; kill $pid; exit 1; }
  for t in set get; do
    c0=$(cpu $pid)
    out=$(timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -t $t -d 100 -r ${KEYS:-100000} -n ${N:-2000000} -P 16 -c 50 -q --csv | tail -1)
    c1=$(cpu $pid)
    rps=$(echo "$out" | cut -d, -f2 | tr -d '"')
    $PY -c "print('%-40s %s rps %s cpu_s %.2f  us/op %.3f load %s' % ('$bin', '$t', '$rps', ($c1-$c0)/$TCK, ($c1-$c0)/$TCK/${N:-2000000}*1e6, open('/proc/loadavg').read().split()[0]))"
  done
  kill $pid; wait $pid 2>/dev/null
done
