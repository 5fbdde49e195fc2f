#!/usr/bin/env bash
# tests/integration/suite_persistence.sh: RDB snapshots as a user sees them: a restart keeps values,
# TTLs and tags; redis-check-rdb and redis-server 7.0.15 accept our file; we load redis-server's file
# (expired keys dropped, unsupported types skipped with one warning); bad files are refused at
# start-up; SAVE/BGSAVE/LASTSAVE/SHUTDOWN replies; save points; kill -9 during BGSAVE. Every wait is
# bounded.
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib.sh

RC() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
REF_PIDS=()

# start_ref DIR: starts a reference redis-server on a free port in DIR; sets REF_PORT, REF_PID.
start_ref() {
  REF_PORT=$(free_port)
  redis-server --port "$REF_PORT" --bind 127.0.0.1 --dir "$1" --dbfilename dump.rdb --save '' \
    --daemonize no >"$1/redis.log" 2>&1 &
  REF_PID=$!
  REF_PIDS+=("$REF_PID")
  wait_port "$REF_PORT"
}
# stop_ref: SHUTDOWN NOSAVE, only after checking the server answering is the one we started.
stop_ref() {
  local pid
  pid=$(RC "$REF_PORT" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
  [ "$pid" == "$REF_PID" ] && RC "$REF_PORT" SHUTDOWN NOSAVE >/dev/null 2>&1
  wait_exit "$REF_PID"
}
ref_cleanup() { local p; for p in "${REF_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'ref_cleanup; it_cleanup' EXIT

info_field() { RC "$1" INFO persistence | tr -d '\r' | sed -n "s/^$2://p"; }

# --- 1. restart keeps values, TTLs and tags ---
D=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$D")
start_daemon --save "3600 1" --dir "$D" || exit 1
RC "$SC_PORT" SET plain hello >/dev/null
RC "$SC_PORT" SET num 12345 >/dev/null
RC "$SC_PORT" SET ttlkey v EX 1000 >/dev/null
RC "$SC_PORT" SET t1 a TAGS grp >/dev/null
RC "$SC_PORT" SET t2 b TAGS grp other >/dev/null
$PY - "$SC_PORT" <<'PYEOF'
import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
r.set("bin", b"a\x00b\r\nc\xff")
r.set("big", b"x" * 100000)
PYEOF
stop_daemon
expect_eq "SIGTERM saves (log)" "$(grep -c 'DB saved on disk (7 keys' "$SC_LOG")" 1
[ -s "$D/dump.rdb" ] && pass "dump.rdb written" || fail "dump.rdb written"
start_daemon --save "3600 1" --dir "$D" || exit 1
expect_eq "plain restored" "$(RC "$SC_PORT" GET plain)" hello
expect_eq "integer restored" "$(RC "$SC_PORT" GET num)" 12345
ttl=$(RC "$SC_PORT" TTL ttlkey)
[ "$ttl" -ge 900 ] && [ "$ttl" -le 1000 ] && pass "TTL restored ($ttl)" || fail "TTL restored" "$ttl"
expect_eq "rdb_last_load_keys_loaded" "$(info_field "$SC_PORT" rdb_last_load_keys_loaded)" 7
out=$($PY - "$SC_PORT" <<'PYEOF'
import sys, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
print(r.get("bin") == b"a\x00b\r\nc\xff", r.get("big") == b"x" * 100000)
PYEOF
)
expect_eq "binary and 100 KB values restored" "$out" "True True"
expect_eq "INVALIDATETAG on restored tag" "$(RC "$SC_PORT" INVALIDATETAG grp)" 2
expect_eq "tagged keys gone" "$(RC "$SC_PORT" EXISTS t1 t2 plain)" 1
stop_daemon

# --- 2. redis-check-rdb accepts our file ---
if out=$(redis-check-rdb "$D/dump.rdb" 2>&1) && grep -q "RDB looks OK" <<<"$out"; then
  pass "redis-check-rdb: RDB looks OK"; else fail "redis-check-rdb" "$(tail -3 <<<"$out")"; fi

# --- 3. redis-server 7.0.15 loads our file ---
start_ref "$D"
expect_eq "redis-server: plain" "$(RC "$REF_PORT" GET plain)" hello
expect_eq "redis-server: num" "$(RC "$REF_PORT" GET num)" 12345
ttl=$(RC "$REF_PORT" TTL ttlkey)
[ "$ttl" -ge 990 ] && [ "$ttl" -le 1000 ] && pass "redis-server: TTL ($ttl)" || fail "redis-server: TTL" "$ttl"
expect_eq "redis-server: STRLEN big" "$(RC "$REF_PORT" STRLEN big)" 100000
stop_ref

# --- 4. we load redis-server's file ---
R=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$R")
start_ref "$R"
big=$(printf 'abc%.0s' $(seq 1 350))
RC "$REF_PORT" SET small 12345 >/dev/null
RC "$REF_PORT" SET neg -7 >/dev/null
RC "$REF_PORT" SET bigint 123456789012345678901234567890 >/dev/null
RC "$REF_PORT" SET lzf "$big" >/dev/null
RC "$REF_PORT" SET far v EX 1000 >/dev/null
RC "$REF_PORT" SET soon v PX 1500 >/dev/null
RC "$REF_PORT" HSET h f v >/dev/null
RC "$REF_PORT" RPUSH l a b >/dev/null
RC "$REF_PORT" SADD s a >/dev/null
RC "$REF_PORT" ZADD z 1 a >/dev/null
expect_eq "reference SAVE" "$(RC "$REF_PORT" SAVE)" OK
M=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$M")
timeout 20 redis-cli -h 127.0.0.1 -p "$REF_PORT" --rdb "$M/dump.rdb" >/dev/null 2>&1
stop_ref
sleep 1.6
start_daemon --dir "$R" || exit 1
expect_eq "redis file: small" "$(RC "$SC_PORT" GET small)" 12345
expect_eq "redis file: neg" "$(RC "$SC_PORT" GET neg)" -7
expect_eq "redis file: bigint" "$(RC "$SC_PORT" GET bigint)" 123456789012345678901234567890
expect_eq "redis file: lzf" "$(RC "$SC_PORT" GET lzf)" "$big"
expect_eq "redis file: expired key absent" "$(RC "$SC_PORT" EXISTS soon)" 0
expect_eq "redis file: DBSIZE" "$(RC "$SC_PORT" DBSIZE)" 5
expect_eq "rdb_last_load_keys_expired" "$(info_field "$SC_PORT" rdb_last_load_keys_expired)" 1
expect_eq "one warning line for skipped types" "$(grep -c 'skipped keys shardcached cannot hold' "$SC_LOG")" 1
stop_daemon
log=$(mktemp /tmp/shardcached-it.XXXXXX.log); IT_LOGS+=("$log")
"$SHARDCACHED" --bind 127.0.0.1 --port "$(free_port)" --http-port "$(free_port)" --dir "$R" \
  --rdb-skip-unsupported-types no >"$log" 2>&1 &
wait_exit $!; expect_eq "skip-unsupported no: exit 1" "$WAIT_RC" 1
grep -q "offset" "$log" && pass "skip-unsupported no: error names offset" || fail "error names offset" "$(tail -2 "$log")"

start_daemon --dir "$M" || exit 1
expect_eq "redis-cli --rdb file: lzf" "$(RC "$SC_PORT" GET lzf)" "$big"
expect_eq "redis-cli --rdb file: bigint" "$(RC "$SC_PORT" GET bigint)" 123456789012345678901234567890
stop_daemon

# --- 5. corrupt / truncated file ---
C=$(mktemp -d /tmp/shardcached-it.XXXXXX.dir); IT_DIRS+=("$C")
head -c 100 "$D/dump.rdb" >"$C/dump.rdb"
log=$(mktemp /tmp/shardcached-it.XXXXXX.log); IT_LOGS+=("$log")
"$SHARDCACHED" --bind 127.0.0.1 --port "$(free_port)" --http-port "$(free_port)" --dir "$C" >"$log" 2>&1 &
wait_exit $!; expect_eq "truncated file: exit 1" "$WAIT_RC" 1
grep -q "at offset" "$log" && pass "truncated file: 'at offset'" || fail "truncated: at offset" "$(tail -2 "$log")"
start_daemon --dir "$C" --rdb-start-empty-on-error yes || exit 1
expect_eq "start-empty-on-error: empty" "$(RC "$SC_PORT" DBSIZE)" 0
stop_daemon

# --- 9. a save point triggers a background save ---
start_daemon --save "1 1" || exit 1
RC "$SC_PORT" SET k v >/dev/null
for i in $(seq 1 60); do [ -s "$SC_DIR/dump.rdb" ] && break; sleep 0.1; done
[ -s "$SC_DIR/dump.rdb" ] && pass "save point wrote dump.rdb" || fail "save point wrote dump.rdb"
for i in $(seq 1 30); do [ "$(info_field "$SC_PORT" rdb_changes_since_last_save)" == 0 ] && break; sleep 0.1; done
expect_eq "rdb_changes_since_last_save 0" "$(info_field "$SC_PORT" rdb_changes_since_last_save)" 0
# From here on saves run only when asked: a slow machine would otherwise let the save point fire
# during the bulk load below and add saves the counts do not expect.
RC "$SC_PORT" CONFIG SET save "" >/dev/null

# --- 6. SAVE / BGSAVE / LASTSAVE ---
expect_eq "SAVE" "$(RC "$SC_PORT" SAVE)" OK
saves=$(info_field "$SC_PORT" rdb_saves)
expect_eq "BGSAVE" "$(RC "$SC_PORT" BGSAVE)" "Background saving started"
for i in $(seq 1 50); do [ "$(info_field "$SC_PORT" rdb_bgsave_in_progress)" == 0 ] && break; sleep 0.1; done
expect_eq "rdb_last_bgsave_status" "$(info_field "$SC_PORT" rdb_last_bgsave_status)" ok
[ "$(info_field "$SC_PORT" rdb_saves)" -gt "$saves" ] && pass "rdb_saves moved" || fail "rdb_saves moved"
# gen_pipe N FILE: N SETs (15-byte keys, 100-byte values) in RESP for redis-cli --pipe.
gen_pipe() {
  $PY - "$1" "$2" <<'PYEOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
v = b"v" * 100
with open(path, "wb") as f:
    f.write(b"".join(b"*3\r\n$3\r\nSET\r\n$15\r\nkey:%011d\r\n$100\r\n%s\r\n" % (i, v) for i in range(n)))
PYEOF
}
PIPE=$(mktemp /tmp/shardcached-it.XXXXXX.resp); IT_LOGS+=("$PIPE")
gen_pipe 300000 "$PIPE"
timeout 60 redis-cli -h 127.0.0.1 -p "$SC_PORT" --pipe <"$PIPE" >/dev/null 2>&1
expect_eq "--pipe loaded 300k keys" "$(RC "$SC_PORT" DBSIZE)" 300001
[ "$(info_field "$SC_PORT" rdb_changes_since_last_save)" -ge 300000 ] && pass "rdb_changes_since_last_save counts writes" || fail "rdb_changes_since_last_save"
# One connection, back to back, so the three replies see the same running save (redis-cli prints
# a blank line after an error reply: dropped).
mapfile -t rr < <(printf 'BGSAVE\nBGSAVE\nBGSAVE SCHEDULE\n' | RC "$SC_PORT" 2>&1 | grep -v '^$')
r1=${rr[0]:-}; r2=${rr[1]:-}; r3=${rr[2]:-}; ip=$(info_field "$SC_PORT" rdb_bgsave_in_progress)
expect_eq "BGSAVE (big)" "$r1" "Background saving started"
expect_eq "BGSAVE while one runs" "$r2" "ERR Background save already in progress"
expect_eq "rdb_bgsave_in_progress:1" "$ip" 1
expect_eq "BGSAVE SCHEDULE while one runs" "$r3" "Background saving scheduled"
for i in $(seq 1 300); do [ "$(info_field "$SC_PORT" rdb_bgsave_in_progress)" == 0 ] && break; sleep 0.1; done
# The log line is written when the cron collects the finished save (a moment after
# rdb_bgsave_in_progress drops to 0): wait for the line itself.
for i in $(seq 1 300); do [ "$(grep -c 'Background saving terminated with success' "$SC_LOG")" -ge 4 ] && break; sleep 0.1; done
expect_eq "scheduled BGSAVE ran after" "$(grep -c 'Background saving terminated with success' "$SC_LOG")" 4
ls=$(RC "$SC_PORT" LASTSAVE); now=$(date +%s)
[ $((now - ls)) -le 5 ] && pass "LASTSAVE recent" || fail "LASTSAVE" "$ls vs $now"

# --- 12. clients keep their latency during BGSAVE ---
# One client runs GET/SET back to back, first for 1 s with no save running, then across whole
# background saves of the 300k keys (up to 5 s). During the saves, p99 must stay under 5 ms and no
# reply may take over 50 ms; on a loaded machine the bounds are 4x p99 and 3x the slowest reply the
# same client saw with no save running (a save that stopped the shards would show as a stall of its
# whole length). Under sanitizers only the stall bound is checked. The 2 ms goal at full load is
# measured by tools/bench/rdb_bench.sh, not here: a test must not fail on a noisy machine.
lat=$($PY - "$SC_PORT" "${SC_SANITIZED:-0}" <<'PYEOF'
import sys, time, redis
port, sanitized = int(sys.argv[1]), sys.argv[2] == "1"
r = redis.Redis(host="127.0.0.1", port=port)
admin = redis.Redis(host="127.0.0.1", port=port)
def run(seconds, during_save):
    lat, saves, end, i = [], 0, time.monotonic() + seconds, 0
    while time.monotonic() < end:
        if during_save and admin.info("persistence")["rdb_bgsave_in_progress"] == 0:
            if saves == 3: break
            admin.bgsave(); saves += 1
        for _ in range(200):
            k = "key:%011d" % (i * 7919 % 300000); i += 1
            t = time.perf_counter()
            r.set(k, b"w" * 100) if i % 4 == 0 else r.get(k)
            lat.append(time.perf_counter() - t)
    lat.sort()
    return lat[int(len(lat) * 0.99)] * 1000, lat[-1] * 1000, len(lat), saves
ip99, imax, _, _ = run(1.0, False)
sp99, smax, n, saves = run(5.0, True)
ok = smax <= max(50.0, 3 * imax) and saves >= 1 and (sanitized or sp99 <= max(5.0, 4 * ip99))
print("%s idle p99 %.2f ms max %.2f ms; during %d BGSAVEs (%d requests) p99 %.2f ms max %.2f ms"
      % ("ok" if ok else "FAIL", ip99, imax, saves, n, sp99, smax))
PYEOF
)
[[ "$lat" == ok* ]] && pass "latency during BGSAVE: ${lat#ok }" || fail "latency during BGSAVE" "$lat"
for i in $(seq 1 300); do [ "$(info_field "$SC_PORT" rdb_bgsave_in_progress)" == 0 ] && break; sleep 0.1; done

# --- 11. kill -9 during BGSAVE leaves the previous snapshot whole ---
SUM=$(md5sum <"$SC_DIR/dump.rdb")
RC "$SC_PORT" SET after-snapshot 1 >/dev/null
# BGSAVE and INFO on one connection, then kill -9 at once: the save of 300k keys is still running.
ip=$(printf 'BGSAVE\nINFO persistence\n' | RC "$SC_PORT" | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')
kill -9 "$SC_PID"; wait_exit "$SC_PID"
expect_eq "kill -9 landed during the BGSAVE" "$ip" 1
expect_eq "kill -9 during BGSAVE: dump.rdb unchanged" "$(md5sum <"$SC_DIR/dump.rdb")" "$SUM"
KD=$SC_DIR
start_daemon --dir "$KD" || exit 1
expect_eq "kill -9 during BGSAVE: restart loads the previous snapshot" "$(RC "$SC_PORT" DBSIZE)" 300001
expect_eq "kill -9 during BGSAVE: the key written after it is gone" "$(RC "$SC_PORT" EXISTS after-snapshot)" 0
stop_daemon

# --- 10. SHUTDOWN NOSAVE / SAVE ---
start_daemon || exit 1
RC "$SC_PORT" SET k v >/dev/null
RC "$SC_PORT" SHUTDOWN NOSAVE >/dev/null 2>&1
wait_exit "$SC_PID"
[ ! -e "$SC_DIR/dump.rdb" ] && pass "SHUTDOWN NOSAVE writes nothing" || fail "SHUTDOWN NOSAVE writes nothing"
start_daemon || exit 1
RC "$SC_PORT" SET k v >/dev/null
RC "$SC_PORT" SHUTDOWN SAVE >/dev/null 2>&1
wait_exit "$SC_PID"
[ -s "$SC_DIR/dump.rdb" ] && pass "SHUTDOWN SAVE writes dump.rdb" || fail "SHUTDOWN SAVE writes dump.rdb"

# --- 8. failing disk: the --dir directory is removed while the daemon runs ---
start_daemon --save "3600 1" || exit 1
RC "$SC_PORT" SET k v >/dev/null
rm -rf "$SC_DIR"
RC "$SC_PORT" BGSAVE >/dev/null
for i in $(seq 1 50); do [ "$(info_field "$SC_PORT" rdb_last_bgsave_status)" == err ] && break; sleep 0.1; done
expect_eq "failing disk: rdb_last_bgsave_status" "$(info_field "$SC_PORT" rdb_last_bgsave_status)" err
out=$(RC "$SC_PORT" SET k2 v 2>&1)
grep -q "^MISCONF .*unable to persist to disk" <<<"$out" && pass "failing disk: SET gets MISCONF" || fail "SET gets MISCONF" "$out"
expect_eq "failing disk: SHUTDOWN refused" "$(RC "$SC_PORT" SHUTDOWN 2>&1)" "ERR Errors trying to SHUTDOWN. Check logs."
expect_eq "failing disk: still running after SHUTDOWN" "$(RC "$SC_PORT" PING)" PONG
kill -TERM "$SC_PID"
for i in $(seq 1 40); do grep -q "can't exit" "$SC_LOG" && break; sleep 0.05; done
expect_eq "failing disk: still running after SIGTERM" "$(RC "$SC_PORT" PING)" PONG
grep -q "Error trying to save the DB, can't exit" "$SC_LOG" && pass "failing disk: log says it cannot exit" || fail "log says it cannot exit"
RC "$SC_PORT" CONFIG SET save "" >/dev/null
RC "$SC_PORT" SHUTDOWN >/dev/null 2>&1
wait_exit "$SC_PID"; expect_eq "failing disk: SHUTDOWN after CONFIG SET save ''" "$WAIT_RC" 0

finish
