"""tests/integration/upstash/rest_rows_check.py HTTP_PORT TOKEN: every row of the command table
that REST allows is run over REST. Against a daemon that gets REST traffic only, it sends one
call per row (SAMPLES below: each must answer 200 or 400 with a result or a Redis error, never
404/500), then reads /metrics: every row COMMAND LIST names must show a call, except the rows
REST refuses (no_rest: their refusal is checked instead) and commands made only of subcommands
(arity -2 with subcommands: the call lands on a subcommand row). A row without a sample fails.
Prints ok/FAIL lines and "N passed, N failed"."""
import json
import os
import re
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, summary  # noqa: E402  (tests/integration/checks.py)

port, token = int(sys.argv[1]), sys.argv[2]
base = "http://127.0.0.1:%d" % port


def call(args):
    req = urllib.request.Request(base + "/", data=json.dumps(args).encode(),
                                 headers={"Authorization": "Bearer " + token}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


# One REST call per row; CONFIG RESETSTAT first (it zeroes the counters), SHUTDOWN with a bad
# argument (its handler runs and refuses). Rows of the RESP-only kind are listed too: their
# refusal is what is checked.
SAMPLES = {
    "config|resetstat": ["CONFIG", "RESETSTAT"],
    "set": ["SET", "k", "1"], "get": ["GET", "k"], "setnx": ["SETNX", "k2", "1"], "setex": ["SETEX", "k3", "10", "v"],
    "psetex": ["PSETEX", "k4", "10000", "v"], "getset": ["GETSET", "k", "2"], "getdel": ["GETDEL", "k4"],
    "getex": ["GETEX", "k"], "mget": ["MGET", "k", "k2"], "mset": ["MSET", "a", "1", "b", "2"],
    "msetnx": ["MSETNX", "c", "1"], "incr": ["INCR", "n"], "decr": ["DECR", "n"], "incrby": ["INCRBY", "n", "2"],
    "decrby": ["DECRBY", "n", "2"], "incrbyfloat": ["INCRBYFLOAT", "f", "1.5"], "append": ["APPEND", "s", "x"],
    "strlen": ["STRLEN", "s"], "getrange": ["GETRANGE", "s", "0", "1"], "setrange": ["SETRANGE", "s", "0", "y"],
    "del": ["DEL", "c"], "unlink": ["UNLINK", "b"], "exists": ["EXISTS", "a"], "touch": ["TOUCH", "a"],
    "type": ["TYPE", "a"], "expire": ["EXPIRE", "a", "100"], "pexpire": ["PEXPIRE", "a", "100000"],
    "expireat": ["EXPIREAT", "a", "4000000000"], "pexpireat": ["PEXPIREAT", "a", "4000000000000"],
    "ttl": ["TTL", "a"], "pttl": ["PTTL", "a"], "expiretime": ["EXPIRETIME", "a"], "pexpiretime": ["PEXPIRETIME", "a"],
    "persist": ["PERSIST", "a"], "keys": ["KEYS", "*"], "scan": ["SCAN", "0"], "randomkey": ["RANDOMKEY"],
    "rename": ["RENAME", "a", "a2"], "renamenx": ["RENAMENX", "a2", "a3"], "dbsize": ["DBSIZE"],
    "invalidate": ["INVALIDATE", "nothing:*"], "invalidatetag": ["INVALIDATETAG", "notag"],
    "ping": ["PING"], "echo": ["ECHO", "x"], "select": ["SELECT", "0"], "auth": ["AUTH", token],
    "hello": ["HELLO", "2"], "quit": ["QUIT"], "reset": ["RESET"],
    "client|id": ["CLIENT", "ID"], "client|getname": ["CLIENT", "GETNAME"], "client|setname": ["CLIENT", "SETNAME", "r"],
    "client|setinfo": ["CLIENT", "SETINFO", "lib-name", "py"], "client|info": ["CLIENT", "INFO"],
    "client|list": ["CLIENT", "LIST"], "client|kill": ["CLIENT", "KILL", "ID", "999999"],
    "client|no-evict": ["CLIENT", "NO-EVICT", "off"], "client|reply": ["CLIENT", "REPLY", "ON"],
    "client|help": ["CLIENT", "HELP"],
    "client|tracking": ["CLIENT", "TRACKING", "on"], "client|caching": ["CLIENT", "CACHING", "yes"],
    "client|getredir": ["CLIENT", "GETREDIR"], "client|trackinginfo": ["CLIENT", "TRACKINGINFO"],
    "subscribe": ["SUBSCRIBE", "__redis__:invalidate"], "unsubscribe": ["UNSUBSCRIBE"],
    "config|get": ["CONFIG", "GET", "maxmemory"], "config|set": ["CONFIG", "SET", "hz", "10"],
    "config|rewrite": ["CONFIG", "REWRITE"], "config|help": ["CONFIG", "HELP"],
    "command": ["COMMAND"], "command|count": ["COMMAND", "COUNT"], "command|list": ["COMMAND", "LIST"],
    "command|info": ["COMMAND", "INFO", "get"], "command|docs": ["COMMAND", "DOCS", "get"],
    "command|getkeys": ["COMMAND", "GETKEYS", "get", "k"], "command|getkeysandflags": ["COMMAND", "GETKEYSANDFLAGS", "get", "k"],
    "command|help": ["COMMAND", "HELP"],
    "memory|usage": ["MEMORY", "USAGE", "k"], "memory|stats": ["MEMORY", "STATS"], "memory|doctor": ["MEMORY", "DOCTOR"],
    "memory|malloc-stats": ["MEMORY", "MALLOC-STATS"], "memory|purge": ["MEMORY", "PURGE"],
    "memory|help": ["MEMORY", "HELP"],
    "info": ["INFO", "server"], "time": ["TIME"], "lastsave": ["LASTSAVE"], "save": ["SAVE"],
    "bgsave": ["BGSAVE", "bogus"], "flushdb": ["FLUSHDB", "bogus"], "flushall": ["FLUSHALL", "bogus"],
    "multi": ["MULTI"], "exec": ["EXEC"], "discard": ["DISCARD"], "watch": ["WATCH", "k"], "unwatch": ["UNWATCH"],
    "shutdown": ["SHUTDOWN", "bogus"],
    "slowlog|get": ["SLOWLOG", "GET", "1"], "slowlog|len": ["SLOWLOG", "LEN"], "slowlog|reset": ["SLOWLOG", "RESET"],
    "slowlog|help": ["SLOWLOG", "HELP"], "latency|doctor": ["LATENCY", "DOCTOR"],
    "latency|history": ["LATENCY", "HISTORY", "command"], "latency|latest": ["LATENCY", "LATEST"], "latency|graph": ["LATENCY", "GRAPH", "command"],
    "latency|reset": ["LATENCY", "RESET"], "latency|histogram": ["LATENCY", "HISTOGRAM", "get"],
    "latency|help": ["LATENCY", "HELP"],
    # Cluster mode is off here: each answers "This instance has cluster support disabled".
    "cluster|info": ["CLUSTER", "INFO"], "cluster|slots": ["CLUSTER", "SLOTS"], "cluster|shards": ["CLUSTER", "SHARDS"],
    "cluster|nodes": ["CLUSTER", "NODES"], "cluster|myid": ["CLUSTER", "MYID"], "cluster|keyslot": ["CLUSTER", "KEYSLOT", "k"],
    "cluster|countkeysinslot": ["CLUSTER", "COUNTKEYSINSLOT", "1"],
    "cluster|getkeysinslot": ["CLUSTER", "GETKEYSINSLOT", "1", "1"],
    "cluster|count-failure-reports": ["CLUSTER", "COUNT-FAILURE-REPORTS", "x"], "cluster|help": ["CLUSTER", "HELP"],
    "asking": ["ASKING"], "readonly": ["READONLY"], "readwrite": ["READWRITE"],
}

refused = set()
for row, args in SAMPLES.items():
    status, body = call(args)
    if "not supported over REST" in str(body.get("error", "")):
        refused.add(row)
    check("REST %s answers with a result or a Redis error" % row,
          status in (200, 400) and ("result" in body or "error" in body), "%d %r" % (status, body))

status, body = call(["COMMAND", "LIST"])
rows = body.get("result", [])
check("COMMAND LIST over REST", status == 200 and "client|list" in rows, repr(body)[:200])
containers = set()
for name in rows:
    if "|" in name:
        continue
    status, info = call(["COMMAND", "INFO", name])
    spec = info["result"][0]
    if spec[1] == -2 and spec[9]:
        containers.add(name)
with urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer " + token}),
                            timeout=10) as r:
    metrics = r.read().decode()
counts = {m.group(1): int(float(m.group(2)))
          for m in re.finditer(r'^shardcache_commands_total\{cmd="([^"]+)"\} (\S+)$', metrics, re.M)}
for name in sorted(rows):
    if name in containers:
        continue
    if name not in SAMPLES:
        check("row %s has a REST sample" % name, False)
    elif name in refused:
        check("row %s is refused over REST (no_rest) and never ran" % name, counts.get(name, 0) == 0, str(counts.get(name)))
    else:
        check("row %s ran over REST (per-command stats)" % name, counts.get(name, 0) > 0, str(counts.get(name)))
check("the REST-refused rows are exactly the no_rest ones",
      sorted(refused) == ["client|caching", "client|reply", "client|tracking", "discard", "exec", "multi", "subscribe",
                         "unsubscribe", "unwatch", "watch"], str(sorted(refused)))
sys.exit(summary())
