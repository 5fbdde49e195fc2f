#!/usr/bin/env bash
# tests/integration/suite_limits.sh: running out of file descriptors. Started under a 64-fd limit
# with a maxclients that cannot fit, the daemon lowers maxclients as Redis does (limit - 32),
# refuses clients past it with Redis's error, and, when CONFIG SET pushes maxclients past the
# limit so accept() fails with EMFILE, retries at a paced rate instead of spinning a core, and
# accepts the waiting clients once descriptors are free again.
source "$(dirname "$0")/lib.sh"

# 2,000,000 + 32 is above the kernel's nr_open, so even root cannot raise the limit that far.
SC_WRAP="prlimit --nofile=64:64" start_daemon --maxclients 2000000 ||
  { fail "daemon starts under a 64-fd limit"; finish; exit 1; }
pass "daemon starts under a 64-fd limit"
grep -q "maxclients has been reduced to 32" "$SC_LOG" && pass "start-up log says maxclients was reduced to 32" ||
  fail "start-up log says maxclients was reduced" "$(cat "$SC_LOG")"
expect_eq "CONFIG GET maxclients" "$(timeout 5 redis-cli -p "$SC_PORT" --no-raw config get maxclients | tr '\n' ' ')" \
  '1) "maxclients" 2) "32" '

out=$(timeout 60 "$PY" - "$SC_PORT" "$SC_PID" <<'PYEOF'
import socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])

def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.settimeout(3)
    return s

def ping(s):
    s.sendall(b"PING\r\n")
    return s.recv(100)

# 1. maxclients 32: the first 32 connections work, the next ones get Redis's error.
socks = [connect() for _ in range(32)]
ok = sum(ping(s) == b"+PONG\r\n" for s in socks)
print(f"served {ok}")
extra = connect()
print("refused", extra.recv(100).decode().strip())
extra.close()

# 2. maxclients raised past the fd limit: accept fails with EMFILE while clients wait.
socks[0].sendall(b"CONFIG SET maxclients 1000\r\n")
print("config", socks[0].recv(100).decode().strip())
for _ in range(40):
    socks.append(socket.create_connection(("127.0.0.1", port), timeout=3))  # queued in the backlog
time.sleep(0.3)
before = cpu_seconds()
time.sleep(2.0)
used = cpu_seconds() - before
print("paced" if used < 0.5 else f"spinning {used:.2f}s of CPU in 2s")

# 3. descriptors freed: the waiting connections are accepted and served.
for s in socks[:32]:
    s.close()
waiting = socks[32:]
served = 0
for s in waiting:
    try:
        served += ping(s) == b"+PONG\r\n"
    except OSError:
        pass
print(f"late {served}/{len(waiting)}")
PYEOF
)
echo "$out"
expect_eq "32 clients served under maxclients 32" "$(echo "$out" | grep '^served')" "served 32"
expect_eq "client 33 refused with Redis's error" "$(echo "$out" | grep '^refused')" "refused -ERR max number of clients reached"
expect_eq "CONFIG SET maxclients 1000" "$(echo "$out" | grep '^config')" "config +OK"
expect_eq "EMFILE: accept retried at a paced rate, not spinning" "$(echo "$out" | grep -E '^(paced|spinning)')" "paced"
expect_eq "waiting clients served once descriptors are free" "$(echo "$out" | grep '^late')" "late 40/40"
n=$(grep -c "accepting a client connection failed" "$SC_LOG")
if [ "$n" -ge 1 ] && [ "$n" -le 6 ]; then pass "EMFILE logged, at most once a second ($n lines)"; else
  fail "EMFILE logged at most once a second" "$n lines"; fi
redis-cli -p "$SC_PORT" ping >/dev/null 2>&1 && pass "daemon still answers" || fail "daemon still answers"
finish
