#!/usr/bin/env bash
# tools/bench/rest_bench.sh: REST (Upstash API over HTTP/1.1 keep-alive) against RESP on the same
# daemon, the same keys and values, in the same run. REST: wrk (Debian) with Lua scripts that POST
# JSON command bodies the way @upstash/redis does (Bearer token, Upstash-Encoding: base64), to /
# (one command per request) and to /pipeline (auto-pipelining's one-element batches). RESP:
# redis-benchmark. Prints a markdown table of requests/s, p50, p99 and the daemon's CPU time per
# request (from /proc, steadier than throughput when the machine is shared).
#
# Usage: tools/bench/rest_bench.sh [path/to/shardcached]
# Env: DURATION (wrk, default 10s), CONNECTIONS (default 50), REQUESTS (redis-benchmark, default
# 200000), KEYS (default 10000), VALUE_SIZE (default 100), THREADS (daemon io threads, default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/build/daemon/shardcached}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-50}
REQUESTS=${REQUESTS:-200000}
KEYS=${KEYS:-10000}
VALUE_SIZE=${VALUE_SIZE:-100}
THREADS=${THREADS:-2}
TOKEN=bench-token
for tool in wrk redis-benchmark /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (tools/lib/setup.sh installs wrk and redis-tools)"; exit 1; }
done
[ -x "$BIN" ] || { echo "no daemon binary at $BIN (meson setup build && ninja -C build)"; exit 1; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d /tmp/rest-bench.XXXXXX)
PORT=$(free_port); HTTP=$(free_port)
"$BIN" --bind 127.0.0.1 --port "$PORT" --save "" --http-port "$HTTP" --threads "$THREADS" --requirepass "$TOKEN" \
  --maxmemory 1gb --loglevel warn >"$WORK/daemon.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do redis-cli -p "$PORT" -a "$TOKEN" --no-auth-warning ping >/dev/null 2>&1 && break; sleep 0.05; done

# Daemon CPU time (utime+stime, in clock ticks) from /proc: CPU per request is steadier than
# requests/s on a shared 2-core machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
cpu_per_req() {  # cpu_per_req TICKS_BEFORE REQUESTS -> daemon CPU microseconds per request
  awk -v t="$(( ($(cpu_ticks) - $1) * TICK_US ))" -v n="$2" 'BEGIN { printf "%.1f", t / n }'
}

# One Lua script per REST case: random keys over the same key space redis-benchmark uses.
lua() {  # lua NAME PATH BODY_TEMPLATE (KEY and VALUE are substituted per request)
  cat >"$WORK/$1.lua" <<LUA
local value = string.rep("x", $VALUE_SIZE)
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Upstash-Encoding"] = "base64"
request = function()
  local key = string.format("key:%012d", math.random(0, $KEYS - 1))
  local body = string.gsub(string.gsub('$3', "KEY", key), "VALUE", value)
  return wrk.format(nil, "$2", nil, body)
end
LUA
}
lua rest_set / '["set","KEY","VALUE"]'
lua rest_get / '["get","KEY"]'
lua pipe_get /pipeline '[["get","KEY"]]'

# wrk's summary -> "rps p50_ms p99_ms".
wrk_run() {
  local out
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/$1.lua" "http://127.0.0.1:$HTTP")
  echo "$out" >"$WORK/$1.out"
  echo "$out" | /usr/bin/python3 -c '
import re, sys
t = sys.stdin.read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"\n\s+50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"\n\s+99%\s+(\S+)", t).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errs = re.search(r"Socket errors: (.*)", t)
if non2xx or errs:
    sys.exit("wrk saw errors: " + (non2xx.group(0) if non2xx else "") + (errs.group(0) if errs else ""))
total = int(re.search(r"(\d+) requests in", t).group(1))
print(f"{rps:.0f} {p50:.3f} {p99:.3f} {total}")'
}
# redis-benchmark CSV -> "rps p50_ms p99_ms" for one test.
rb_run() {
  redis-benchmark -p "$PORT" -a "$TOKEN" -c "$CONNECTIONS" -n "$REQUESTS" -r "$KEYS" -d "$VALUE_SIZE" -t "$1" --csv 2>/dev/null |
    /usr/bin/python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
row = dict(zip(rows[0], rows[1]))
print("%.0f %.3f %.3f" % (float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])))'
}

# Each phase: "rps p50 p99 cpu_us_per_request". RESP SET first: it also loads the keys every GET
# below reads.
phase_rb() {
  local t0 rps p50 p99
  t0=$(cpu_ticks)
  read -r rps p50 p99 < <(rb_run "$1")
  echo "$rps $p50 $p99 $(cpu_per_req "$t0" "$REQUESTS")"
}
phase_wrk() {
  local t0 rps p50 p99 total
  t0=$(cpu_ticks)
  read -r rps p50 p99 total < <(wrk_run "$1")
  echo "$rps $p50 $p99 $(cpu_per_req "$t0" "$total")"
}
read -r rs_rps rs_p50 rs_p99 rs_cpu < <(phase_rb set)
read -r rg_rps rg_p50 rg_p99 rg_cpu < <(phase_rb get)
read -r hs_rps hs_p50 hs_p99 hs_cpu < <(phase_wrk rest_set)
read -r hg_rps hg_p50 hg_p99 hg_cpu < <(phase_wrk rest_get)
read -r pg_rps pg_p50 pg_p99 pg_cpu < <(phase_wrk pipe_get)
keys=$(redis-cli -p "$PORT" -a "$TOKEN" --no-auth-warning dbsize)

echo "shardcached --threads $THREADS; $CONNECTIONS keep-alive connections; $keys keys of $VALUE_SIZE-byte values;"
echo "REST: wrk -t1 -c$CONNECTIONS -d$DURATION (Bearer token, Upstash-Encoding: base64); RESP: redis-benchmark -c $CONNECTIONS -n $REQUESTS (no pipelining)"
echo
echo "| path | command | requests/s | p50 ms | p99 ms | daemon CPU µs/request |"
echo "|---|---|---:|---:|---:|---:|"
echo "| RESP | SET | $rs_rps | $rs_p50 | $rs_p99 | $rs_cpu |"
echo "| RESP | GET | $rg_rps | $rg_p50 | $rg_p99 | $rg_cpu |"
echo "| REST \`POST /\` | SET | $hs_rps | $hs_p50 | $hs_p99 | $hs_cpu |"
echo "| REST \`POST /\` | GET | $hg_rps | $hg_p50 | $hg_p99 | $hg_cpu |"
echo "| REST \`POST /pipeline\` (1-command batch) | GET | $pg_rps | $pg_p50 | $pg_p99 | $pg_cpu |"
echo
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
