"""tests/integration/python/introspection_vs_redis.py: SLOWLOG, LATENCY and the INFO sections
commandstats / latencystats / errorstats / cpu of shardcached (SC_PORT) against redis-server
7.0.15 (REF_PORT), through redis-py (Debian python3-redis) and a small RESP2/RESP3 reader of its
own (to see map vs array, which redis-py hides): the same reply shapes, field names and error
texts. Prints ok/FAIL lines and "N passed, N failed"."""
import os
import sys
import re
import socket

import redis

SC_PORT, REF_PORT = int(os.environ["SC_PORT"]), int(os.environ["REF_PORT"])
sc = redis.Redis(host="127.0.0.1", port=SC_PORT, socket_timeout=10)
ref = redis.Redis(host="127.0.0.1", port=REF_PORT, socket_timeout=10)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import Versus, summary  # noqa: E402  (tests/integration/checks.py)
from checks import check_eq as check  # noqa: E402

versus = Versus(sc, ref, redis.ResponseError)
both, same = versus.both, versus.same


class Raw:
    """A RESP2/RESP3 connection whose replies keep their type: ("map", [(k, v)]), ("array", [...]),
    ("int", n), ("bulk", b), ("simple", s), ("error", s), ("verbatim", s), ("null", None)."""

    def __init__(self, port, proto):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
        if proto == 3:
            self.call("HELLO", "3")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return ("simple", rest.decode())
        if t == b"-":
            return ("error", rest.decode())
        if t == b":":
            return ("int", int(rest))
        if t == b"$":
            n = int(rest)
            if n < 0:
                return ("null", None)
            data = self.f.read(n + 2)[:-2]
            return ("bulk", data)
        if t == b"=":
            data = self.f.read(int(rest) + 2)[:-2]
            return ("verbatim", data[4:].decode())
        if t == b"_":
            return ("null", None)
        if t in (b"*", b"~"):
            n = int(rest)
            return ("array", None) if n < 0 else ("array", [self.read() for _ in range(n)])
        if t == b"%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        raise ValueError("unexpected reply %r" % line)


def shape(v):
    """The reply's types, not its values (lists of equal element shapes collapse to one)."""
    kind, val = v
    if kind == "array" and val is not None:
        shapes = []
        for e in val:
            s = shape(e)
            if s not in shapes:
                shapes.append(s)
        return ("array", tuple(shapes))
    if kind == "map":
        keys = []
        for k, e in val:
            s = (k[1] if k[0] in ("bulk", "simple") else k[0], shape(e))
            if s not in keys:
                keys.append(s)
        return ("map", tuple(keys))
    if kind == "error":
        return ("error", val)
    return kind


raw = {p: {v: Raw(port, v) for v in (2, 3)} for p, port in (("sc", SC_PORT), ("ref", REF_PORT))}


def raw_both(proto, *args):
    return raw["sc"][proto].call(*args), raw["ref"][proto].call(*args)


for r in (sc, ref):
    r.config_set("slowlog-log-slower-than", 0)
    r.config_set("latency-monitor-threshold", 0)
    r.execute_command("SLOWLOG", "RESET")
    r.execute_command("LATENCY", "RESET")
    r.execute_command("CONFIG", "RESETSTAT")
    r.execute_command("CLIENT", "SETNAME", "it-introspection")
    r.set("intro:k", "x" * 200)
    r.execute_command("DEL", *["intro:%d" % i for i in range(40)])

# ---- SLOWLOG ----
got, want = both("SLOWLOG", "GET", "2")
check("SLOWLOG GET 2: two entries of six fields", [len(e) for e in got], [len(e) for e in want])
check("SLOWLOG GET: field types", [[type(f).__name__ for f in e] for e in got], [[type(f).__name__ for f in e] for e in want])
check("SLOWLOG GET: newest first, argv trimmed to 32 arguments", got[0][3], want[0][3])
check("SLOWLOG GET: a 200-byte argument trimmed to 128 bytes + '... (72 more bytes)'", got[1][3], want[1][3])
check("SLOWLOG GET: client name", got[0][5], want[0][5])
check("SLOWLOG GET: client address is ip:port", bool(re.fullmatch(rb"127\.0\.0\.1:\d+", got[0][4])),
      bool(re.fullmatch(rb"127\.0\.0\.1:\d+", want[0][4])))
