# tests/integration/suite_rediscli.sh: the daemon driven by Debian's redis-cli and redis-benchmark
# (redis-tools 7.0), checking what a user sees: every command family, SET options, expiry that
# really happens, --scan --pattern, --pipe, --bigkeys, INFO, CONFIG GET, CLIENT (incl. killing
# another connection), MULTI/EXEC in a piped session, RESP3 with -3, the SELECT and AUTH errors,
# COMMAND INFO/GETKEYS/LIST, subcommand errors and CLIENT REPLY next to redis-server 7.0.15,
# and redis-benchmark runs whose data reads back. Expected outputs were checked against
# redis-server 7.0.15 with the same redis-cli. Every client call has a timeout.
source "$(dirname "$0")/lib.sh"
start_daemon || { fail "daemon starts"; finish; exit 1; }
P=$SC_PORT
WORK=$(mktemp -d /tmp/shardcache-it-cli.XXXXXX)
trap 'exec 7>&- 2>/dev/null; it_cleanup; rm -rf "$WORK"' EXIT

cli() { timeout 5 redis-cli -p "$P" "$@"; }              # raw output (stdout is not a tty)
clin() { timeout 5 redis-cli -p "$P" --no-raw "$@"; }    # formatted: (nil), (integer), (error)
session() { timeout 5 redis-cli -p "$P"; }               # one connection, commands from stdin
expect_match() {  # expect_match NAME ACTUAL EXTENDED-REGEX
  if [[ "$2" =~ $3 ]]; then pass "$1"; else fail "$1" "got [$2], want /$3/"; fi
}
expect_between() {  # expect_between NAME VALUE MIN MAX
  if [[ "$2" =~ ^-?[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then pass "$1"
  else fail "$1" "got [$2], want $3..$4"; fi
}
info_field() { cli info "${2:-all}" | tr -d '\r' | grep -E "^$1:" | cut -d: -f2; }

strings_basic() {
  expect_eq "SET" "$(cli set s:1 v1)" "OK"
  expect_eq "GET" "$(cli get s:1)" "v1"
  expect_eq "GET missing is nil" "$(clin get s:missing)" "(nil)"
  expect_eq "SET ... GET returns the old value" "$(cli set s:1 v2 get)" "v1"
  expect_eq "SET NX on an existing key is nil" "$(clin set s:1 x nx)" "(nil)"
  expect_eq "SET NX left the value" "$(cli get s:1)" "v2"
  expect_eq "SET XX on a missing key is nil" "$(clin set s:2 y xx)" "(nil)"
  expect_eq "SET XX did not create it" "$(cli exists s:2)" "0"
  expect_eq "SET XX on an existing key" "$(cli set s:1 v3 xx)" "OK"
  expect_eq "SET NX GET on an existing key returns it, writes nothing" "$(cli set s:1 zz nx get)" "v3"
  expect_eq "value with spaces and UTF-8" "$(cli set 's:utf' 'héllo wörld ✓' >/dev/null; cli get s:utf)" "héllo wörld ✓"
  expect_eq "SETNX existing" "$(cli setnx s:1 x)" "0"
  expect_eq "SETNX new" "$(cli setnx s:3 x)" "1"
  expect_eq "MSET" "$(cli mset m:a 1 m:b 2 m:c 3)" "OK"
  expect_eq "MGET with a missing key" "$(clin mget m:a m:nope m:c)" $'1) "1"\n2) (nil)\n3) "3"'
  expect_eq "MSETNX with one existing key sets nothing" "$(cli msetnx m:c 9 m:d 4)" "0"
  expect_eq "MSETNX did not write m:d" "$(cli exists m:d)" "0"
  expect_eq "MSETNX all new" "$(cli msetnx m:d 4 m:e 5)" "1"
  expect_eq "GETSET" "$(cli getset m:a 10)" "1"
  expect_eq "GETDEL" "$(cli getdel m:b)" "2"
  expect_eq "GETDEL removed it" "$(cli exists m:b)" "0"
}

strings_numbers_ranges() {
  expect_eq "INCR new key" "$(cli incr n:1)" "1"
  expect_eq "INCRBY" "$(cli incrby n:1 41)" "42"
  expect_eq "DECR" "$(cli decr n:1)" "41"
  expect_eq "DECRBY" "$(cli decrby n:1 50)" "-9"
  expect_eq "INCRBYFLOAT" "$(cli set n:f 10.5 >/dev/null; cli incrbyfloat n:f 0.1)" "10.6"
  # long double arithmetic, printed as redis-server 7.0.15 prints it
  expect_eq "INCRBYFLOAT exponent" "$(cli incrbyfloat n:f 5.0e3)" "5010.60000000000000009"
  expect_eq "INCR on text: error" "$(clin incr s:1)" "(error) ERR value is not an integer or out of range"
  expect_eq "APPEND" "$(cli set r:1 Hello >/dev/null; cli append r:1 ' World')" "11"
  expect_eq "STRLEN" "$(cli strlen r:1)" "11"
  expect_eq "GETRANGE" "$(cli getrange r:1 0 4)" "Hello"
  expect_eq "GETRANGE negative" "$(cli getrange r:1 -5 -1)" "World"
  expect_eq "SETRANGE" "$(cli setrange r:1 6 Redis)" "11"
  expect_eq "SETRANGE result" "$(cli get r:1)" "Hello Redis"
  expect_eq "SETRANGE past the end pads with zero bytes" "$(cli setrange r:2 3 x >/dev/null; cli get r:2 | od -An -c | tr -s ' ')" " \\0 \\0 \\0 x \\n"
}

strings_expiry_options() {
  local now
  now=$(date +%s)
  expect_eq "SET EX" "$(cli set x:ex v ex 100)" "OK"
  expect_between "TTL after SET EX 100" "$(cli ttl x:ex)" 98 100
  expect_eq "SET KEEPTTL keeps the TTL" "$(cli set x:ex v2 keepttl >/dev/null; cli ttl x:ex | awk '$1>0{print "kept"}')" "kept"
  expect_eq "plain SET clears the TTL" "$(cli set x:ex v3 >/dev/null; cli ttl x:ex)" "-1"
  cli set x:px v px 100000 >/dev/null
  expect_between "PTTL after SET PX 100000" "$(cli pttl x:px)" 98000 100000
  cli set x:exat v exat $((now + 200)) >/dev/null
  expect_between "TTL after SET EXAT now+200" "$(cli ttl x:exat)" 197 200
  expect_eq "EXPIRETIME is the EXAT time" "$(cli expiretime x:exat)" "$((now + 200))"
  cli set x:pxat v pxat $(((now + 300) * 1000)) >/dev/null
  expect_eq "PEXPIRETIME is the PXAT time" "$(cli pexpiretime x:pxat)" "$(((now + 300) * 1000))"
  expect_eq "SETEX" "$(cli setex x:setex 50 v)" "OK"
  expect_between "TTL after SETEX 50" "$(cli ttl x:setex)" 48 50
  expect_eq "PSETEX" "$(cli psetex x:psetex 50000 v)" "OK"
  expect_between "PTTL after PSETEX" "$(cli pttl x:psetex)" 48000 50000
  expect_eq "GETEX EX" "$(cli getex x:setex ex 500)" "v"
  expect_between "TTL after GETEX EX 500" "$(cli ttl x:setex)" 498 500
  expect_eq "GETEX PERSIST" "$(cli getex x:setex persist >/dev/null; cli ttl x:setex)" "-1"
  expect_eq "SET EX 0 is refused" "$(clin set x:bad v ex 0)" "(error) ERR invalid expire time in 'set' command"
  expect_eq "SET XX NX is a syntax error" "$(clin set x:bad v xx nx)" "(error) ERR syntax error"
}

keys_family() {
  expect_eq "DEL counts removed keys" "$(cli del m:a m:c m:nope)" "2"
  expect_eq "UNLINK" "$(cli unlink m:d m:e)" "2"
  expect_eq "EXISTS counts repeats" "$(cli exists s:1 s:1 s:nope)" "2"
  expect_eq "TYPE string" "$(cli type s:1)" "string"
  expect_eq "TYPE none" "$(cli type s:nope)" "none"
  expect_eq "RENAME" "$(cli rename s:3 s:renamed)" "OK"
  expect_eq "RENAME moved the value" "$(cli get s:renamed)" "x"
  expect_eq "RENAME missing" "$(clin rename s:nope s:x)" "(error) ERR no such key"
  expect_eq "RENAMENX onto an existing key" "$(cli renamenx s:renamed s:1)" "0"
  expect_eq "TOUCH" "$(cli touch s:1 s:renamed s:nope)" "2"
  expect_match "RANDOMKEY returns a key" "$(cli randomkey)" '^[a-z]+:'
  expect_eq "EXPIRE" "$(cli expire s:renamed 100)" "1"
  expect_eq "EXPIRE NX on a volatile key" "$(cli expire s:renamed 200 nx)" "0"
  expect_eq "EXPIRE GT with a larger TTL" "$(cli expire s:renamed 300 gt)" "1"
  expect_eq "EXPIRE LT with a larger TTL" "$(cli expire s:renamed 400 lt)" "0"
  expect_eq "EXPIRE XX on a persistent key" "$(cli expire s:1 10 xx)" "0"
  expect_between "TTL after EXPIRE GT 300" "$(cli ttl s:renamed)" 298 300
  expect_eq "PEXPIRE" "$(cli pexpire s:renamed 150000)" "1"
  expect_between "PTTL" "$(cli pttl s:renamed)" 148000 150000
  expect_eq "EXPIREAT" "$(cli expireat s:renamed $(($(date +%s) + 1000)))" "1"
  expect_eq "PEXPIREAT" "$(cli pexpireat s:renamed $(($(date +%s) * 1000 + 2000000)))" "1"
  expect_eq "PERSIST" "$(cli persist s:renamed)" "1"
  expect_eq "TTL persistent" "$(cli ttl s:renamed)" "-1"
  expect_eq "TTL missing" "$(cli ttl s:nope)" "-2"
  expect_eq "EXPIRETIME persistent" "$(cli expiretime s:renamed)" "-1"
  expect_eq "EXPIRE with a past time deletes" "$(cli expireat s:renamed 1 >/dev/null; cli exists s:renamed)" "0"
}

expiry_happens() {
  expect_eq "SET PX 150" "$(cli set e:short v px 150)" "OK"
  expect_eq "readable before it expires" "$(cli get e:short)" "v"
  sleep 0.4
  expect_eq "gone after 400 ms (GET)" "$(clin get e:short)" "(nil)"
  expect_eq "gone after 400 ms (EXISTS)" "$(cli exists e:short)" "0"
  local before i start reclaimed=0
  before=$(info_field expired_keys stats)
  for i in $(seq 1 50); do echo "SET e:active:$i v PX 100"; done | session >/dev/null
  start=$(date +%s%N)
  for i in $(seq 1 60); do  # never touched: only active expiry can reclaim them (at most 3 s)
    sleep 0.05
    reclaimed=$(( $(info_field expired_keys stats) - before ))
    [ "$reclaimed" -ge 50 ] && break
  done
  expect_between "50 untouched keys reclaimed by active expiry (took $(( ($(date +%s%N) - start) / 1000000 )) ms)" \
    "$reclaimed" 50 1000
  expect_eq "none of them is left" "$(cli --scan --pattern 'e:active:*' | wc -l)" "0"
}

scan_and_keys() {
  local i
  { for i in $(seq 1 300); do echo "SET course:$i c$i"; done
    for i in $(seq 1 100); do echo "SET student:$i s$i"; done; } >"$WORK/load.txt"
  local out
  out=$(timeout 10 redis-cli -p "$P" --pipe <"$WORK/load.txt" 2>&1)
  expect_match "redis-cli --pipe loads 400 keys with no errors" "$out" 'errors: 0, replies: 400'
  seq 1 300 | sed 's/^/course:/' | sort >"$WORK/want.txt"
  timeout 10 redis-cli -p "$P" --scan --pattern 'course:*' | sort >"$WORK/got.txt"
  if cmp -s "$WORK/want.txt" "$WORK/got.txt"; then pass "--scan --pattern 'course:*' returns exactly the 300 keys"
  else fail "--scan --pattern 'course:*'" "$(diff "$WORK/want.txt" "$WORK/got.txt" | head -5)"; fi
  expect_eq "--scan returns every key once" "$(timeout 10 redis-cli -p "$P" --scan | sort | uniq -d | wc -l) $(timeout 10 redis-cli -p "$P" --scan | wc -l)" "0 $(cli dbsize)"
  expect_eq "KEYS 'course:1?'" "$(cli keys 'course:1?' | sort | tr '\n' ' ')" "course:10 course:11 course:12 course:13 course:14 course:15 course:16 course:17 course:18 course:19 "
  expect_eq "KEYS 'student:[^1-8]?'" "$(cli keys 'student:[^1-8]?' | sort | tr '\n' ' ')" "student:90 student:91 student:92 student:93 student:94 student:95 student:96 student:97 student:98 student:99 "
  expect_eq "KEYS with an escaped '*'" "$(cli set 'lit:a*b' 1 >/dev/null; cli keys 'lit:a\*b')" "lit:a*b"
  expect_eq "SCAN 0 MATCH COUNT cursor is a number" "$(cli scan 0 match 'course:*' count 10 | head -1 | grep -cE '^[0-9]+$')" "1"
  local out2
  out2=$(timeout 10 redis-cli -p "$P" --bigkeys 2>&1)
  expect_match "--bigkeys walks the keyspace" "$out2" 'strings with [0-9]+ bytes'
}

info_and_config() {
  local hits misses
  expect_match "INFO server: redis_version" "$(info_field redis_version server)" '^[0-9]+\.[0-9]+\.[0-9]+$'
  expect_eq "INFO server: tcp_port" "$(info_field tcp_port server)" "$P"
  expect_match "INFO clients: connected_clients" "$(info_field connected_clients clients)" '^[1-9][0-9]*$'
  expect_match "INFO memory: used_memory" "$(info_field used_memory memory)" '^[0-9]+$'
  expect_match "INFO memory: maxmemory_policy" "$(info_field maxmemory_policy memory)" '^allkeys-lru$'
  hits=$(info_field keyspace_hits stats)
  misses=$(info_field keyspace_misses stats)
  cli get s:1 >/dev/null
  cli get s:never >/dev/null
  expect_eq "INFO stats: keyspace_hits counts a GET hit" "$(info_field keyspace_hits stats)" "$((hits + 1))"
  expect_eq "INFO stats: keyspace_misses counts a GET miss" "$(info_field keyspace_misses stats)" "$((misses + 1))"
  expect_match "INFO keyspace: db0 line" "$(cli info keyspace | tr -d '\r')" "# Keyspace"$'\n'"db0:keys=$(cli dbsize),expires=[0-9]+,avg_ttl=[0-9]+"
  expect_between "INFO (all sections) has at least 5 sections" "$(cli info | tr -d '\r' | grep -c '^# ')" 5 30
  expect_eq "CONFIG GET save (name, then an empty value)" "$(cli config get save | od -An -c | tr -s ' ')" " s a v e \\n \\n"
  expect_eq "CONFIG GET appendonly" "$(cli config get appendonly)" $'appendonly\nno'
  expect_eq "CONFIG GET unknown is empty" "$(cli config get no-such-param)" ""
  expect_eq "CONFIG SET maxmemory-policy" "$(cli config set maxmemory-policy allkeys-lru)" "OK"
  expect_eq "CONFIG GET maxmemory-policy" "$(cli config get maxmemory-policy | tail -1)" "allkeys-lru"
  expect_eq "CONFIG RESETSTAT" "$(cli config resetstat)" "OK"
  expect_eq "CONFIG RESETSTAT zeroed keyspace_hits" "$(info_field keyspace_hits stats)" "0"
}

connection_family() {
  expect_eq "PING" "$(cli ping)" "PONG"
  expect_eq "PING with a message" "$(cli ping hello)" "hello"
  expect_eq "ECHO" "$(cli echo 'a b')" "a b"
  expect_match "TIME" "$(cli time | tr '\n' ' ')" '^[0-9]{10} [0-9]{1,6} $'
  expect_match "CLIENT ID" "$(cli client id)" '^[0-9]+$'
  expect_eq "CLIENT SETNAME / GETNAME in one session" "$(printf 'CLIENT SETNAME alpha\nCLIENT GETNAME\n' | session)" $'OK\nalpha'
  expect_eq "CLIENT GETNAME on a new connection is nil" "$(clin client getname)" "(nil)"
  expect_match "CLIENT LIST shows the session's own name" "$(printf 'CLIENT SETNAME beta\nCLIENT LIST\n' | session)" 'name=beta '
  expect_match "CLIENT INFO" "$(cli client info)" '^id=[0-9]+ addr=127\.0\.0\.1:[0-9]+ '
  expect_match "CLIENT INFO: the socket's fd, this command's bytes in qbuf, cmd=client|info" "$(cli client info)" \
    ' fd=[1-9][0-9]* .* multi=-1 watch=0 qbuf=26 qbuf-free=[0-9]+ argv-mem=10 .* cmd=client\|info user=default '
  expect_eq "SELECT 0" "$(cli select 0)" "OK"
  expect_eq "SELECT 1 is out of range" "$(clin select 1)" "(error) ERR DB index is out of range"
  expect_eq "redis-cli -n 1 says why and goes on" "$(timeout 5 redis-cli -p "$P" -n 1 ping 2>&1)" $'SELECT 1 failed: ERR DB index is out of range\nPONG'
  expect_eq "AUTH without a configured password" "$(clin auth x)" \
    "(error) ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
  expect_eq "redis-cli -a reports the AUTH error and goes on" "$(timeout 5 redis-cli -p "$P" -a x ping 2>&1 | grep -v '^Warning')" \
    $'AUTH failed: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\nPONG'
  expect_match "COMMAND COUNT" "$(cli command count)" '^[5-9][0-9]$|^[1-9][0-9]{2}$'
  expect_match "COMMAND INFO get" "$(cli command info get | head -1)" '^get$'
  expect_match "COMMAND DOCS get" "$(cli command docs get | head -1)" '^get$'
  expect_eq "unknown command" "$(clin nosuchcmd a b)" "(error) ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b' "
  expect_eq "wrong arity" "$(clin get)" "(error) ERR wrong number of arguments for 'get' command"
}

# open_victim NAME: another redis-cli connection, fed through a fifo on fd 7, named NAME;
# sets VPID and VLINE (its CLIENT LIST line).
open_victim() {
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  timeout 15 redis-cli -p "$P" <"$WORK/fifo" >"$WORK/$1.out" 2>&1 &
  VPID=$!
  exec 7>"$WORK/fifo"
  echo "CLIENT SETNAME $1" >&7
  VLINE=""
  for _ in $(seq 1 60); do VLINE=$(cli client list | grep "name=$1 "); [ -n "$VLINE" ] && break; sleep 0.05; done
}
close_victim() { exec 7>&-; wait "$VPID"; }
listed() {  # listed NAME: prints how many CLIENT LIST lines have name=NAME, after waiting for 0
  local n
  for _ in $(seq 1 60); do n=$(cli client list | grep -c "name=$1 "); [ "$n" = 0 ] && break; sleep 0.05; done
  echo "$n"
}

client_kill_another() {
  local addr id
  open_victim victim
  expect_match "CLIENT LIST shows another connection" "$VLINE" 'name=victim '
  addr=$(echo "$VLINE" | sed -E 's/.* addr=([^ ]+) .*/\1/')
  id=$(echo "$VLINE" | sed -E 's/^id=([0-9]+) .*/\1/')
  expect_eq "CLIENT KILL addr (old form)" "$(cli client kill "$addr")" "OK"
  expect_eq "the killed connection is gone from CLIENT LIST" "$(listed victim)" "0"
  expect_eq "CLIENT KILL ID of a gone client" "$(cli client kill id "$id")" "0"
  echo "PING" >&7
  close_victim
  expect_eq "the victim's redis-cli saw the server close" "$(cat "$WORK/victim.out")" $'OK\nError: Server closed the connection'
  open_victim victim2
  id=$(echo "$VLINE" | sed -E 's/^id=([0-9]+) .*/\1/')
  expect_eq "CLIENT KILL ID of a live client" "$(cli client kill id "$id")" "1"
  expect_eq "killed by ID: gone from CLIENT LIST" "$(listed victim2)" "0"
  close_victim
}

transactions() {
  expect_eq "MULTI/EXEC in a piped session" "$(printf 'MULTI\nSET tx:a 1\nINCR tx:a\nEXEC\n' | session)" $'OK\nQUEUED\nQUEUED\nOK\n2'
  expect_eq "DISCARD" "$(printf 'MULTI\nSET tx:b 1\nDISCARD\nEXISTS tx:b\n' | session)" $'OK\nQUEUED\nOK\n0'
  expect_eq "queued error aborts EXEC" "$(printf 'MULTI\nSET tx:c 1\nGET\nEXEC\nEXISTS tx:c\n' | timeout 5 redis-cli -p "$P" --no-raw)" \
    $'OK\nQUEUED\n(error) ERR wrong number of arguments for \'get\' command\n(error) EXECABORT Transaction discarded because of previous errors.\n(integer) 0'
  expect_eq "EXEC without MULTI" "$(clin exec)" "(error) ERR EXEC without MULTI"
}

resp3() {
  local hello
  hello=$(timeout 5 redis-cli -p "$P" -3 --no-raw hello 3)
  expect_match "redis-cli -3: HELLO 3 map has proto 3" "$hello" '"proto" => \(integer\) 3'
  expect_match "redis-cli -3: HELLO 3 map has server" "$hello" '^1# "server" => "redis"'
  expect_eq "redis-cli -3: CONFIG GET is a map" "$(timeout 5 redis-cli -p "$P" -3 --no-raw config get save)" '1# "save" => ""'
  expect_eq "redis-cli -3: nil" "$(timeout 5 redis-cli -p "$P" -3 --no-raw get s:never)" "(nil)"
  expect_eq "redis-cli -3: GET" "$(timeout 5 redis-cli -p "$P" -3 get s:1)" "v3"
  expect_match "redis-cli -3: INFO keyspace (verbatim)" "$(timeout 5 redis-cli -p "$P" -3 info keyspace | tr -d '\r')" $'^# Keyspace\ndb0:keys='
}

benchmark() {
  local out errs n keys bad sum
  cli flushall >/dev/null
  out=$(timeout 120 redis-benchmark -p "$P" -t set,get,incr,mset -P 16 -n 20000 -r 1000 -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^ *$')
  echo "$out"
  errs=$(echo "$out" | grep -ciE 'err|warn')
  expect_eq "redis-benchmark -t set,get,incr,mset -P 16: no error lines" "$errs" "0"
  for n in SET GET INCR 'MSET (10 keys)'; do
    expect_match "redis-benchmark ran $n" "$out" "$(printf '%s' "$n" | sed 's/[()]/\\&/g'): [0-9.]+ requests per second"
  done
  timeout 10 redis-cli -p "$P" --scan --pattern 'key:*' >"$WORK/keys.txt"
  keys=$(wc -l <"$WORK/keys.txt")
  expect_between "benchmark wrote key:* keys (at most -r 1000)" "$keys" 500 1000
  expect_eq "every key is key:<12 digits>" "$(grep -cvE '^key:[0-9]{12}$' "$WORK/keys.txt")" "0"
  bad=$( (echo -n "MGET "; head -200 "$WORK/keys.txt" | tr '\n' ' ') | session | grep -cvx VXK)
  expect_eq "200 of them read back the benchmark's value VXK" "$bad" "0"
  timeout 10 redis-cli -p "$P" --scan --pattern 'counter:*' >"$WORK/counters.txt"
  sum=$( (echo -n "MGET "; tr '\n' ' ' <"$WORK/counters.txt") | session | awk '{s += $1} END {print s}')
  expect_eq "the INCR counters add up to the 20000 INCRs sent" "$sum" "20000"
  out=$(timeout 60 redis-benchmark -p "$P" -t ping -n 5000 -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^ *$')
  echo "$out"
  expect_match "redis-benchmark PING_INLINE (inline command)" "$out" 'PING_INLINE: [0-9.]+ requests per second'
  expect_match "redis-benchmark PING_MBULK" "$out" 'PING_MBULK: [0-9.]+ requests per second'
  expect_eq "redis-benchmark -t ping: no error lines" "$(echo "$out" | grep -ciE 'err|warn')" "0"
  out=$(timeout 60 redis-benchmark -p "$P" -3 -t set,get -n 5000 -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^ *$')
  expect_match "redis-benchmark -3 (HELLO 3 prefix; an error would be fatal)" "$out" 'GET: [0-9.]+ requests per second'
  expect_eq "redis-benchmark -3: no error lines" "$(echo "$out" | grep -ciE 'err|warn')" "0"
}

# The command table's introspection and subcommand errors, next to redis-server 7.0.15 with the
# same redis-cli on RESP2 and RESP3 (-3): the same output, byte for byte.
command_table_vs_redis() {
  local sc_pid=$SC_PID sc_port=$SC_PORT ref c
  SHARDCACHED="$(dirname "$0")/redis_reference.sh" start_daemon || { fail "redis-server 7.0.15 starts"; return; }
  ref=$SC_PORT
  SC_PID=$sc_pid SC_PORT=$sc_port
  while IFS= read -r c; do
    # shellcheck disable=SC2086
    expect_eq "redis-cli $c: as redis-server 7.0.15" "$(cli $c 2>&1)" "$(timeout 5 redis-cli -p "$ref" $c 2>&1)"
    # shellcheck disable=SC2086
    expect_eq "redis-cli -3 $c: as redis-server 7.0.15" "$(clin -3 $c 2>&1)" "$(timeout 5 redis-cli -p "$ref" --no-raw -3 $c 2>&1)"
  done <<'EOF2'
COMMAND INFO get set mset rename ttl keys watch multi exec shutdown
COMMAND INFO client|list client|kill client|reply config|get config|set memory|usage command|getkeys
COMMAND GETKEYS mset a 1 b 2
COMMAND GETKEYSANDFLAGS rename a b
COMMAND GETKEYSANDFLAGS set a b get
COMMAND GETKEYS get a b
COMMAND GETKEYS nosuch a
COMMAND GETKEYS client list
COMMAND LIST FILTERBY MODULE x
COMMAND LIST FILTERBY bad x
CLIENT NOSUCH
CLIENT KILL
CLIENT REPLY bad
CONFIG GET
MEMORY USAGE
EOF2
  expect_eq "COMMAND LIST FILTERBY ACLCAT transaction: as redis-server 7.0.15" \
    "$(cli command list filterby aclcat transaction | sort)" "$(timeout 5 redis-cli -p "$ref" command list filterby aclcat transaction | sort)"
  c=$'CLIENT REPLY SKIP\nSET cr:k 1\nGET cr:k\nCLIENT REPLY OFF\nPING\nCLIENT REPLY ON\nPING\n'
  expect_eq "CLIENT REPLY SKIP/OFF/ON in a redis-cli session: as redis-server 7.0.15" \
    "$(printf '%s' "$c" | session 2>&1)" "$(printf '%s' "$c" | timeout 5 redis-cli -p "$ref" 2>&1)"
  c=$'MULTI\nSET tx:k 1\nSHUTDOWN\nEXEC\n'
  expect_eq "SHUTDOWN inside MULTI refused, EXECABORT: as redis-server 7.0.15" \
    "$(printf '%s' "$c" | session 2>&1)" "$(printf '%s' "$c" | timeout 5 redis-cli -p "$ref" 2>&1)"
  expect_eq "SHUTDOWN inside MULTI: the daemon still runs" "$(cli ping)" "PONG"
  stop_daemon "${IT_PIDS[-1]}"
}

command_table_vs_redis
strings_basic
strings_numbers_ranges
strings_expiry_options
keys_family
expiry_happens
scan_and_keys
info_and_config
connection_family
client_kill_another
transactions
resp3
benchmark
expect_eq "FLUSHDB" "$(cli flushdb)" "OK"
expect_eq "DBSIZE after FLUSHDB" "$(cli dbsize)" "0"
kill -0 "$SC_PID" 2>/dev/null && pass "daemon still running at the end" || fail "daemon still running at the end"
finish
