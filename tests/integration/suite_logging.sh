#!/usr/bin/env bash
# tests/integration/suite_logging.sh: --version and logging as an operator sees them with the real
# daemon: the version line and its exit code, the log on stderr (stdout stays empty), Redis's level
# names, an unknown level refused at start-up, CONFIG SET/GET loglevel at run time (a notice line
# disappears at warning), --logfile, SIGHUP reopening a moved log file (logrotate) without
# stopping the daemon, syslog options. Every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
source tests/integration/lib.sh

RC() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
MESON_VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" meson.build)
TMP=$(mktemp -d /tmp/shardcached-it-logging.XXXXXX)
IT_DIRS+=("$TMP")

# start_split OUT ERR [args...]: like start_daemon, with stdout and stderr in separate files.
start_split() {
  local out=$1 err=$2; shift 2
  SC_PORT=$(free_port)
  SC_HTTP_PORT=$(free_port)
  "$SHARDCACHED" --bind 127.0.0.1 --port "$SC_PORT" --http-port "$SC_HTTP_PORT" --save "" --dir "$TMP" "$@" >"$out" 2>"$err" &
  SC_PID=$!
  IT_PIDS+=("$SC_PID")
  IT_LOGS+=("$err")
  wait_port "$SC_PORT" || { echo "daemon did not start:"; cat "$out" "$err"; return 1; }
}