check("SLOWLOG GET: ids grow", got[0][0] > got[1][0], want[0][0] > want[1][0])
got, want = sc.slowlog_get(1), ref.slowlog_get(1)
check("redis-py slowlog_get parses it the same", sorted(got[0].keys()), sorted(want[0].keys()))
same("SLOWLOG LEN is an integer", "SLOWLOG", "LEN", transform=lambda x: type(x).__name__)
same("SLOWLOG GET -1 returns every entry", "SLOWLOG", "GET", "-1", transform=lambda x: len(x) > 3)
for args in (["SLOWLOG", "GET", "abc"], ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "1", "2"],
             ["SLOWLOG", "LEN", "x"], ["SLOWLOG", "RESET", "x"], ["SLOWLOG", "nope"], ["SLOWLOG"],
             ["SLOWLOG", "HELP"]):
    same(" ".join(args), *args)
for r in (sc, ref):
    r.config_set("slowlog-max-len", 3)
    for _ in range(5):
        r.get("intro:k")
same("slowlog-max-len 3 keeps 3 entries", "SLOWLOG", "LEN")
same("SLOWLOG RESET", "SLOWLOG", "RESET")
for r in (sc, ref):
    r.config_set("slowlog-log-slower-than", -1)
    r.execute_command("SLOWLOG", "RESET")
    r.get("intro:k")
same("slowlog-log-slower-than -1 logs nothing", "SLOWLOG", "LEN")
for r in (sc, ref):
    r.config_set("slowlog-log-slower-than", 10000)
    r.config_set("slowlog-max-len", 128)
for param, value in (("slowlog-log-slower-than", "abc"), ("slowlog-log-slower-than", "-2"),
                     ("latency-monitor-threshold", "-1"), ("latency-tracking", "maybe"),
                     ("latency-tracking-info-percentiles", "101"), ("latency-tracking-info-percentiles", "x")):
    same("CONFIG SET %s %s: the same error" % (param, value), "CONFIG", "SET", param, value)
for param in ("slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold", "latency-tracking",
              "latency-tracking-info-percentiles"):
    same("CONFIG GET " + param, "CONFIG", "GET", param)

# ---- LATENCY HISTOGRAM ----
for proto in (2, 3):
    got, want = raw_both(proto, "LATENCY", "HISTOGRAM", "set", "client")
    check("RESP%d LATENCY HISTOGRAM set client: shape" % proto, shape(got), shape(want))
    got, want = raw_both(proto, "LATENCY", "HISTOGRAM", "nosuch")
    check("RESP%d LATENCY HISTOGRAM nosuch: empty" % proto, got, want)
got, want = raw_both(3, "LATENCY", "HISTOGRAM", "set")


def buckets(reply):
    (_, cdf), = reply[1]                      # {"set": {"calls": n, "histogram_usec": {...}}}
    fields = {k[1]: v for k, v in cdf[1]}
    return [k[1] for k, _ in fields[b"histogram_usec"][1]]


