# tests/integration/suite_package.sh: tools/package builds shardcache_<version>_<arch>.deb; its
# control data (dpkg-deb --info), file list (--contents), the shipped unit (systemd-analyze
# verify), and lintian with no error. With CI=true as root (a disposable machine, as CI is) it
# also installs the .deb with apt-get, runs the daemon as the unit's ExecStart and User= say
# (systemd is not PID 1 there: runuser), talks to it with redis-cli, stops it (the snapshot
# lands in /var/lib/shardcache and a restart loads it), and purges the package.
# SC_PACKAGE_BUILD: the build directory (under the repository) tools/package uses. Default: the
# one holding $SHARDCACHED when it was configured with --prefix=/usr (tools/test's build-test is,
# so the suite builds nothing), else build-release (a release build of the installed targets).
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/shardcache-package.XXXXXX)
RUNUSER_PID=""
cleanup_all() {
  [ -n "$RUNUSER_PID" ] && kill -TERM "$RUNUSER_PID" 2>/dev/null
  it_cleanup; rm -rf "$TMP"
}
trap cleanup_all EXIT
VERSION=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$ROOT/meson.build" | head -1)
ARCH=$(dpkg --print-architecture)

if [ -z "${SC_PACKAGE_BUILD:-}" ]; then
  SC_PACKAGE_BUILD=build-release
  DAEMON_BUILD=$(cd "$(dirname "$SHARDCACHED")/.." && pwd)
  if [ "$(dirname "$DAEMON_BUILD")" = "$ROOT" ] && [ "$(meson introspect "$DAEMON_BUILD" --buildoptions \
      | $PY -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')" = /usr ]; then
    SC_PACKAGE_BUILD=$(basename "$DAEMON_BUILD")
  fi
fi
echo "== tools/package --build $SC_PACKAGE_BUILD"
t0=$(date +%s)
if "$ROOT/tools/package" --build "$SC_PACKAGE_BUILD" --out "$TMP/out" >"$TMP/package.log" 2>&1; then
  pass "tools/package ($(( $(date +%s) - t0 )) s)"
else
  fail "tools/package" "$(tail -20 "$TMP/package.log")"; finish; exit 1
fi
DEB=$(tail -1 "$TMP/package.log")
expect_eq "package file name" "$(basename "$DEB")" "shardcache_${VERSION}_${ARCH}.deb"
[ -f "$DEB" ] || { fail "the .deb exists at $DEB"; finish; exit 1; }

echo "== dpkg-deb --info"
field() { dpkg-deb --field "$DEB" "$1"; }
expect_eq "Package" "$(field Package)" shardcache
expect_eq "Version (meson.build's)" "$(field Version)" "$VERSION"
expect_eq "Architecture" "$(field Architecture)" "$ARCH"
case ", $(field Depends)," in *", adduser,"*"libc6"*) pass "Depends: adduser and the shared libraries ($(field Depends))" ;;
  *) fail "Depends" "$(field Depends)" ;; esac
expect_eq "conffiles" "$(dpkg-deb --info "$DEB" conffiles | tr '\n' ' ')" "/etc/logrotate.d/shardcached /etc/shardcache/shardcached.conf "
dpkg-deb --info "$DEB" postinst >"$TMP/postinst"
grep -q "adduser --system --group" "$TMP/postinst" && pass "postinst creates the system user" || fail "postinst creates the system user"
grep -q "deb-systemd-helper enable 'shardcached.service'" "$TMP/postinst" && pass "postinst enables the unit" || fail "postinst enables the unit"
dpkg-deb --info "$DEB" shlibs | grep -q "^libshardcache 0 shardcache (>= $VERSION)$" && pass "shlibs for libshardcache.so.0" \
  || fail "shlibs" "$(dpkg-deb --info "$DEB" shlibs 2>&1)"

