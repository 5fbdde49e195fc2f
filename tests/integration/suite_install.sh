# tests/integration/suite_install.sh: `meson install --destdir` of the build holding $SHARDCACHED:
# the exact list of installed files (daemon, library, headers, shardcache.pc, systemd unit,
# sample configuration, logrotate snippet, man page, LICENSE), the unit's contents,
# `systemd-analyze verify` and `security --offline=yes` on it, the man page rendering, and the
# installed daemon answering PING, also under the kernel's MemoryDenyWriteExecute rule.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$SHARDCACHED")/.." && pwd)   # the build directory holding the daemon
TMP=$(mktemp -d /tmp/shardcache-install.XXXXXX)
cleanup_all() { it_cleanup; rm -rf "$TMP"; }
trap cleanup_all EXIT
DEST=$TMP/destdir

echo "== meson install -C $BUILD --destdir"
if meson install -C "$BUILD" --destdir "$DEST" --no-rebuild >"$TMP/install.log" 2>&1; then
  pass "meson install --destdir"
else
  fail "meson install --destdir" "$(tail -5 "$TMP/install.log")"; finish; exit 1
fi

# The install directories as the build configured them (absolute: prefix joined with each).
opt() { meson introspect "$BUILD" --buildoptions | $PY -c "
import json, os, sys
o = {x['name']: x['value'] for x in json.load(sys.stdin)}
v = o['$1']
print(v if v.startswith('/') or '$1' == 'prefix' else os.path.join(o['prefix'], v))"; }
PREFIX=$(opt prefix); BINDIR=$(opt bindir); LIBDIR=$(opt libdir); INCDIR=$(opt includedir)
SYSCONF=$(opt sysconfdir); MANDIR=$(opt mandir); DATADIR=$(opt datadir)
UNIT=$(cd "$DEST" && find . -path '*/systemd/system/shardcached.service' | sed 's|^\.||')
[ -n "$UNIT" ] && pass "the unit is installed ($UNIT)" || fail "the unit is installed"
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$ROOT/meson.build" | head -1)

echo "== installed files"
{
  echo "$BINDIR/shardcached"
  echo "$LIBDIR/libshardcache.so"
  echo "$LIBDIR/libshardcache.so.0"
  echo "$LIBDIR/libshardcache.so.$VERSION"
  echo "$LIBDIR/pkgconfig/shardcache.pc"
  for h in "$ROOT"/client/include/shardcache/*.h; do echo "$INCDIR/shardcache/$(basename "$h")"; done
  echo "$UNIT"
  echo "$SYSCONF/shardcache/shardcached.conf"
  echo "$SYSCONF/logrotate.d/shardcached"
  echo "$MANDIR/man8/shardcached.8"
  echo "$DATADIR/doc/shardcache/LICENSE"
} | sort >"$TMP/want"
(cd "$DEST" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$TMP/got"
if diff "$TMP/want" "$TMP/got" >"$TMP/files.diff"; then
  pass "installed files are exactly the expected $(wc -l <"$TMP/want")"
else
  fail "installed files" "$(cat "$TMP/files.diff")"
fi
[ -x "$DEST$BINDIR/shardcached" ] && pass "daemon is executable" || fail "daemon is executable"
cmp -s "$ROOT/shardcached.conf" "$DEST$SYSCONF/shardcache/shardcached.conf" && pass "sample configuration installed as shipped" \
  || fail "sample configuration installed as shipped"
cmp -s "$ROOT/LICENSE" "$DEST$DATADIR/doc/shardcache/LICENSE" && pass "LICENSE installed" || fail "LICENSE installed"
grep -q "BSD 3-Clause" "$ROOT/LICENSE" && grep -q "license : 'BSD-3-Clause'" "$ROOT/meson.build" \
  && pass "LICENSE is the BSD-3-Clause meson.build declares" || fail "LICENSE matches meson.build's license"
grep -q "^Version: $VERSION$" "$DEST$LIBDIR/pkgconfig/shardcache.pc" && pass "shardcache.pc has version $VERSION" \
  || fail "shardcache.pc version" "$(grep Version "$DEST$LIBDIR/pkgconfig/shardcache.pc")"

echo "== man page"
MAN_TEXT=$(MANWIDTH=100 man -l "$DEST$MANDIR/man8/shardcached.8" 2>&1)
for section in NAME SYNOPSIS OPTIONS FILES SIGNALS "SEE ALSO"; do
  echo "$MAN_TEXT" | grep -q "^$section" && pass "man page has $section" || fail "man page has $section" "$(echo "$MAN_TEXT" | head -5)"
done
echo "$MAN_TEXT" | grep -q "shardcached - a multi-threaded, Redis-compatible cache daemon" \
  && pass "man page NAME line" || fail "man page NAME line"
# Every flag the man page documents is one the daemon accepts (its --help lists them).
HELP=$("$DEST$BINDIR/shardcached" --help 2>&1)
for flag in $(grep -o '^\*--[a-z-]*\*' "$ROOT/packaging/shardcached.8.scd" | tr -d '*' | sort -u); do
  echo "$HELP" | grep -q -- "$flag" && pass "man page flag $flag is in --help" || fail "man page flag $flag is in --help"
done

echo "== the unit"
U=$DEST$UNIT
unit_has() { grep -qxF "$1" "$U" && pass "unit: $1" || fail "unit: $1" "$(grep "^${1%%=*}=" "$U")"; }
unit_has "ExecStart=$BINDIR/shardcached $SYSCONF/shardcache/shardcached.conf"
unit_has "ExecReload=/bin/kill -HUP \$MAINPID"
unit_has "User=shardcache"
unit_has "Group=shardcache"
unit_has "LimitNOFILE=10032"
unit_has "StateDirectory=shardcache"
unit_has "WorkingDirectory=/var/lib/shardcache"
unit_has "MemoryDenyWriteExecute=yes"
unit_has "WantedBy=multi-user.target"
# LimitNOFILE is maxclients + the 32 descriptors the daemon reserves (daemon/net/accept_limits.h).
MAXCLIENTS=$(echo "$HELP" | sed -n 's/.*--maxclients[^=]*=\([0-9]*\).*/\1/p' | head -1)
RESERVED=$(sed -n 's/.*kReservedFds = \([0-9]*\);.*/\1/p' "$ROOT/daemon/net/accept_limits.h")
expect_eq "LimitNOFILE = default maxclients ($MAXCLIENTS) + reserved ($RESERVED)" "$((MAXCLIENTS + RESERVED))" 10032
if command -v systemd-analyze >/dev/null; then
  # verify checks that ExecStart's binary exists: point it into the staging directory.
  sed "s|^ExecStart=$BINDIR/|ExecStart=$DEST$BINDIR/|" "$U" >"$TMP/shardcached.service"
  if systemd-analyze verify --man=no "$TMP/shardcached.service" >"$TMP/verify.log" 2>&1 && [ ! -s "$TMP/verify.log" ]; then
    pass "systemd-analyze verify: no complaint"
  else
    fail "systemd-analyze verify" "$(cat "$TMP/verify.log")"
  fi
  SCORE=$(systemd-analyze security --offline=yes "$U" 2>&1 | sed -n 's/.*Overall exposure level for shardcached.service: \([0-9.]*\).*/\1/p')
  echo "systemd-analyze security --offline=yes: exposure $SCORE"
  if [ -n "$SCORE" ] && awk "BEGIN { exit !($SCORE <= 2.0) }"; then
    pass "systemd-analyze security exposure $SCORE <= 2.0"
  else
    fail "systemd-analyze security exposure <= 2.0" "[$SCORE]"
  fi
else
  fail "systemd-analyze is installed (systemd; tools/lib/setup.sh SC_TEST_PKGS)"
fi
if command -v logrotate >/dev/null; then
  logrotate --debug --state "$TMP/logrotate.state" "$DEST$SYSCONF/logrotate.d/shardcached" >"$TMP/logrotate.log" 2>&1 \
    && ! grep -qi "error" "$TMP/logrotate.log" && pass "logrotate --debug accepts the snippet" \
    || fail "logrotate --debug" "$(grep -i error "$TMP/logrotate.log" | head -3)"
fi

echo "== the installed daemon runs"
echo "$HELP" | grep -q -- "--port" && pass "installed daemon --help" || fail "installed daemon --help" "$(echo "$HELP" | head -3)"
SHARDCACHED=$DEST$BINDIR/shardcached
start_daemon --threads 2 || { fail "installed daemon starts"; finish; exit 1; }
expect_eq "installed daemon answers PING" "$(redis-cli -p "$SC_PORT" PING)" PONG
expect_eq "installed daemon SET/GET" "$(redis-cli -p "$SC_PORT" SET k v >/dev/null; redis-cli -p "$SC_PORT" GET k)" v
stop_daemon

# MemoryDenyWriteExecute=yes: the kernel's PR_SET_MDWE (Linux 6.3+) refuses the same mappings
# (writable+executable, or made executable later) and is kept across execve.
if $PY -c 'import ctypes, sys; sys.exit(0 if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0 else 77)'; then
  # The control: the wrapper really refuses a writable+executable mapping in the program it runs.
  $PY "$ROOT/tests/integration/mdwe_exec.py" $PY -c 'import mmap; mmap.mmap(-1, 4096, prot=7)' 2>"$TMP/mdwe.err"
  grep -q PermissionError "$TMP/mdwe.err" && pass "mdwe_exec.py: a W+X mapping is refused in the exec'd program" \
    || fail "mdwe_exec.py refuses a W+X mapping" "$(tail -2 "$TMP/mdwe.err")"
  SC_WRAP="$PY $ROOT/tests/integration/mdwe_exec.py" start_daemon --threads 2 --save "" \
    || { fail "daemon starts under PR_SET_MDWE"; finish; exit 1; }
  for i in $(seq 1 2000); do echo "SET key:$i value-$i-$RANDOM$RANDOM$RANDOM$RANDOM"; done | redis-cli -p "$SC_PORT" >/dev/null
  expect_eq "under MDWE: 2000 keys written" "$(redis-cli -p "$SC_PORT" DBSIZE)" 2000
  expect_eq "under MDWE: BGSAVE" "$(redis-cli -p "$SC_PORT" BGSAVE)" "Background saving started"
  for i in $(seq 1 100); do [ "$(redis-cli -p "$SC_PORT" INFO persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 0 ] && break; sleep 0.05; done
  expect_eq "under MDWE: the save succeeded" "$(redis-cli -p "$SC_PORT" INFO persistence | tr -d '\r' | sed -n 's/^rdb_last_bgsave_status://p')" ok
  expect_eq "under MDWE: MEMORY PURGE" "$(redis-cli -p "$SC_PORT" MEMORY PURGE)" OK
  expect_eq "under MDWE: still answers" "$(redis-cli -p "$SC_PORT" PING)" PONG
  stop_daemon
else
  echo "SKIP MDWE checks: this kernel has no PR_SET_MDWE (Linux < 6.3)"
fi

finish
