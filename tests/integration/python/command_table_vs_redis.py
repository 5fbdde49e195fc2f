"""tests/integration/python/command_table_vs_redis.py: the command table's introspection through
redis-py (Debian python3-redis), against shardcached (SC_PORT) and redis-server 7.0.15 (REF_PORT):
COMMAND INFO (rows, subcommand rows, nested subcommands, key specs), COMMAND GETKEYS /
GETKEYSANDFLAGS, COMMAND LIST FILTERBY, COMMAND DOCS (fields, arguments, history), subcommand errors, CLIENT NO-EVICT /
CLIENT INFO flags and CLIENT REPLY, compared reply for reply. Prints ok/FAIL lines and
"N passed, N failed"."""
import os
import sys
import socket
import redis

sc = redis.Redis(host="127.0.0.1", port=int(os.environ["SC_PORT"]), socket_timeout=5)
ref = redis.Redis(host="127.0.0.1", port=int(os.environ["REF_PORT"]), socket_timeout=5)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Versus, summary  # noqa: E402  (tests/integration/checks.py)
from checks import check_eq as check  # noqa: E402

versus = Versus(sc, ref, redis.ResponseError)
both, same = versus.both, versus.same


# Rows whose flags, categories, tips and key specs follow Redis 7.0.15 exactly.
for cmd in ["get", "set", "mset", "msetnx", "rename", "renamenx", "del", "ttl", "keys", "scan", "watch", "multi",
            "exec", "getex", "incrbyfloat", "expire", "flushall", "info", "shutdown", "save", "lastsave", "ping",
            "hello", "client|list", "client|kill", "client|reply", "client|no-evict", "client|info", "config|get",
            "config|set", "memory|usage", "memory|stats", "command|getkeys", "command|list", "command|count",
            "asking", "readonly", "readwrite", "cluster|keyslot", "cluster|slots"]:
    same("COMMAND INFO " + cmd, "COMMAND INFO", cmd)
same("COMMAND INFO nosuch is nil", "COMMAND INFO", "nosuchcmd")

# A container row: its own fields and, nested, each subcommand we have as Redis has it.
def container(name):
    got, want = both("COMMAND INFO", name)
    check("COMMAND INFO %s: first 9 elements" % name, got[0][:9], want[0][:9])
    ref_subs = {s[0]: s for s in want[0][9]}
    for s in got[0][9]:
        if s[0] == b"client|setinfo":  # Redis 7.2's, not in 7.0.15
            continue
        check("COMMAND INFO %s nests %s as Redis" % (name, s[0].decode()), s, ref_subs.get(s[0]))


for c in ["client", "config", "command", "memory", "cluster"]:
    container(c)

same("COMMAND GETKEYS mset", "COMMAND GETKEYS", "mset", "a", "1", "b", "2")
same("COMMAND GETKEYS memory usage", "COMMAND GETKEYS", "memory", "usage", "k")
same("COMMAND GETKEYS set ... get", "COMMAND GETKEYS", "set", "k", "v", "get")
same("COMMAND GETKEYSANDFLAGS rename", "COMMAND GETKEYSANDFLAGS", "rename", "a", "b")
same("COMMAND GETKEYSANDFLAGS set (variable flags: OW)", "COMMAND GETKEYSANDFLAGS", "set", "a", "b")
same("COMMAND GETKEYSANDFLAGS set ... GET (variable flags: RW)", "COMMAND GETKEYSANDFLAGS", "set", "a", "b", "get")
same("COMMAND GETKEYS: wrong number of arguments", "COMMAND GETKEYS", "get", "a", "b")
same("COMMAND GETKEYS: unknown command", "COMMAND GETKEYS", "nosuch", "a")
same("COMMAND GETKEYS: unknown subcommand", "COMMAND GETKEYS", "client", "nosuch")
same("COMMAND GETKEYS: no keys", "COMMAND GETKEYS", "client", "list")
same("COMMAND GETKEYS: arity", "COMMAND GETKEYS", "get")
same("COMMAND LIST FILTERBY ACLCAT transaction", "COMMAND LIST", "FILTERBY", "ACLCAT", "transaction", transform=sorted)
same("COMMAND LIST FILTERBY PATTERN config*", "COMMAND LIST", "FILTERBY", "PATTERN", "config*", transform=sorted)
same("COMMAND LIST FILTERBY MODULE", "COMMAND LIST", "FILTERBY", "MODULE", "x")
same("COMMAND LIST FILTERBY bad", "COMMAND LIST", "FILTERBY", "bad", "x")
same("COMMAND LIST extra argument", "COMMAND LIST", "x")
ours = set(sc.execute_command("COMMAND LIST"))
theirs = set(ref.execute_command("COMMAND LIST"))
check("COMMAND LIST: every Redis row we have is named as Redis names it (client|list ...)",
      sorted(n for n in ours if n not in theirs), [b"client|setinfo", b"invalidate", b"invalidatetag"])