echo "== dpkg-deb --contents"
dpkg-deb --contents "$DEB" >"$TMP/contents"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in ./usr/bin/shardcached ./lib/systemd/system/shardcached.service ./etc/shardcache/shardcached.conf \
         ./etc/logrotate.d/shardcached ./usr/share/man/man8/shardcached.8.gz ./usr/share/doc/shardcache/copyright \
         ./usr/share/doc/shardcache/changelog.gz ./usr/lib/$MULTIARCH/libshardcache.so.$VERSION \
         ./usr/lib/$MULTIARCH/libshardcache.so.0 ./usr/lib/$MULTIARCH/libshardcache.so \
         ./usr/lib/$MULTIARCH/pkgconfig/shardcache.pc ./usr/include/shardcache/client.h; do
  grep -qE " $f( -> .*)?$" "$TMP/contents" && pass "contains $f" || fail "contains $f"
done
[ "$(awk '$2 != "root/root"' "$TMP/contents" | wc -l)" = 0 ] && pass "every file is owned by root/root" \
  || fail "owned by root/root" "$(awk '$2 != "root/root"' "$TMP/contents" | head -3)"
mkdir -p "$TMP/x" && dpkg-deb -x "$DEB" "$TMP/x"
readelf -S "$TMP/x/usr/bin/shardcached" | grep -q '\.symtab' && fail "the daemon is stripped" || pass "the daemon is stripped"
"$TMP/x/usr/bin/shardcached" --help 2>&1 | grep -q -- "--port" && pass "the packaged daemon runs (--help)" || fail "the packaged daemon runs (--help)"
sed 's|^ExecStart=/usr/bin/|ExecStart='"$TMP"'/x/usr/bin/|' "$TMP/x/lib/systemd/system/shardcached.service" >"$TMP/shardcached.service"
systemd-analyze verify --man=no "$TMP/shardcached.service" >"$TMP/verify.log" 2>&1 && [ ! -s "$TMP/verify.log" ] \
  && pass "systemd-analyze verify on the packaged unit" || fail "systemd-analyze verify on the packaged unit" "$(cat "$TMP/verify.log")"

echo "== lintian"
lintian "$DEB" >"$TMP/lintian.log" 2>&1
grep -v "^running with root privileges" "$TMP/lintian.log"
expect_eq "lintian errors" "$(grep -c '^E:' "$TMP/lintian.log")" 0
grep -q "^W:" "$TMP/lintian.log" && echo "lintian warnings: $(grep -c '^W:' "$TMP/lintian.log")"

if [ "${CI:-}" != true ] || [ "$(id -u)" != 0 ]; then
  echo "SKIP install, run and purge: only with CI=true as root (a disposable machine)"
  finish; exit
fi

echo "== apt-get install ./$(basename "$DEB")"
if dpkg -s shardcache >/dev/null 2>&1; then
  fail "shardcache is not installed already (this test would replace and purge it)"; finish; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -o DPkg::Lock::Timeout=300 "$DEB" >"$TMP/apt.log" 2>&1; then
  pass "apt-get install $(basename "$DEB")"
else
  fail "apt-get install" "$(tail -10 "$TMP/apt.log")"; finish; exit 1
fi
uid=$(id -u shardcache 2>/dev/null)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && pass "system user shardcache (uid $uid)" || fail "system user shardcache" "[$uid]"
expect_eq "/var/lib/shardcache owner and mode" "$(stat -c '%U:%G %a' /var/lib/shardcache)" "shardcache:shardcache 750"
expect_eq "/etc/shardcache/shardcached.conf owner and mode" "$(stat -c '%U:%G %a' /etc/shardcache/shardcached.conf)" "root:shardcache 640"
[ -L /etc/systemd/system/multi-user.target.wants/shardcached.service ] && pass "the unit is enabled" \
  || fail "the unit is enabled (multi-user.target.wants symlink)"
systemd-analyze verify /lib/systemd/system/shardcached.service >"$TMP/verify-installed.log" 2>&1 && [ ! -s "$TMP/verify-installed.log" ] \
  && pass "systemd-analyze verify on the installed unit (with its man page)" \
  || fail "systemd-analyze verify on the installed unit" "$(cat "$TMP/verify-installed.log")"
man -w shardcached 2>/dev/null | grep -q shardcached.8 && pass "man shardcached finds the page" || fail "man shardcached"

