# tests/integration/suite_memory.sh: the memory budget against the real daemon: filling 3x a
# 64 MB budget never takes used_memory over maxmemory, evicts and keeps answering, RSS stays
# within 1.10 x maxmemory + 30 MB; CONFIG SET maxmemory lower is evicted down by the cron;
# noeviction answers OOM while reads and deletes work; INFO/MEMORY report the fields.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cli() { timeout 5 redis-cli -p "$SC_PORT" "$@"; }
field() { cli info "$1" | tr -d '\r' | grep "^$2:" | cut -d: -f2; }
# Wait up to N*0.1 s for a shell condition.
wait_for() { local n=$1 i; shift; for i in $(seq 1 "$n"); do eval "$@" && return 0; sleep 0.1; done; return 1; }

start_daemon --maxmemory 64mb || { fail "daemon starts"; finish; exit 1; }
out=$(timeout 60 $PY "$ROOT/tools/bench/churn_load.py" --port "$SC_PORT" --pid "$SC_PID" --seconds 8 \
      --keys 40000 --sample-interval 0.1 --ttl-fraction 0.3)
read -r max_used max_rss written evicted errors < <($PY -c '
import json,sys; r=json.loads(sys.argv[1])
print(r["max_used_memory"], r["max_rss"], int(r["value_mb_written"]), r["evicted_keys"], r["errors"])' "$out")
budget=$((64 * 1024 * 1024))
[ "$written" -ge 192 ] && pass "wrote 3x the budget (${written} MB)" || fail "wrote 3x the budget" "${written} MB"
[ "$max_used" -le "$budget" ] && pass "used_memory never over maxmemory (max $max_used)" || fail "used_memory over maxmemory" "$max_used"
[ "$evicted" -gt 0 ] && pass "evicted_keys > 0 ($evicted)" || fail "evicted_keys" "$evicted"
expect_eq "no write refused under allkeys-lru" "$errors" "0"
limit=$(( budget * 11 / 10 + 30 * 1024 * 1024 ))
[ "$max_rss" -le "$limit" ] && pass "RSS $((max_rss >> 20)) MB <= 1.10 x 64 MB + 30 MB" || fail "RSS bound" "$((max_rss >> 20)) MB"
expect_eq "still answers" "$(cli ping)" "PONG"
expect_eq "newest writes readable" "$(cli set last v >/dev/null; cli get last)" "v"

cli config set maxmemory 16mb >/dev/null
if wait_for 50 '[ "$(field memory used_memory)" -le $((16 * 1024 * 1024)) ]'; then
  pass "CONFIG SET maxmemory 16mb: the cron evicts down within 5 s"
else
  fail "shrink evicted" "used_memory $(field memory used_memory)"
fi
for f in used_memory_peak used_memory_peak_human mem_fragmentation_ratio allocator_allocated allocator_resident; do
  [ -n "$(field memory $f)" ] && pass "INFO memory has $f" || fail "INFO memory has $f"
done
[ -n "$(field stats instantaneous_ops_per_sec)" ] && pass "INFO stats has instantaneous_ops_per_sec" || fail "instantaneous_ops_per_sec"
cli memory stats | grep -q '^keys.bytes-per-key$' && pass "MEMORY STATS" || fail "MEMORY STATS"
stop_daemon

start_daemon --maxmemory 4mb --maxmemory-policy noeviction || { fail "daemon starts (noeviction)"; finish; exit 1; }
value=$(head -c 2000 /dev/zero | tr '\0' x)
replies=$(for i in $(seq 1 4000); do echo "set k$i $value"; done | cli 2>&1)
n_ok=$(echo "$replies" | grep -c '^OK$')
n_oom=$(echo "$replies" | grep -c "OOM command not allowed when used memory > 'maxmemory'.$")
[ "$n_ok" -gt 1000 ] && [ $((n_ok + n_oom)) -eq 4000 ] && pass "noeviction: OOM error text once full ($n_ok stored)" ||
  fail "noeviction: OOM" "$n_ok OK, $n_oom OOM: $(echo "$replies" | grep -v '^OK$' | head -1)"
expect_eq "noeviction: all stored keys kept" "$(cli dbsize)" "$n_ok"
expect_eq "noeviction: reads still served" "$(cli get k1 | head -c 5)" "xxxxx"
expect_eq "noeviction: nothing evicted" "$(field stats evicted_keys)" "0"
expect_eq "noeviction: deletes served" "$(cli del k1 k2)" "2"
expect_eq "noeviction: room again after deletes" "$(cli set again "$value")" "OK"
stop_daemon
finish