def docs_map(reply):
    """COMMAND DOCS' reply as {row: {field: value}}, subcommand rows flattened in."""
    out = {}
    for i in range(0, len(reply), 2):
        fields = reply[i + 1]
        d = {fields[j]: fields[j + 1] for j in range(0, len(fields), 2)}
        subs = d.get(b"subcommands")
        out[reply[i]] = d
        if subs:
            out.update(docs_map(subs))
    return out


# COMMAND DOCS: every row Redis has carries Redis's fields, arguments, history and doc flags
# (summaries are shardcache's own words; SET's TAGS is shardcache's, after Redis's arguments).
sc_docs, ref_docs = docs_map(sc.execute_command("COMMAND DOCS")), docs_map(ref.execute_command("COMMAND DOCS"))
check("COMMAND DOCS: a map entry for every row", sorted(sc_docs), sorted(ours))
REDIS_DOC_FIELDS = (b"doc_flags", b"deprecated_since", b"replaced_by", b"history", b"arguments")
for name in sorted(sc_docs):
    if name in (b"client|setinfo", b"invalidate", b"invalidatetag"):
        continue
    got = {k: v for k, v in sc_docs[name].items() if k in REDIS_DOC_FIELDS}
    want = {k: v for k, v in ref_docs.get(name, {}).items() if k in REDIS_DOC_FIELDS}
    if name == b"set":
        check("COMMAND DOCS set: TAGS after Redis's arguments", got[b"arguments"][-1][:4], [b"name", b"tags", b"type", b"block"])
        got[b"arguments"] = got[b"arguments"][:-1]
    check("COMMAND DOCS %s: Redis's field names" % name.decode(), sorted(sc_docs[name]), sorted(ref_docs.get(name, {})))
    check("COMMAND DOCS %s: arguments, history and doc flags as Redis" % name.decode(), got, want)
for name in (b"invalidate", b"invalidatetag"):
    args = sc_docs[name].get(b"arguments", [])
    check("COMMAND DOCS %s: one multiple argument" % name.decode(), [a[a.index(b"flags") + 1] for a in args],
          [[b"multiple"]])
for args in [("CLIENT", "NOSUCH"), ("CLIENT", "KILL"), ("CLIENT",), ("CONFIG", "GET"), ("CLIENT", "REPLY", "bad"),
             ("CLIENT", "NO-EVICT", "maybe"), ("MEMORY", "USAGE"), ("COMMAND", "COUNT", "x"), ("config", "nosuch"),
             ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "ID"),
             ("CLIENT", "LIST", "TYPE", "normal", "x"), ("CLIENT", "LIST", "bad"), ("CLIENT", "LIST", "TYPE", "pubsub"),
             ("CLIENT", "LIST", "TYPE", "replica"), ("CLIENT", "LIST", "ID", "999999")]:
    same("error text: " + " ".join(args), *args)
for r in (sc, ref):
    r.execute_command("CLIENT NO-EVICT", "on")
flags = [r.execute_command("CLIENT INFO")["flags"] for r in (sc, ref)]  # redis-py parses it into a dict
check("CLIENT NO-EVICT on: CLIENT INFO flags", flags[0], flags[1])
for r, label in ((sc, "shardcached"), (ref, "redis-server")):
    me = r.execute_command("CLIENT ID")
    listed = r.execute_command("CLIENT LIST", "ID", str(me), "999999", str(me))
    check("CLIENT LIST ID me 999999 me on %s: my line twice" % label, [c["id"] for c in listed], [str(me)] * 2)
    normal = r.execute_command("CLIENT LIST", "TYPE", "normal")
    check("CLIENT LIST TYPE normal on %s: every client" % label, len(normal), len(r.execute_command("CLIENT LIST")))
help_got, help_want = both("CLIENT", "HELP")
check("CLIENT HELP: Redis's header and last lines", help_got[:1] + help_got[-2:], help_want[:1] + help_want[-2:])


def reply_session(port):
    """CLIENT REPLY on a raw connection: what comes back for SKIP, OFF, ON, and OFF inside EXEC
    (Redis writes EXEC's array header, then holds back the rest)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"CLIENT REPLY SKIP\r\nSET k 1\r\nGET k\r\nCLIENT REPLY OFF\r\nPING\r\nNOSUCH\r\n"
              b"CLIENT REPLY ON\r\nMULTI\r\nCLIENT REPLY OFF\r\nPING\r\nEXEC\r\nCLIENT REPLY ON\r\nPING\r\n")
    data = b""
    while data.count(b"+PONG\r\n") < 1 and len(data) < 1000:
        chunk = s.recv(1000)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


check("CLIENT REPLY SKIP / OFF / ON: the same bytes", reply_session(sc.connection_pool.connection_kwargs["port"]),
      reply_session(ref.connection_pool.connection_kwargs["port"]))
summary()