# wait_grep FILE PATTERN: waits up to 5 s for a line matching PATTERN in FILE.
wait_grep() {
  local i
  for i in $(seq 1 100); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# bgsave_done PORT: BGSAVE and wait up to 10 s until it finished.
bgsave_done() {
  local i
  RC "$1" BGSAVE >/dev/null
  for i in $(seq 1 200); do
    RC "$1" INFO persistence | tr -d '\r' | grep -q '^rdb_bgsave_in_progress:0' && return 0
    sleep 0.05
  done
  return 1
}

# --- --version ---------------------------------------------------------------------------------
out=$("$SHARDCACHED" --version); rc=$?
expect_eq "--version exits 0" "$rc" 0
if [[ "$out" =~ ^shardcached\ v=${MESON_VERSION//./\\.}\ redis-compat=7\.2\.0\ malloc=[^\ ]+\ bits=64$ ]]; then
  pass "--version: 'shardcached v=$MESON_VERSION redis-compat=7.2.0 malloc=... bits=64' (meson.build's version)"
else
  fail "--version line" "got [$out], meson.build has $MESON_VERSION"
fi
expect_eq "-v prints the same line" "$("$SHARDCACHED" -v)" "$out"

# --- default: the log goes to stderr, stdout stays empty ----------------------------------------
start_split "$TMP/default.out" "$TMP/default.err"
DEFAULT_PID=$SC_PID DEFAULT_PORT=$SC_PORT DEFAULT_HTTP=$SC_HTTP_PORT
wait_grep "$TMP/default.err" "listening on 127.0.0.1:$SC_PORT" && pass "start-up line on stderr" || fail "start-up line on stderr" "$(cat "$TMP/default.err")"
expect_eq "nothing on stdout" "$(cat "$TMP/default.out")" ""
info_ver=$(RC "$SC_PORT" INFO server | tr -d '\r' | sed -n 's/^shardcache_version://p')
expect_eq "INFO shardcache_version is meson.build's" "$info_ver" "$MESON_VERSION"
expect_eq "INFO redis_version stays the compatibility version" "$(RC "$SC_PORT" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')" "7.2.0"
healthz=$($PY -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$SC_HTTP_PORT/healthz', timeout=5).read().decode())")
[[ "$healthz" == *"\"version\":\"$MESON_VERSION\""* ]] && pass "/healthz version" || fail "/healthz version" "$healthz"
metrics=$($PY -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$SC_HTTP_PORT/metrics', timeout=5).read().decode())")
[[ "$metrics" == *"shardcache_build_info{version=\"$MESON_VERSION\"} 1"* ]] && pass "/metrics build_info version" || fail "/metrics build_info version" "$(echo "$metrics" | grep build_info)"
expect_eq "CONFIG GET loglevel: notice by default" "$(RC "$SC_PORT" CONFIG GET loglevel | tail -1)" "notice"
expect_eq "CONFIG GET logfile: empty (stderr)" "$(RC "$SC_PORT" CONFIG GET logfile | tail -1)" ""

# SIGHUP without a log file: nothing to reopen, the daemon keeps serving.
kill -HUP "$DEFAULT_PID"
sleep 0.3
kill -0 "$DEFAULT_PID" 2>/dev/null && pass "SIGHUP without a log file: still running" || fail "SIGHUP without a log file: still running"
expect_eq "SIGHUP without a log file: still answers" "$(RC "$DEFAULT_PORT" PING)" "PONG"

# --- CONFIG SET loglevel at run time ------------------------------------------------------------
bgsave_done "$DEFAULT_PORT"
expect_eq "notice: BGSAVE logs 'Background saving started'" "$(grep -c 'Background saving started' "$TMP/default.err")" 1
expect_eq "CONFIG SET loglevel warning" "$(RC "$DEFAULT_PORT" CONFIG SET loglevel warning)" "OK"
expect_eq "CONFIG GET loglevel: warning" "$(RC "$DEFAULT_PORT" CONFIG GET loglevel | tail -1)" "warning"
bgsave_done "$DEFAULT_PORT"
expect_eq "warning: BGSAVE's notice line is not logged" "$(grep -c 'Background saving started' "$TMP/default.err")" 1
expect_eq "CONFIG SET loglevel bad: Redis's error" "$(RC "$DEFAULT_PORT" CONFIG SET loglevel loud)" \
  "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing"
expect_eq "CONFIG GET loglevel after the bad SET: still warning" "$(RC "$DEFAULT_PORT" CONFIG GET loglevel | tail -1)" "warning"
expect_eq "CONFIG SET loglevel notice" "$(RC "$DEFAULT_PORT" CONFIG SET loglevel notice)" "OK"
bgsave_done "$DEFAULT_PORT"
expect_eq "notice again: BGSAVE logs again" "$(grep -c 'Background saving started' "$TMP/default.err")" 2
expect_eq "CONFIG SET logfile: immutable" "$(RC "$DEFAULT_PORT" CONFIG SET logfile /tmp/x.log)" \
  "ERR CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable config"
expect_eq "nothing on stdout after all that" "$(cat "$TMP/default.out")" ""
stop_daemon "$DEFAULT_PID"

# --- start-up errors ----------------------------------------------------------------------------
timeout 10 "$SHARDCACHED" --port 0 --http-port 0 --save "" --dir "$TMP" --loglevel bogus >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
expect_eq "--loglevel bogus: exit 1" "$rc" 1
grep -q "loglevel 'bogus': argument(s) must be one of the following: debug, verbose, notice, warning, nothing" "$TMP/bad.err" \
  && pass "--loglevel bogus: message on stderr" || fail "--loglevel bogus: message on stderr" "$(cat "$TMP/bad.err")"
timeout 10 "$SHARDCACHED" --port 0 --http-port 0 --save "" --dir "$TMP" --syslog-facility kern >/dev/null 2>"$TMP/bad.err"; rc=$?
expect_eq "--syslog-facility kern: exit 1" "$rc" 1
grep -q "syslog-facility 'kern': argument(s) must be one of the following: user, local0" "$TMP/bad.err" \
  && pass "--syslog-facility kern: message" || fail "--syslog-facility kern: message" "$(cat "$TMP/bad.err")"
timeout 10 "$SHARDCACHED" --port 0 --http-port 0 --save "" --dir "$TMP" --logfile "$TMP/no/such/dir.log" >/dev/null 2>"$TMP/bad.err"; rc=$?
expect_eq "--logfile in a missing directory: exit 1" "$rc" 1
grep -q "Can't open the log file" "$TMP/bad.err" && pass "--logfile in a missing directory: message" \
  || fail "--logfile in a missing directory: message" "$(cat "$TMP/bad.err")"

# --- each of Redis's level names ----------------------------------------------------------------
for lvl in debug verbose notice warning nothing; do
  start_daemon --loglevel "$lvl"
  expect_eq "--loglevel $lvl: CONFIG GET loglevel" "$(RC "$SC_PORT" CONFIG GET loglevel | tail -1)" "$lvl"
  case $lvl in
    debug|verbose|notice) wait_grep "$SC_LOG" "listening on" && pass "--loglevel $lvl: start-up line logged" || fail "--loglevel $lvl: start-up line logged" ;;
    *) expect_eq "--loglevel $lvl: start-up (notice) line not logged" "$(grep -c 'listening on' "$SC_LOG")" 0 ;;
  esac
  stop_daemon "$SC_PID"
done
expect_eq "--loglevel nothing: an empty log" "$(cat "$SC_LOG")" ""

# --- --logfile and SIGHUP (logrotate) ----------------------------------------------------------
LOGF="$TMP/shardcached.log"
start_split "$TMP/file.out" "$TMP/file.err" --logfile "$LOGF"
wait_grep "$LOGF" "listening on 127.0.0.1:$SC_PORT" && pass "--logfile: start-up line in the file" || fail "--logfile: start-up line in the file"
expect_eq "--logfile: stderr empty" "$(cat "$TMP/file.err")" ""
expect_eq "--logfile: stdout empty" "$(cat "$TMP/file.out")" ""
expect_eq "CONFIG GET logfile" "$(RC "$SC_PORT" CONFIG GET logfile | tail -1)" "$LOGF"
mv "$LOGF" "$LOGF.1"
kill -HUP "$SC_PID"
wait_grep "$LOGF" "reopened the log file $LOGF" && pass "SIGHUP: a new file, with the reopen line" || fail "SIGHUP: a new file, with the reopen line"
kill -0 "$SC_PID" 2>/dev/null && pass "SIGHUP: daemon still running" || fail "SIGHUP: daemon still running"
expect_eq "SIGHUP: daemon still answers" "$(RC "$SC_PORT" PING)" "PONG"
bgsave_done "$SC_PORT"
wait_grep "$LOGF" "Background saving started" && pass "after SIGHUP: new lines go to the new file" || fail "after SIGHUP: new lines go to the new file"
expect_eq "after SIGHUP: the moved file gets no new lines" "$(grep -c 'Background saving started' "$LOGF.1")" 0
grep -q "listening on" "$LOGF.1" && pass "the moved file keeps the old lines" || fail "the moved file keeps the old lines"
stop_daemon "$SC_PID"
wait_grep "$LOGF" "shardcached stopped" && pass "shutdown line in the new file" || fail "shutdown line in the new file"

# --- syslog (no syslog daemon needed: the options are accepted and the daemon runs) ----------------
start_daemon --syslog-enabled yes --syslog-ident sc-it-logging --syslog-facility local3
expect_eq "syslog: daemon answers" "$(RC "$SC_PORT" PING)" "PONG"
expect_eq "CONFIG GET syslog-enabled" "$(RC "$SC_PORT" CONFIG GET syslog-enabled | tail -1)" "yes"
expect_eq "CONFIG GET syslog-ident" "$(RC "$SC_PORT" CONFIG GET syslog-ident | tail -1)" "sc-it-logging"
expect_eq "CONFIG GET syslog-facility" "$(RC "$SC_PORT" CONFIG GET syslog-facility | tail -1)" "local3"
expect_eq "CONFIG SET syslog-ident: immutable" "$(RC "$SC_PORT" CONFIG SET syslog-ident x)" \
  "ERR CONFIG SET failed (possibly related to argument 'syslog-ident') - can't set immutable config"
wait_grep "$SC_LOG" "listening on" && pass "syslog: the log still goes to stderr too" || fail "syslog: the log still goes to stderr too"
stop_daemon "$SC_PID"
timeout 10 "$SHARDCACHED" --port 0 --http-port 0 --save "" --dir "$TMP" --syslog-enabled maybe >/dev/null 2>"$TMP/bad.err"; rc=$?
[ "$rc" -ne 0 ] && grep -q "syslog-enabled: argument must be 'yes' or 'no'" "$TMP/bad.err" \
  && pass "--syslog-enabled maybe: refused" || fail "--syslog-enabled maybe: refused" "rc=$rc $(cat "$TMP/bad.err")"

finish
