# tests/integration/suite_invalidation.sh: INVALIDATE, INVALIDATETAG and SET ... TAGS against the
# built daemon with redis-cli (every pattern form, the LMS's events, INFO counters, the classic
# SCAN + UNLINK way) and redis-py on several connections (tests/integration/invalidation_clients.py:
# concurrent writers during a large call, ordering, pipelining, disconnects, others' latency).
source "$(dirname "$0")/lib.sh"
start_daemon --threads 2 || { fail "daemon starts"; finish; exit 1; }
cli() { timeout 10 redis-cli -p "$SC_PORT" "$@"; }

# The LMS's keys, a little of each.
for c in 1 2 3 42; do
  cli set "course:$c" d >/dev/null
  cli mset "course:$c:students" s "course:$c:lessons" l "course:$c:stats" x >/dev/null
done
cli mset student:7:profile p student:7:dashboard d student:8:dashboard d analytics:revenue r analytics:platform p \
  courses:active a 'odd*key' o 'odd?key' o >/dev/null

# course updated -> course:{id} and course:{id}:*
expect_eq "course event removes the course and its lists" "$(cli invalidate course:42 'course:42:*')" "4"
expect_eq "other courses untouched" "$(cli exists course:1 course:1:students course:4)" "2"
# payment -> student:{uid}:* and analytics:*
expect_eq "payment event" "$(cli invalidate 'student:7:*' 'analytics:*')" "4"
expect_eq "other student untouched" "$(cli get student:8:dashboard)" "d"
expect_eq "glob with a class" "$(cli invalidate 'course:[0-2]:students')" "2"
expect_eq "leading wildcard" "$(cli invalidate '*:lessons')" "3"
expect_eq "escaped star matches the literal key only" "$(cli invalidate 'odd\*key')" "1"
expect_eq "question mark" "$(cli invalidate 'odd?key')" "1"
expect_eq "nothing matches" "$(cli invalidate 'nope:*')" "0"
expect_eq "arity error" "$(cli invalidate 2>&1)" "ERR wrong number of arguments for 'invalidate' command"

# Tags: a dashboard depends on several courses.
cli set dash:student:7 v ex 300 tags course:1 course:2 >/dev/null
cli set dash:student:8 v tags course:2 >/dev/null
cli set dash:student:9 v tags course:3 >/dev/null
expect_eq "SET with TAGS keeps its TTL" "$(cli ttl dash:student:7)" "300"
expect_eq "TAGS needs a tag" "$(cli set x v tags 2>&1)" "ERR syntax error"
expect_eq "INVALIDATETAG course:2" "$(cli invalidatetag course:2)" "2"
expect_eq "the other dashboard stays" "$(cli get dash:student:9)" "v"
cli set dash:student:9 v2 >/dev/null
expect_eq "an overwrite drops the tags" "$(cli invalidatetag course:3)" "0"
expect_eq "INFO invalidated_keys" "$(cli info stats | tr -d '\r' | grep '^invalidated_keys:')" "invalidated_keys:17"
expect_eq "INFO invalidation_calls" "$(cli info stats | tr -d '\r' | grep '^invalidation_calls:')" "invalidation_calls:9"
expect_eq "COMMAND DOCS has the summary and group" \
  "$(cli command docs invalidate | grep -cE '^(Atomically removes every key matching|invalidation)')" "2"

# The classic way still works too.
cli mset course:5:a 1 course:5:b 2 keep 3 >/dev/null
cli --scan --pattern 'course:5:*' | xargs timeout 10 redis-cli -p "$SC_PORT" unlink >/dev/null
expect_eq "redis-cli --scan | xargs redis-cli unlink" "$(cli exists course:5:a course:5:b keep)" "1"

# Over REST a large INVALIDATE also replies in slices; requests pipelined behind it on the same
# keep-alive connection are answered after it, in order.
out=$(timeout 120 $PY - "$SC_PORT" "$SC_HTTP_PORT" <<'PYEOF'
import socket, sys, time
import redis
port, http_port = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(port=port, socket_timeout=10)
pipe = r.pipeline(transaction=False)
for i in range(200000):
    pipe.set(f"rest:big:{i}", "v")
    if i % 10000 == 9999:
        pipe.execute()
r.set("rest:keep", "k")
def req(method, path, body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
s = socket.create_connection(("127.0.0.1", http_port), timeout=30)
s.sendall(req("POST", "/", b'["invalidate","rest:big:*"]') + req("GET", "/get/rest:keep") +
          req("POST", "/pipeline", b'[["exists","rest:keep","rest:big:199999"],["exists","rest:big:7"]]'))
data, deadline = b"", time.monotonic() + 60
while data.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
bodies = [part.split(b"\r\n\r\n", 1)[1].split(b"HTTP/1.1")[0] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
print("bodies", b" ".join(bodies).decode())
PYEOF
)
echo "$out"
expect_eq "REST INVALIDATE of 200k keys, then pipelined requests in order" "$(echo "$out" | grep '^bodies')" \
  'bodies {"result":200000} {"result":"k"} [{"result":1},{"result":0}]'

# Several connections at once.
out=$(timeout 300 $PY "$(dirname "$0")/invalidation_clients.py" "$SC_PORT" 2>&1)
echo "$out"
add_counts "$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)"
kill -0 "$SC_PID" 2>/dev/null && pass "daemon alive after the client tests" || fail "daemon alive after the client tests"
finish