bounds = {(b + (b >> 7 if b >= 2048 else 0) - (1 if b >= 2048 else 0)) // 1000 for b in (1024 << k for k in range(30))}
check("LATENCY HISTOGRAM bucket bounds: Redis's and shardcached's are hdr's 1024 ns * 2^k points, in us",
      (set(buckets(got)) <= bounds, set(buckets(want)) <= bounds, len(buckets(got)) > 0), (True, True, True))
got, want = raw_both(2, "LATENCY", "HISTOGRAM")
check("RESP2 LATENCY HISTOGRAM (all): a flat array of name, map pairs", shape(got)[0], shape(want)[0])

# ---- latency monitor: a command over latency-monitor-threshold (KEYS over many keys) ----
for r in (sc, ref):
    p = r.pipeline(transaction=False)
    for i in range(0, 200000, 1000):
        p.mset({"lat:%d" % j: "v" for j in range(i, i + 1000)})
    p.execute()
    r.config_set("latency-monitor-threshold", 1)
    r.execute_command("LATENCY", "RESET")
    for _ in range(3):
        r.execute_command("KEYS", "lat:1*")
got, want = raw_both(2, "LATENCY", "LATEST")
check("LATENCY LATEST: [event, time, latency, max] entries", shape(got), shape(want))
check("LATENCY LATEST: a 'command' event", [e[1][0][1] for e in got[1]].count(b"command"),
      [e[1][0][1] for e in want[1]].count(b"command"))
got, want = raw_both(2, "LATENCY", "HISTORY", "command")
check("LATENCY HISTORY command: [time, latency] pairs", shape(got), shape(want))
check("LATENCY HISTORY nosuch: empty array", *raw_both(2, "LATENCY", "HISTORY", "nosuch"))
check("LATENCY GRAPH nosuch: the no-samples error", *raw_both(2, "LATENCY", "GRAPH", "nosuch"))
# One spike, so both graphs have one sample: the same picture, up to the figures.
for r in (sc, ref):
    r.execute_command("LATENCY", "RESET")
    r.execute_command("KEYS", "lat:1*")
for proto in (2, 3):
    got, want = raw_both(proto, "LATENCY", "GRAPH", "command")
    check("RESP%d LATENCY GRAPH: a verbatim/bulk text" % proto, got[0], want[0])
    text = lambda v: v[1].decode() if isinstance(v[1], bytes) else v[1]
    check("RESP%d LATENCY GRAPH command: the same graph (digits masked)" % proto,
          re.sub(r"\d+", "N", text(got)), re.sub(r"\d+", "N", text(want)))
for proto in (2, 3):
    got, want = raw_both(proto, "LATENCY", "DOCTOR")
    check("RESP%d LATENCY DOCTOR: a verbatim/bulk text" % proto, got[0], want[0])
    text = lambda v: v[1].decode() if isinstance(v[1], bytes) else v[1]
    check("RESP%d LATENCY DOCTOR: reports the spikes" % proto, text(got).split("\n")[0], text(want).split("\n")[0])
    check("RESP%d LATENCY DOCTOR: the command event line" % proto,
          re.sub(r"\d+(\.\d+)?", "N", [l for l in text(got).split("\n") if ". command:" in l][0].split(". ", 1)[1]),
          re.sub(r"\d+(\.\d+)?", "N", [l for l in text(want).split("\n") if ". command:" in l][0].split(". ", 1)[1]))
for args in (["LATENCY", "HISTORY"], ["LATENCY", "LATEST", "x"], ["LATENCY", "DOCTOR", "x"], ["LATENCY", "nope"],
             ["LATENCY"], ["LATENCY", "RESET", "nosuch"]):
    same(" ".join(args), *args)
same("LATENCY RESET command", "LATENCY", "RESET", "command")
for r in (sc, ref):
    r.config_set("latency-monitor-threshold", 0)
    r.execute_command("LATENCY", "RESET")
same("LATENCY DOCTOR with the monitor off and no events", "LATENCY", "DOCTOR")

# ---- INFO sections ----
for r in (sc, ref):
    r.flushall()
    r.execute_command("CONFIG", "RESETSTAT")
    r.set("n", "abc")
    r.get("n")
    r.execute_command("CLIENT", "LIST")
    for bad in (["INCR", "n"], ["GET"], ["NOSUCHCOMMAND"]):
        try:
            r.execute_command(*bad)
        except redis.ResponseError:
            pass


def lines(r, name):
    text = raw["sc" if r is sc else "ref"][2].call("INFO", name)[1].decode()
    return [l for l in text.split("\r\n") if l]


cmdstat = re.compile(r"cmdstat_([a-z|]+):calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=\d+")
got, want = lines(sc, "commandstats"), lines(ref, "commandstats")
check("INFO commandstats: header", got[0], want[0])
check("INFO commandstats: every line in Redis's format", all(cmdstat.fullmatch(l) for l in got[1:]), True)
norm = lambda ls: sorted(re.sub(r"usec=\d+,usec_per_call=[\d.]+", "usec=N", l) for l in ls[1:] if "cmdstat_info" not in l
                        and "cmdstat_client|setname" not in l)
check("INFO commandstats: the same commands, calls, rejected and failed calls", norm(got), norm(want))
got, want = lines(sc, "errorstats"), lines(ref, "errorstats")
check("INFO errorstats: the same lines", got, want)
# A protocol error as a connection's very first request is an error reply too (errorstat_ERR).
for port in (SC_PORT, REF_PORT):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as bad:
        bad.sendall(b"*1\r\n$x\r\n")
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = bad.recv(256)
            if not chunk:
                break
            reply += chunk
got, want = lines(sc, "errorstats"), lines(ref, "errorstats")
check("INFO errorstats: a protocol error before any command is counted", got, want)
got, want = lines(sc, "latencystats"), lines(ref, "latencystats")
lat = re.compile(r"latency_percentiles_usec_([a-z|]+):p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}")
check("INFO latencystats: header", got[0], want[0])
check("INFO latencystats: every line in Redis's format", all(lat.fullmatch(l) for l in got[1:]), True)
check("INFO latencystats: the same commands", sorted(lat.fullmatch(l).group(1) for l in got[1:]),
      sorted(lat.fullmatch(l).group(1) for l in want[1:]))
got, want = lines(sc, "cpu"), lines(ref, "cpu")
check("INFO cpu: the same fields", [l.split(":")[0] for l in got], [l.split(":")[0] for l in want])
check("INFO cpu: seconds.microseconds", all(re.fullmatch(r"[a-z_]+:\d+\.\d{6}", l) for l in got[1:]), True)
for args in (["cpu", "commandstats"], ["CPU", "errorstats", "latencystats", "cpu"]):
    gs = [l for l in raw["sc"][2].call("INFO", *args)[1].decode().split("\r\n") if l.startswith("#")]
    rs = [l for l in raw["ref"][2].call("INFO", *args)[1].decode().split("\r\n") if l.startswith("#")]
    check("INFO %s: the same sections" % " ".join(args), gs, rs)
headers = lambda p, *a: [l for l in raw[p][2].call("INFO", *a)[1].decode().split("\r\n") if l.startswith("#")]
for args in ([], ["default"], ["all"], ["everything"]):
    gs, rs = headers("sc", *args), headers("ref", *args)
    # Keyfamilies is shardcached's own section (key families), last and only in all/everything.
    check("INFO %s: Keyfamilies last, only in all/everything" % " ".join(args),
          [h for h in gs if h == "# Keyfamilies"], ["# Keyfamilies"] if args in (["all"], ["everything"]) else [])
    if gs and gs[-1] == "# Keyfamilies":
        gs = gs[:-1]
    check("INFO %s: shardcached's sections are Redis's, in its order" % " ".join(args), [h for h in rs if h in gs], gs)
    check("INFO %s: commandstats/latencystats as Redis" % " ".join(args),
          [h for h in gs if h in ("# Commandstats", "# Latencystats")],
          [h for h in rs if h in ("# Commandstats", "# Latencystats")])
got = sc.info("stats")["total_error_replies"]
want = ref.info("stats")["total_error_replies"]
check("INFO stats total_error_replies", got, want)
info = sc.info("commandstats")
check("redis-py parses INFO commandstats", info.get("cmdstat_get", {}).get("calls"), ref.info("commandstats")["cmdstat_get"]["calls"])
same("CONFIG RESETSTAT", "CONFIG", "RESETSTAT")
got, want = lines(sc, "commandstats"), lines(ref, "commandstats")
check("after CONFIG RESETSTAT: only CONFIG RESETSTAT itself", [l.split(":")[0] for l in got], [l.split(":")[0] for l in want])
check("after CONFIG RESETSTAT: errorstats empty", lines(sc, "errorstats"), lines(ref, "errorstats"))

# ---- COMMAND INFO of the containers ----
for name in ("slowlog", "latency"):
    got, want = both("COMMAND INFO", name)
    check("COMMAND INFO %s: first 9 elements" % name, got[0][:9], want[0][:9])
    ref_subs = {s[0]: s for s in want[0][9]}
    for s in got[0][9]:
        check("COMMAND INFO %s nests %s as Redis" % (name, s[0].decode()), s, ref_subs.get(s[0]))

summary()
