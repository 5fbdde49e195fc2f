"""tests/integration/python/tracking_vs_redis.py: client-side caching (CLIENT TRACKING) through raw
RESP2/RESP3 sockets, every scenario run against shardcached (SC_PORT) and redis-server 7.0.15
(REF_PORT) and the transcripts compared: replies and error texts, TRACKINGINFO, GETREDIR, RESP3
`invalidate` pushes for writes by others (SET, DEL, EXPIRE, INCR, APPEND), the own write (after
its reply) and NOLOOP, FLUSHALL's null push, BCAST with prefixes, OPTIN / OPTOUT with CLIENT
CACHING, RESP2 REDIRECT to a connection subscribed to __redis__:invalidate (and the subscribed
context's errors and PING), a broken redirect, expiry, tracking-table-max-keys, MGET and MULTI.
Then shardcached alone (SC_HTTP_PORT): INVALIDATE and INVALIDATETAG reaching a tracker, writes
over REST, CLIENT LIST flags, a closed tracker leaving the table. Ends with "N passed, N failed".
"""
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, check_eq, summary  # noqa: E402

SC_PORT = int(os.environ["SC_PORT"])
REF_PORT = int(os.environ.get("REF_PORT", "0"))
SC_HTTP_PORT = int(os.environ.get("SC_HTTP_PORT", "0"))


