#!/usr/bin/python3
"""tools/soak.py: the load and the checker behind tools/soak.sh (stdlib only, loopback only).

Parent mode starts N worker processes and a reconnecting-client process, samples INFO memory
and the daemon's RSS every second, collects the workers' counts and prints a summary table;
the exit status is 1 on any violation. Each worker owns its own keys (soak:w<W>:g<G>:<I>) and
runs on one connection at a time (reconnecting now and then), so it knows the order in which the
daemon applied its commands and can verify every GET by itself:
  - values encode key, version and length ("<key>|<version>|<len>|" + padding from the
    version), so a value never written for that key is caught ("wrong values");
  - a value older than one invalidated by an acknowledged INVALIDATE <group>:* or
    INVALIDATETAG (or a DEL) is a "stale read after invalidation";
  - a value older than the last acknowledged SET of that key is a "stale read";
  - a value whose SET had PX t, read by a GET sent later than that SET's reply + t + slack, is
    "alive past TTL".
A nil reply is always allowed (eviction, expiry). Workers pipeline 1..16 commands a batch.
SOAK_SELFTEST=wrong|stale|ttl makes the workers misbehave on purpose (write versions they do
not record, send EXISTS instead of INVALIDATE, expect expiry 1.5 s early) so the checker can be
shown to catch each kind of violation.
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
from resp_wire import encode  # noqa: E402  (tools/bench/resp_wire.py, shared with the benchmarks)

HOST = "127.0.0.1"
TTL_SLACK = 0.25  # seconds past the SET's reply + its PX before a live value is a violation
GROUPS = 400      # key groups per worker (INVALIDATE soak:w<W>:g<G>:*)
PER_GROUP = 100   # keys per group: 40k keys of 0.3-6 KB a worker, several times a 64 MB budget
TAGS = 16         # tags per worker
SELFTEST = os.environ.get("SOAK_SELFTEST", "")
if SELFTEST == "ttl":
    TTL_SLACK = -1.5


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb", buffering=1 << 16)

    def reply(self):
        line = self.f.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line[:40])

    def cmd(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def close(self):
        self.f.close()
        self.sock.close()


def value_for(key, version):
    n = 300 + (zlib.crc32(key.encode()) + version * 7919) % 5700
    head = b"%s|%d|%d|" % (key.encode(), version, n)
    return head + bytes([97 + version % 26]) * max(0, n - len(head))


def check_value(key, data):
    """Returns the version a value encodes, or None when it is not a value written for key."""
    try:
        k, v, n, _ = data.split(b"|", 3)
        version, n = int(v), int(n)
    except ValueError:
        return None
    if k != key.encode() or len(data) != n:
        return None
    pad = data[len(k) + len(v) + len(str(n)) + 3:]
    return version if pad == bytes([97 + version % 26]) * len(pad) else None


class KeyState:
    __slots__ = ("ver", "acked", "inv_floor", "tag", "ttl", "deadline")

    def __init__(self):
        self.ver = 0         # latest version sent (in connection order)
        self.acked = 0       # latest version whose SET was acknowledged
        self.inv_floor = 0   # versions below this were invalidated (acknowledged)
        self.tag = None      # tag of the latest version
        self.ttl = None      # PX of the latest version (seconds), or None
        self.deadline = None  # reply time + ttl + slack of the latest version


class Worker:
    def __init__(self, wid, port, seconds, seed):
        self.wid, self.port, self.end = wid, port, time.monotonic() + seconds
        self.rng = random.Random(seed)
        self.keys = {}
        self.stats = {k: 0 for k in ("ops", "gets", "hits", "sets", "ttl_sets", "tag_sets", "invalidates",
                                     "invalidatetags", "dels", "reconnects", "wrong_values",
                                     "stale_after_invalidation", "stale_reads", "alive_past_ttl", "errors")}
        self.examples = []

    def key(self, g, i):
        return "soak:w%d:g%d:%d" % (self.wid, g, i)

    def state(self, key):
        st = self.keys.get(key)
        if st is None:
            st = self.keys[key] = KeyState()
        return st

    def violation(self, kind, detail):
        self.stats[kind] += 1
        if len(self.examples) < 5:
            self.examples.append("%s: %s" % (kind, detail))

    def plan(self):
        """One pipeline batch: a list of (kind, key or group/tag, args, extra)."""
        batch = []
        for _ in range(self.rng.randint(1, 16)):
            r = self.rng.random()
            g, i = self.rng.randrange(GROUPS), self.rng.randrange(PER_GROUP)
            if r < 0.42:
                batch.append(("set", self.key(g, i)))
            elif r < 0.99:
                batch.append(("get", self.key(g, i)))
            elif r < 0.996:
                batch.append(("invalidate", g))
            elif r < 0.998:
                batch.append(("invalidatetag", "w%dt%d" % (self.wid, self.rng.randrange(TAGS))))
            else:
                batch.append(("del", self.key(g, i)))
        return batch

    def run_batch(self, conn, batch):
        out, pending = [], []
        for kind, what in batch:
            if kind == "set":
                st = self.state(what)
                st.ver += 1
                args = ["SET", what, value_for(what, st.ver + (1000 if SELFTEST == "wrong" else 0))]
                ttl = tag = None
                if self.rng.random() < 0.3:
                    ttl = self.rng.randint(1000, 5000)
                    args += ["PX", ttl]
                if self.rng.random() < 0.3:
                    tag = "w%dt%d" % (self.wid, self.rng.randrange(TAGS))
                    args += ["TAGS", tag]
                st.tag, st.ttl, st.deadline = tag, (ttl / 1000.0 if ttl else None), None
                pending.append((kind, what, st.ver, st.ttl))
                out.append(encode(*args))
            elif kind == "get":
                st = self.state(what)
                # What an in-order daemon must show this GET: nothing below these floors.
                pending.append((kind, what, (st.inv_floor, st.ver, st.deadline, st.ttl is not None), None))
                out.append(encode("GET", what))
            elif kind == "invalidate":
                prefix = "soak:w%d:g%d:" % (self.wid, what)
                hit = [k for k in (self.key(what, i) for i in range(PER_GROUP)) if k in self.keys]
                for k in hit:
                    self.keys[k].inv_floor = self.keys[k].ver + 1
                pending.append((kind, prefix, None, None))
                out.append(encode("EXISTS" if SELFTEST == "stale" else "INVALIDATE", prefix + "*"))
            elif kind == "invalidatetag":
                for st in self.keys.values():
                    if st.tag == what:
                        st.inv_floor = st.ver + 1
                pending.append((kind, what, None, None))
                out.append(encode("INVALIDATETAG", what))
            else:
                st = self.state(what)
                st.inv_floor = st.ver + 1
                pending.append((kind, what, None, None))
                out.append(encode("DEL", what))
        sent = time.monotonic()
        conn.sock.sendall(b"".join(out))
        for kind, what, a, b in pending:
            rep = conn.reply()
            self.stats["ops"] += 1
            if isinstance(rep, RuntimeError):
                self.violation("errors", "%s %s -> %s" % (kind, what, rep))
                continue
            if kind == "set":
                self.stats["sets"] += 1
                st = self.keys[what]
                if rep != "OK":
                    self.violation("errors", "SET %s -> %r" % (what, rep))
                st.acked = max(st.acked, a)
                if b and st.ver == a:
                    self.stats["ttl_sets"] += 1
                    st.deadline = time.monotonic() + b + TTL_SLACK
            elif kind == "get":
                self.check_get(what, rep, a, sent)
            else:
                self.stats[kind + "s"] += 1
                if not isinstance(rep, int):
                    self.violation("errors", "%s %s -> %r" % (kind, what, rep))

    def check_get(self, key, rep, floors, sent):
        inv_floor, ver, deadline, has_ttl = floors
        self.stats["gets"] += 1
        if rep is None:
            return
        self.stats["hits"] += 1
        v = check_value(key, rep) if isinstance(rep, bytes) else None
        if v is None or v > ver or v <= 0:
            self.violation("wrong_values", "GET %s -> %r (latest version %d)" % (key, bytes(rep[:60]) if isinstance(rep, bytes) else rep, ver))
        elif v < inv_floor:
            self.violation("stale_after_invalidation", "GET %s -> version %d, invalidated below %d" % (key, v, inv_floor))
        elif v < ver:
            self.violation("stale_reads", "GET %s -> version %d, last written %d" % (key, v, ver))
        elif has_ttl and deadline is not None and sent > deadline:
            self.violation("alive_past_ttl", "GET %s -> version %d %.3f s past its TTL" % (key, v, sent - deadline + TTL_SLACK))

    def run(self):
        conn, batches_left = None, 0
        while time.monotonic() < self.end:
            if conn is None or batches_left <= 0:
                if conn is not None:
                    conn.close()
                    self.stats["reconnects"] += 1
                conn, batches_left = Conn(self.port), self.rng.randint(50, 2000)
            self.run_batch(conn, self.plan())
            batches_left -= 1
        conn.close()
        self.stats["keys"] = len(self.keys)
        self.stats["examples"] = self.examples
        return self.stats


def reconnector(port, seconds, seed):
    """Connects, PINGs, sets a name, reads a key, closes; about 50 connections a second."""
    rng, end = random.Random(seed), time.monotonic() + seconds
    stats = {"connections": 0, "errors": 0, "examples": []}
    while time.monotonic() < end:
        try:
            c = Conn(port)
            ok = c.cmd("PING") == "PONG" and c.cmd("CLIENT", "SETNAME", "soak-%d" % rng.randrange(1000)) == "OK"
            rep = c.cmd("GET", "soak:w0:g0:0")
            ok = ok and (rep is None or isinstance(rep, bytes))
            if rng.random() < 0.5:
                c.close()
            else:
                c.sock.close()  # abrupt: no orderly read side
            stats["connections"] += 1
            if not ok:
                stats["errors"] += 1
        except (OSError, ConnectionError) as e:
            stats["errors"] += 1
            if len(stats["examples"]) < 5:
                stats["examples"].append(str(e))
        time.sleep(0.02)
    return stats


def info(conn, section):
    out = {}
    for line in conn.cmd("INFO", section).decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def parent(a):
    script = os.path.abspath(__file__)
    procs = [subprocess.Popen([sys.executable, script, "--port", str(a.port), "--seconds", str(a.seconds),
                               "--worker", str(w)], stdout=subprocess.PIPE) for w in range(a.workers)]
    procs.append(subprocess.Popen([sys.executable, script, "--port", str(a.port), "--seconds", str(a.seconds),
                                   "--reconnector"], stdout=subprocess.PIPE))
    mon = Conn(a.port)
    maxmem = int(info(mon, "memory")["maxmemory"])
    samples, over, used_max, rss_max, rss_first, dead = 0, 0, 0, 0, None, False
    end = time.monotonic() + a.seconds
    while time.monotonic() < end + 1:
        t0 = time.monotonic()
        try:
            used = int(info(mon, "memory")["used_memory"])
        except (OSError, ConnectionError) as e:
            print("monitor: %s" % e)
            dead = True
            break
        rss = rss_bytes(a.pid) or 0
        samples += 1
        used_max, rss_max = max(used_max, used), max(rss_max, rss)
        rss_first = rss_first or rss
        if used > maxmem:
            over += 1
        if a.verbose and samples % 60 == 0:
            print("  %4d s: used_memory %.1f MB, RSS %.1f MB" % (samples, used / 1e6, rss / 1e6), flush=True)
        time.sleep(max(0, 1 - (time.monotonic() - t0)))
    results = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=a.seconds + 120)
            results.append(json.loads(out.decode() or "{}"))
        except (subprocess.TimeoutExpired, ValueError):
            p.kill()
            results.append({"errors": 1, "examples": ["worker did not finish"]})
        if p.returncode not in (0, None):
            results[-1]["errors"] = results[-1].get("errors", 0) + 1
            results[-1].setdefault("examples", []).append("worker exit %s" % p.returncode)
    stats = {}
    if not dead:
        try:
            stats = info(mon, "stats")
        except (OSError, ConnectionError):
            dead = True
    alive = os.path.exists("/proc/%d" % a.pid) and not dead
    total = lambda k: sum(r.get(k, 0) for r in results)  # noqa: E731
    rss_final = rss_bytes(a.pid) or 0
    rows = [  # (name, value, violation?)
        ("duration (s)", a.seconds, False),
        ("worker processes", a.workers, False),
        ("operations", total("ops"), total("ops") == 0),
        ("GETs / hits", "%d / %d" % (total("gets"), total("hits")), False),
        ("SETs (with PX 1-5 s)", "%d (%d)" % (total("sets"), total("ttl_sets")), False),
        ("INVALIDATE / INVALIDATETAG / DEL", "%d / %d / %d" % (total("invalidates"), total("invalidatetags"), total("dels")), False),
        ("reconnects / reconnector connections", "%d / %d" % (total("reconnects"), total("connections")), False),
        ("evicted_keys", stats.get("evicted_keys", "?"), stats.get("evicted_keys", "0") == "0"),
        ("expired_keys", stats.get("expired_keys", "?"), False),
        ("wrong values", total("wrong_values"), total("wrong_values") > 0),
        ("stale reads after invalidation", total("stale_after_invalidation"), total("stale_after_invalidation") > 0),
        ("stale reads (older than last SET)", total("stale_reads"), total("stale_reads") > 0),
        ("keys alive past TTL (+%.2f s)" % TTL_SLACK, total("alive_past_ttl"), total("alive_past_ttl") > 0),
        ("errors (replies, connections)", total("errors"), total("errors") > 0),
        ("samples with used_memory > maxmemory", "%d of %d" % (over, samples), over > 0 or samples == 0),
        ("used_memory max (MB) / maxmemory", "%.1f / %.1f" % (used_max / 1e6, maxmem / 1e6), False),
        ("RSS first / max / final (MB)", "%.1f / %.1f / %.1f" % (rss_first / 1e6 if rss_first else 0, rss_max / 1e6, rss_final / 1e6), False),
        ("daemon alive at the end", "yes" if alive else "NO", not alive),
    ]
    print("%-42s %-26s %s" % ("check", "value", "status"))
    bad = 0
    for name, value, violation in rows:
        bad += violation
        print("%-42s %-26s %s" % (name, value, "VIOLATION" if violation else "ok"))
    for r in results:
        for e in r.get("examples", []):
            print("  example: %s" % e)
    print("soak: %s" % ("%d violation(s)" % bad if bad else "no violations"))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--worker", type=int, default=-1)
    ap.add_argument("--reconnector", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if a.worker >= 0:
        try:
            stats = Worker(a.worker, a.port, a.seconds, 1000 + a.worker).run()
        except (OSError, ConnectionError) as e:
            stats = {"errors": 1, "examples": ["worker %d: %s" % (a.worker, e)]}
        print(json.dumps(stats))
        return 0
    if a.reconnector:
        print(json.dumps(reconnector(a.port, a.seconds, 7)))
        return 0
    return parent(a)


if __name__ == "__main__":
    sys.exit(main())