# run_as_unit LOG [flags...]: the unit's ExecStart as its User= in its WorkingDirectory; sets
# SC_PORT, DPID (the daemon) and RUNUSER_PID.
run_as_unit() {
  local log=$1 i; shift
  SC_PORT=$(free_port)
  local args=(/etc/shardcache/shardcached.conf "$@")
  (cd /var/lib/shardcache && exec runuser -u shardcache -- /usr/bin/shardcached "${args[@]}" --port "$SC_PORT" --http-port 0) >"$log" 2>&1 &
  RUNUSER_PID=$!
  wait_port "$SC_PORT" || { fail "the daemon starts as shardcache from the shipped configuration file" "$(cat "$log")"; return 1; }
  DPID=""
  # runuser forks the command (its child) unless it exec'd it in place.
  for i in $(seq 1 50); do
    DPID=$(pgrep -P "$RUNUSER_PID" -x shardcached) && break
    [ "$(ps -o comm= -p "$RUNUSER_PID")" = shardcached ] && { DPID=$RUNUSER_PID; break; }
    sleep 0.1
  done
  IT_LOGS+=("$log")
}
echo "== run as the unit does"
if run_as_unit "$TMP/run1.log" && [ -n "$DPID" ]; then
  expect_eq "the daemon runs as user shardcache" "$(ps -o user= -p "$DPID" | tr -d ' ')" shardcache
  expect_eq "redis-cli PING" "$(redis-cli -p "$SC_PORT" PING)" PONG
  expect_eq "redis-cli SET" "$(redis-cli -p "$SC_PORT" SET upgrade:key kept)" OK
  expect_eq "its working directory is the snapshot directory" \
    "$(redis-cli -p "$SC_PORT" CONFIG GET dir | tail -1)" /var/lib/shardcache
  # Open files: maxclients 10000 + 32, as LimitNOFILE= gives it under systemd.
  nofile=$(awk '/Max open files/ { print $4 }' "/proc/$DPID/limits")
  [ "$nofile" -ge 10032 ] && pass "open files limit $nofile >= 10032" || fail "open files limit" "[$nofile]"
  kill -TERM "$DPID"
  for i in $(seq 1 200); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
  wait "$RUNUSER_PID" 2>/dev/null; RUNUSER_PID=""
  kill -0 "$DPID" 2>/dev/null && fail "SIGTERM stops the daemon" || pass "SIGTERM stops the daemon"
  expect_eq "the stop saved /var/lib/shardcache/dump.rdb as shardcache" "$(stat -c %U /var/lib/shardcache/dump.rdb 2>&1)" shardcache
  # An upgrade restarts the daemon: the new one loads what the old one saved.
  if run_as_unit "$TMP/run2.log"; then
    expect_eq "restarted: the key is back from the snapshot" "$(redis-cli -p "$SC_PORT" GET upgrade:key)" kept
    kill -TERM "$DPID"
    for i in $(seq 1 200); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
    wait "$RUNUSER_PID" 2>/dev/null; RUNUSER_PID=""
  fi
else
  fail "the daemon's pid under runuser" "$(cat "$TMP/run1.log")"
fi

echo "== apt-get purge shardcache"
if apt-get purge -y -o DPkg::Lock::Timeout=300 shardcache >"$TMP/purge.log" 2>&1; then
  pass "apt-get purge shardcache"
else
  fail "apt-get purge" "$(tail -10 "$TMP/purge.log")"
fi
dpkg -s shardcache >/dev/null 2>&1 && fail "the package is gone" || pass "the package is gone"
for p in /usr/bin/shardcached /lib/systemd/system/shardcached.service /etc/shardcache /etc/logrotate.d/shardcached \
         /var/lib/shardcache /var/log/shardcache /etc/systemd/system/multi-user.target.wants/shardcached.service \
         /usr/lib/$MULTIARCH/libshardcache.so.0 /usr/include/shardcache; do
  [ -e "$p" ] || [ -L "$p" ] && fail "purged: $p" "still there" || pass "purged: $p"
done

finish