class Conn:
    """One RESP connection: call() sends a command and returns its reply; pushes that arrive
    meanwhile (RESP3 `>`, or RESP2 pub/sub messages when `sub` is set) are kept in .pushes."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self.pushes = []
        self.sub = False

    def close(self):
        self.s.close()

    def _fill(self, timeout):
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            return False
        if not d:
            raise ConnectionError("closed")
        self.buf += d
        return True

    def _line(self):
        while b"\r\n" not in self.buf:
            if not self._fill(5):
                raise TimeoutError("no reply")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:].decode()
        if t in (b"+",):
            return rest
        if t == b"-":
            return "error: " + rest
        if t == b":":
            return int(rest)
        if t == b"_":
            return None
        if t == b"#":
            return rest == "t"
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                if not self._fill(5):
                    raise TimeoutError("short bulk")
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self._read() for _ in range(n)]
            if t == b"~":
                return set(items)
            if t == b">":
                return ("push", items)
            return items
        if t == b"%":
            n = int(rest)
            return {self._read(): self._read() for _ in range(n)}
        raise ValueError("unexpected %r" % line)

    def _is_push(self, v):
        if isinstance(v, tuple):
            return True
        return self.sub and isinstance(v, list) and len(v) == 3 and v[0] == "message"

    def call(self, *args):
        self.s.sendall(encode(args))
        while True:
            v = self._read()
            if self._is_push(v):
                self.pushes.append(v)
                continue
            return v

    def call_raw(self, *args):
        """A command whose reply may itself look like a push (SUBSCRIBE): the next value."""
        self.s.sendall(encode(args))
        return self._read()

    def wait_pushes(self, n, timeout=2.0):
        """Waits until at least n pushes are held (or the time is up); returns and clears them."""
        end = time.time() + timeout
        while len(self.pushes) < n and time.time() < end:
            if b"\r\n" in self.buf or self._fill(max(0.01, end - time.time())):
                while b"\r\n" in self.buf:
                    v = self._read()
                    self.pushes.append(v)
        got, self.pushes = self.pushes, []
        return got

    def quiet(self, t=0.3):
        """Pushes arriving within t seconds (to check that none came)."""
        return self.wait_pushes(10 ** 6, t)


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def keys_of(pushes):
    """The keys the invalidations name, sorted ('*' for a null: everything)."""
    out = []
    for p in pushes:
        body = p[1] if isinstance(p, tuple) else p
        if isinstance(p, tuple):
            if body[0] != "invalidate":
                out.append("?" + str(body))
                continue
            ks = body[1]
        else:
            ks = body[2]
        out.extend(["*"] if ks is None else ks)
    return sorted(out)


def scenario(port):
    """Runs every common scenario against one server; returns a transcript (name -> value)."""
    t = {}
    w = Conn(port)
    w.call("FLUSHALL")
    w.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")

    # Option checks, replies and error texts (RESP2).
    a = Conn(port)
    for cmd in [("CLIENT", "TRACKING", "on", "prefix", "a"), ("CLIENT", "TRACKING", "on", "optin", "optout"),
                ("CLIENT", "TRACKING", "on", "redirect", "999999"), ("CLIENT", "TRACKING", "on", "redirect", "x"),
                ("CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"),
                ("CLIENT", "TRACKING", "on", "bcast", "optin"), ("CLIENT", "TRACKING", "maybe"),
                ("CLIENT", "TRACKING", "on", "foo"), ("CLIENT", "CACHING", "yes"), ("CLIENT", "GETREDIR"),
                ("CLIENT", "TRACKINGINFO"), ("CLIENT", "TRACKING", "on", "optin"), ("CLIENT", "CACHING", "no"),
                ("CLIENT", "CACHING", "maybe"), ("CLIENT", "CACHING", "yes"), ("CLIENT", "TRACKINGINFO"),
                ("CLIENT", "TRACKING", "on", "optout"), ("CLIENT", "TRACKING", "on", "bcast"),
                ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKINGINFO"),
                ("CLIENT", "TRACKING", "on", "bcast", "prefix", "x", "noloop"),
                ("CLIENT", "TRACKING", "on", "bcast", "prefix", "xy"),
                ("CLIENT", "TRACKING", "on", "bcast", "prefix", "z"), ("CLIENT", "TRACKINGINFO"),
                ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKING", "on", "redirect", "1", "redirect", "2")]:
        t["resp2 " + " ".join(cmd)] = a.call(*cmd)
    a.close()

    # RESP3: pushes for other clients' writes, the table forgets a key once invalidated.
    b = Conn(port)
    b.call("HELLO", "3")
    t["tracking on"] = b.call("CLIENT", "TRACKING", "on")
    t["resp3 trackinginfo"] = b.call("CLIENT", "TRACKINGINFO")
    t["resp3 getredir"] = b.call("CLIENT", "GETREDIR")
    b.call("GET", "k1")
    w.call("SET", "k1", "v")
    t["set by other"] = keys_of(b.wait_pushes(1))
    w.call("SET", "k1", "v2")
    t["not read again: nothing"] = keys_of(b.quiet())
    for i, write in enumerate([("DEL", "k1"), ("SET", "k1", "x"), ("EXPIRE", "k1", "100"), ("APPEND", "k1", "y"),
                               ("SET", "n1", "1"), ("INCR", "n1"), ("PERSIST", "k1"), ("RENAME", "k1", "k2"),
                               ("UNLINK", "k2"), ("GETDEL", "n1")]):
        key = write[1]
        b.call("GET", key)
        w.call(*write)
        t["write %d %s" % (i, write[0])] = keys_of(b.wait_pushes(1))
    b.call("MGET", "m1", "m2", "m3")
    w.call("MSET", "m1", "1", "m3", "3")
    t["mget keys, mset"] = keys_of(b.wait_pushes(2))
    b.call("EXISTS", "e1")
    w.call("SET", "e1", "1")
    t["exists then set"] = keys_of(b.wait_pushes(1))
    b.call("GET", "f1")
    w.call("FLUSHALL")
    t["flushall null"] = b.wait_pushes(1)
    # Own writes: the push follows the write's reply; NOLOOP drops them.
    b.call("GET", "own")
    b.s.sendall(encode(["SET", "own", "1"]))
    first = b._read()
    t["own write: reply first"] = first
    t["own write: then push"] = keys_of(b.wait_pushes(1))
    b.call("CLIENT", "TRACKING", "on", "noloop")
    b.call("GET", "own")
    b.call("SET", "own", "2")
    t["noloop own write"] = keys_of(b.quiet())
    b.call("GET", "own")
    w.call("SET", "own", "3")
    t["noloop other write"] = keys_of(b.wait_pushes(1))
    b.call("CLIENT", "TRACKING", "off")
    b.call("GET", "own")
    w.call("SET", "own", "4")
    t["tracking off: nothing"] = keys_of(b.quiet())

    # MULTI: keys read inside EXEC are tracked.
    b.call("CLIENT", "TRACKING", "on")
    b.call("MULTI")
    b.call("GET", "tx1")
    t["exec"] = b.call("EXEC")
    w.call("SET", "tx1", "1")
    t["read in exec, set"] = keys_of(b.wait_pushes(1))

    # Expiry reaches the tracker.
    w.call("SET", "exp1", "v", "PX", "100")
    b.call("GET", "exp1")
    t["expired key"] = keys_of(b.wait_pushes(1, timeout=3))
    b.call("CLIENT", "TRACKING", "off")

    # OPTIN / OPTOUT.
    b.call("CLIENT", "TRACKING", "on", "optin")
    b.call("GET", "oi1")
    b.call("CLIENT", "CACHING", "yes")
    b.call("GET", "oi2")
    b.call("GET", "oi3")  # CACHING yes lasts one command
    for k in ("oi1", "oi2", "oi3"):
        w.call("SET", k, "1")
    t["optin"] = keys_of(b.wait_pushes(1) + b.quiet())
    b.call("CLIENT", "TRACKING", "off")
    b.call("CLIENT", "TRACKING", "on", "optout")
    b.call("CLIENT", "CACHING", "no")
    b.call("GET", "oo1")
    b.call("GET", "oo2")
    for k in ("oo1", "oo2"):
        w.call("SET", k, "1")
    t["optout"] = keys_of(b.wait_pushes(1) + b.quiet())
    b.call("CLIENT", "TRACKING", "off")

    # BCAST with prefixes: every change of a matching key, read or not.
    b.call("CLIENT", "TRACKING", "on", "bcast", "prefix", "user:", "prefix", "cfg:")
    for k in ("user:1", "other:1", "cfg:x", "user:2"):
        w.call("SET", k, "1")
    t["bcast prefixes"] = keys_of(b.wait_pushes(3) + b.quiet())
    t["bcast trackinginfo"] = b.call("CLIENT", "TRACKINGINFO")
    b.call("CLIENT", "TRACKING", "off")
    b.call("CLIENT", "TRACKING", "on", "bcast", "noloop")
    b.call("SET", "bc:own", "1")
    w.call("SET", "bc:other", "1")
    t["bcast noloop"] = keys_of(b.wait_pushes(1) + b.quiet())
    b.call("CLIENT", "TRACKING", "off")

    # RESP2: REDIRECT to a connection subscribed to __redis__:invalidate.
    s = Conn(port)
    sid = s.call("CLIENT", "ID")
    t["subscribe"] = s.call_raw("SUBSCRIBE", "__redis__:invalidate")
    s.sub = True
    t["subscribed get"] = s.call("GET", "x")
    t["subscribed client id"] = s.call("CLIENT", "ID")
    t["subscribed ping"] = s.call("PING")
    t["subscribed ping msg"] = s.call("PING", "hi")
    a = Conn(port)
    t["redirect"] = a.call("CLIENT", "TRACKING", "on", "redirect", sid)
    t["getredir is the id"] = a.call("CLIENT", "GETREDIR") == sid
    a.call("GET", "r1")
    w.call("SET", "r1", "v")
    got = s.wait_pushes(1)
    t["resp2 message"] = got
    a.call("GET", "r1")
    w.call("FLUSHALL")
    t["resp2 flush message"] = s.wait_pushes(1)
    a.close()
    s.sub = False
    t["unsubscribe"] = s.call_raw("UNSUBSCRIBE")
    t["ping after unsubscribe"] = s.call("PING")
    t["unsubscribe none"] = s.call_raw("UNSUBSCRIBE")

    # RESP3 redirect to RESP3; then the target goes away: tracking-redir-broken.
    tgt = Conn(port)
    tgt.call("HELLO", "3")
    tid = tgt.call("CLIENT", "ID")
    b.call("CLIENT", "TRACKING", "on", "redirect", tid)
    b.call("GET", "rb1")
    w.call("SET", "rb1", "1")
    t["resp3 redirect target gets it"] = keys_of(tgt.wait_pushes(1))
    tgt.close()
    time.sleep(0.2)
    b.call("GET", "rb1")
    w.call("SET", "rb1", "2")
    got = b.wait_pushes(1)
    t["redir broken push"] = [p[1][0] if isinstance(p, tuple) else p for p in got]
    t["redir broken id"] = [p[1][1] == tid for p in got if isinstance(p, tuple)]
    info = b.call("CLIENT", "TRACKINGINFO")
    t["broken trackinginfo flags"] = info.get("flags")
    t["client info flags"] = [f for f in b.call("CLIENT", "INFO").split() if f.startswith("flags=")]
    b.call("CLIENT", "TRACKING", "off")

    # tracking-table-max-keys: past it, keys are dropped with an invalidation.
    w.call("CONFIG", "SET", "tracking-table-max-keys", "2")
    b.call("CLIENT", "TRACKING", "on")
    for k in ("tm1", "tm2", "tm3", "tm4"):
        b.call("GET", k)
    b.call("PING")
    got = b.wait_pushes(2, timeout=3)
    t["table limit: invalidations"] = len(keys_of(got)) >= 2
    w.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
    b.call("CLIENT", "TRACKING", "off")
    t["config get"] = w.call("CONFIG", "GET", "tracking-table-max-keys")
    b.close()
    w.close()
    return t


def shardcache_only():
    w = Conn(SC_PORT)
    w.call("FLUSHALL")
    b = Conn(SC_PORT)
    b.call("HELLO", "3")
    b.call("CLIENT", "TRACKING", "on")
    for k in ("c:1", "c:2", "d:1"):
        w.call("SET", k, "v")
        b.call("GET", k)
    check_eq("INVALIDATE c:* reaches the tracker", w.call("INVALIDATE", "c:*"), 2)
    check_eq("INVALIDATE: one push per removed key", keys_of(b.wait_pushes(2) + b.quiet()), ["c:1", "c:2"])
    w.call("SET", "t1", "v", "TAGS", "tagA")
    w.call("SET", "t2", "v", "TAGS", "tagA")
    b.call("GET", "t1")
    check_eq("INVALIDATETAG", w.call("INVALIDATETAG", "tagA"), 2)
    check_eq("INVALIDATETAG reaches the tracker (t1 only: t2 not read)", keys_of(b.wait_pushes(1) + b.quiet()), ["t1"])
    check_eq("CLIENT LIST flags=t redir=0", [f for f in b.call("CLIENT", "INFO").split()
                                             if f.startswith(("flags=", "redir="))], ["flags=t", "redir=0"])
    # A write over REST reaches a RESP tracker.
    b.call("GET", "rest1")
    if SC_HTTP_PORT:
        req = urllib.request.Request("http://127.0.0.1:%d/set/rest1/v" % SC_HTTP_PORT, method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            check_eq("REST SET answers", r.status, 200)
        check_eq("REST SET reaches the RESP tracker", keys_of(b.wait_pushes(1)), ["rest1"])
        req = urllib.request.Request("http://127.0.0.1:%d/client/tracking/on" % SC_HTTP_PORT, method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
            check("CLIENT TRACKING refused over REST", False, "answered 200")
        except urllib.error.HTTPError as e:
            check("CLIENT TRACKING refused over REST", b"not supported over REST" in e.read(), e.code)
    # Eviction reaches the tracker too.
    w.call("CONFIG", "SET", "maxmemory", "4mb")
    b.call("GET", "ev0")
    w.call("SET", "ev0", "x" * 100)
    b.call("GET", "ev0")
    for i in range(1, 4000):
        w.call("SET", "ev%d" % i, "x" * 2000)
    w.call("CONFIG", "SET", "maxmemory", "0")
    check_eq("eviction of a tracked key reaches the tracker", "ev0" in keys_of(b.wait_pushes(2, timeout=2)), True)
    # A closed tracker leaves the table; INFO counts.
    info = w.call("INFO", "clients")
    check("INFO tracking_clients:1", "tracking_clients:1" in info, info)
    b.close()
    time.sleep(0.3)
    info = w.call("INFO", "clients")
    check("closed tracker: tracking_clients:0", "tracking_clients:0" in info, info)
    w.call("FLUSHALL")
    w.close()


def main():
    ours = scenario(SC_PORT)
    if REF_PORT:
        theirs = scenario(REF_PORT)
        for k in theirs:
            check_eq("same as redis-server 7.0.15: " + k, ours.get(k), theirs[k])
    # What each scenario must show, whatever Redis does.
    check_eq("set by other gives a push", ours["set by other"], ["k1"])
    check_eq("flushall gives a null push", ours["flushall null"], [("push", ["invalidate", None])])
    check_eq("resp2 message shape", ours["resp2 message"], [["message", "__redis__:invalidate", ["r1"]]])
    check_eq("bcast prefixes", ours["bcast prefixes"], ["cfg:x", "user:1", "user:2"])
    shardcache_only()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
