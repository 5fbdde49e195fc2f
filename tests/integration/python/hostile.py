#!/usr/bin/python3
"""tests/integration/python/hostile.py: hostile clients against a running shardcached (stdlib only).

Each probe is followed by a health check: a new RESP connection answers PING, GET /healthz
answers 200, each within the budget (100 ms), and the canary key still holds its value. Probes:
the glob CVE-2022-36021 pattern through KEYS, SCAN MATCH, INVALIDATE and REST; megabytes of
seeded random bytes on both ports; malformed RESP and huge declared lengths; RESP3 frames sent
as requests; HELLO 4; CLIENT KILL of oneself inside a pipeline; FLUSHALL ASYNC racing a large
INVALIDATE; a client killed with SIGKILL mid-pipeline; REST bad input (deep JSON, huge
headers and bodies, bad JSON, unknown command, missing or wrong token).

Usage: hostile.py --port P --http-port H --pid PID --auth-port P --auth-http-port H
                  --password PW --flush-port P --flush-pid PID
       hostile.py --pipeline-writer PORT   (internal: writes a pipeline until killed)
Every socket has a timeout and only 127.0.0.1 is used. Ends with "N passed, N failed".
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from badinput import Checks, Closed, Conn, Err, encode  # noqa: E402  (same folder)

HOST = "127.0.0.1"
SCALE = float(os.environ.get("SC_TIME_SCALE", "1"))  # > 1 under sanitizers (slower daemon)
HEALTH_BUDGET = 0.1 * SCALE
GLOB_BUDGET = 1.0 * SCALE
CANARY = ("hostile:canary", b"canary-value-\x00\xff-42")
CVE_KEY = "a" * 40
CVE_PATTERN = "a*" * 20 + "b"  # 20 stars; exponential in a backtracking matcher


def timed(fn, *args):
    t0 = time.monotonic()
    out = fn(*args)
    return out, time.monotonic() - t0


def http_raw(port, data, read_timeout=5.0):
    """Sends raw bytes to the HTTP port; returns (status, body) of the first response, or
    (None, b"") when the connection closed without one. Sending may fail once the server
    answered and closed (a refused body): that is not an error here."""
    s = socket.create_connection((HOST, port), timeout=read_timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while b"\r\n\r\n" not in buf:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
        if not buf.startswith(b"HTTP/1."):
            return None, buf
        head, _, body = buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, body[:length]
    finally:
        s.close()


def http_request(port, method, path, body=b"", headers=None):
    hdrs = {"Host": "127.0.0.1", "Content-Length": str(len(body)), "Connection": "close"}
    hdrs.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in hdrs.items())
    return http_raw(port, head.encode() + b"\r\n" + body)


class Target:
    """One daemon: its ports, pid and password (for the health check)."""

    def __init__(self, name, port, http_port, pid, password=""):
        self.name, self.port, self.http_port, self.pid, self.password = name, port, http_port, pid, password

    def conn(self):
        c = Conn(self.port)
        if self.password:
            c.cmd("AUTH", self.password)
        return c

    def rest(self, cmd):
        hdrs = {"Authorization": "Bearer " + (self.password or "any")}
        return http_request(self.http_port, "POST", "/", json.dumps(cmd).encode(), hdrs)


def healthy(c, t, after):
    """The daemon is alive and quick on both ports, and the canary is intact."""
    label = "%s after %s: " % (t.name, after)
    alive = t.pid <= 0 or os.path.exists("/proc/%d" % t.pid)
    c.ok(label + "process alive", alive)
    try:
        def ping():
            conn = Conn(t.port)
            try:
                return conn.cmd("PING")
            finally:
                conn.close()
        got, dt = timed(ping)
        # On a --requirepass daemon an unauthenticated PING gets NOAUTH, which is an answer too.
        c.ok(label + "RESP PING answered in %.0f ms" % (dt * 1000),
             (got == "PONG" or (t.password and got == Err("NOAUTH Authentication required.")))
             and dt <= HEALTH_BUDGET, "got %r in %.3f s" % (got, dt))
        (status, body), dt = timed(http_request, t.http_port, "GET", "/healthz")
        c.ok(label + "GET /healthz answered in %.0f ms" % (dt * 1000),
             status == 200 and b'"status":"ok"' in body and dt <= HEALTH_BUDGET,
             "got %r %r in %.3f s" % (status, body[:80], dt))
        conn = t.conn()
        c.eq(label + "canary intact", conn.cmd("GET", CANARY[0]), CANARY[1])
        conn.close()
    except Exception as e:  # noqa: BLE001 - a dead or stuck daemon is a failed check
        c.ok(label + "health check ran", False, "%s: %s" % (type(e).__name__, e))


def probe_glob_cve(c, t):
    conn = t.conn()
    conn.cmd("SET", CVE_KEY, "v")
    conn.cmd("SET", CVE_KEY[:-1] + "c", "v")
    got, dt = timed(conn.cmd, "KEYS", CVE_PATTERN)
    c.ok("KEYS a*a*...*b (20 stars) against a 40-char key in %.3f s" % dt,
         got == [] and dt <= GLOB_BUDGET, "got %r in %.3f s" % (got, dt))
    cursor, steps, t0 = b"0", 0, time.monotonic()
    while True:
        reply, dt = timed(conn.cmd, "SCAN", cursor, "MATCH", CVE_PATTERN, "COUNT", "1000")
        c.ok("SCAN MATCH step answered in %.3f s" % dt, dt <= GLOB_BUDGET and reply[1] == [],
             "got %r in %.3f s" % (reply, dt))
        cursor, steps = reply[0], steps + 1
        if cursor == b"0" or steps >= 100:
            break
    c.ok("SCAN MATCH finished in %d steps, %.3f s" % (steps, time.monotonic() - t0), cursor == b"0")
    got, dt = timed(conn.cmd, "INVALIDATE", CVE_PATTERN)
    c.ok("INVALIDATE a*a*...*b in %.3f s" % dt, got == 0 and dt <= GLOB_BUDGET,
         "got %r in %.3f s" % (got, dt))
    (status, body), dt = timed(t.rest, ["KEYS", CVE_PATTERN])
    c.ok("REST [\"KEYS\", a*a*...*b] in %.3f s" % dt,
         status == 200 and json.loads(body) == {"result": []} and dt <= GLOB_BUDGET,
         "got %r %r in %.3f s" % (status, body[:80], dt))
    c.eq("the 40-char key is still there", conn.cmd("EXISTS", CVE_KEY), 1)
    conn.close()


def send_drain(port, data, limit=30.0):
    """Sends data while a thread reads whatever comes back; returns (replies, closed, seconds)."""
    s = socket.create_connection((HOST, port), timeout=limit)
    got, closed = [], [False]

    def reader():
        while True:
            try:
                chunk = s.recv(1 << 20)
            except (ConnectionResetError, socket.timeout, OSError):
                chunk = b""
            if not chunk:
                closed[0] = True
                return
            got.append(chunk)
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    t0 = time.monotonic()
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    th.join(limit)
    dt = time.monotonic() - t0
    s.close()
    return b"".join(got), closed[0], dt


def probe_garbage(c, t, seed, size, http):
    rng = random.Random(seed)
    data = rng.randbytes(size)
    port = t.http_port if http else t.port
    what = "%s %d MB of random bytes (seed %d)" % ("HTTP" if http else "RESP", size >> 20, seed)
    out, closed, dt = send_drain(port, data)
    if http:
        ok = closed and (out == b"" or out.startswith(b"HTTP/1.1 400"))
    else:
        ok = closed and (out == b"" or out.startswith(b"-"))  # every reply an error, then closed
    c.ok(what + ": errors, closed in %.1f s" % dt, ok and dt < 30, "closed=%s first=%r" % (closed, out[:80]))


def probe_garbage_lines(c, t, seed, size):
    """Random lines of letters and digits: every line is an inline command Redis answers with
    "unknown command", so the daemon must parse and answer all of them, in order."""
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    lines, total = [], 0
    while total < size:
        line = b"zz" + bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        lines.append(line + b"\r\n")
        total += len(line) + 2
    conn = t.conn()
    conn.sock.settimeout(30)
    t0 = time.monotonic()
    sender = threading.Thread(target=conn.send, args=(b"".join(lines) + encode("PING"),), daemon=True)
    sender.start()
    errors = 0
    for _ in lines:
        rep = conn.reply()
        errors += isinstance(rep, Err) and rep.startswith("ERR unknown command 'zz")
    last = conn.reply()
    sender.join(30)
    dt = time.monotonic() - t0
    c.ok("%d random inline lines (%d KB, seed %d): %d unknown-command errors in order, then PONG, in %.1f s"
         % (len(lines), total >> 10, seed, errors, dt), errors == len(lines) and last == "PONG",
         "errors %d of %d, last %r" % (errors, len(lines), last))
    conn.close()


PROTOCOL_ERRORS = [  # (request, exact error as redis-server 7.0.15 sends it)
    (b"*\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*-\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$3x\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
    (b"*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$99999999999999999999\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$600000000\r\n", "ERR Protocol error: invalid bulk length"),  # 600 MB bulk
    (b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),  # 2^31 elements
    (b"*1\r\n>1\r\n", "ERR Protocol error: expected '$', got '>'"),  # RESP3 push inside a request
    (b"*1\r\n|1\r\n", "ERR Protocol error: expected '$', got '|'"),
    (b"*1\r\n%1\r\n", "ERR Protocol error: expected '$', got '%'"),
    (b"*1\r\n~1\r\n", "ERR Protocol error: expected '$', got '~'"),
    (b"*1\r\n_\r\n", "ERR Protocol error: expected '$', got '_'"),
    (b"*1\r\n,1.5\r\n", "ERR Protocol error: expected '$', got ','"),
    (b"*1\r\n#t\r\n", "ERR Protocol error: expected '$', got '#'"),
]


def probe_protocol_errors(c, t):
    for payload, want in PROTOCOL_ERRORS:
        conn = t.conn()
        try:
            t0 = time.monotonic()
            conn.send(payload)
            got = conn.reply()
            dt = time.monotonic() - t0
            c.ok("%r -> %s in %.0f ms" % (payload[:24], want, dt * 1000),
                 got == Err(want) and dt < 1.0 * SCALE, "got %r in %.3f s" % (got, dt))
            c.ok("%r -> connection closed" % payload[:24], conn.closed_within())
        except Exception as e:  # noqa: BLE001
            c.ok("%r" % payload[:24], False, "%s: %s" % (type(e).__name__, e))
        finally:
            conn.close()
    # 100 MB inline request without a newline: refused after 64 KB, not buffered.
    out, closed, dt = send_drain(t.port, b"a" * (100 << 20))
    c.ok("100 MB inline request -> too big inline request, closed, in %.1f s" % dt,
         out == b"-ERR Protocol error: too big inline request\r\n" and closed and dt < 10 * SCALE,
         "got %r closed=%s" % (out[:80], closed))


def probe_resp3_frames(c, t):
    """A request not starting with '*' is an inline command in Redis: RESP3 frames sent as
    requests get one "unknown command" per line, as redis-server 7.0 answers, and the
    connection stays usable."""
    frames = [b">2\r\n", b"|1\r\n", b"%1\r\n", b"~1\r\n", b"_\r\n", b",1.5\r\n", b"#t\r\n", b"(12345\r\n",
              b"!3\r\n", b"=3\r\n"]
    conn = t.conn()
    for f in frames:
        name = f[:-2].decode()
        conn.send(f)
        c.eq("RESP3 frame %r as a request" % name, conn.reply(),
             Err("ERR unknown command '%s', with args beginning with: " % name))
    c.eq("connection still usable after RESP3 frames", conn.cmd("PING"), "PONG")
    c.eq("HELLO 4 -> NOPROTO", conn.cmd("HELLO", "4"), Err("NOPROTO unsupported protocol version"))
    c.eq("HELLO 4 leaves the connection usable", conn.cmd("PING"), "PONG")
    conn.close()


def read_all(conn, n):
    out = []
    try:
        for _ in range(n):
            out.append(conn.reply())
    except Closed:
        out.append("<closed>")
    return out


def probe_client_kill_self(c, t):
    conn = t.conn()
    cid = conn.cmd("CLIENT", "ID")
    conn.cmd("DEL", "hostile:k1", "hostile:k2", "hostile:k3", "hostile:k4")
    conn.send(encode("SET", "hostile:k1", "v") + encode("CLIENT", "KILL", "ID", cid) +
              encode("SET", "hostile:k2", "v") + encode("PING"))
    c.eq("CLIENT KILL ID <own id> (SKIPME yes by default) in a pipeline", read_all(conn, 4),
         ["OK", 0, "OK", "PONG"])
    conn.send(encode("SET", "hostile:k3", "v") + encode("CLIENT", "KILL", "ID", cid, "SKIPME", "no") +
              encode("SET", "hostile:k4", "v") + encode("PING"))
    c.eq("CLIENT KILL ID <own id> SKIPME no: replies then closed, rest of pipeline dropped",
         read_all(conn, 4), ["OK", 1, "<closed>"])
    conn.close()
    conn = t.conn()
    c.eq("commands before the kill ran, after it did not",
         [conn.cmd("EXISTS", k) for k in ("hostile:k1", "hostile:k2", "hostile:k3", "hostile:k4")], [1, 1, 1, 0])
    conn.close()


def load_keys(t, n, prefix):
    conn = t.conn()
    batch = 5000
    for start in range(0, n, batch):
        conn.send(b"".join(encode("SET", "%s%d" % (prefix, i), "v%d" % i) for i in range(start, min(n, start + batch))))
        for _ in range(start, min(n, start + batch)):
            conn.reply()
    size = conn.cmd("DBSIZE")
    conn.close()
    return size


def probe_flushall_during_invalidate(c, t):
    n = 200000
    size = load_keys(t, n, "fl:")
    c.ok("200k keys loaded by pipeline", size >= n, "DBSIZE %r" % size)
    results = {}

    def invalidate():
        conn = t.conn()
        results["inv"] = timed(conn.cmd, "INVALIDATE", "fl:*1*")  # not a prefix: walks the keys
        conn.close()
    th = threading.Thread(target=invalidate)
    th.start()
    time.sleep(0.005)
    conn = t.conn()
    results["flush"] = timed(conn.cmd, "FLUSHALL", "ASYNC")
    th.join(30)
    inv = results.get("inv", (None, 0))
    c.ok("INVALIDATE fl:*1* answered an integer (%r keys in %.3f s)" % inv,
         not th.is_alive() and isinstance(inv[0], int), "got %r" % (inv,))
    c.ok("FLUSHALL ASYNC answered OK in %.3f s" % results["flush"][1], results["flush"][0] == "OK")
    deadline, size = time.monotonic() + 10, None
    while time.monotonic() < deadline:
        size = conn.cmd("DBSIZE")
        if size == 0:
            break
        time.sleep(0.05)
    c.eq("DBSIZE 0 after FLUSHALL ASYNC", size, 0)
    conn.cmd("SET", CANARY[0], CANARY[1])  # FLUSHALL took the canary on this daemon by design
    conn.close()


def connected_clients(t):
    conn = t.conn()
    info = conn.cmd("INFO", "clients").decode()
    conn.close()
    for line in info.splitlines():
        if line.startswith("connected_clients:"):
            return int(line.split(":")[1])
    return -1


def pipeline_writer(port):
    """Child: writes SETs with 1 KB values as fast as possible, never reading, until killed
    (reconnecting if the daemon closes the connection, so it is always mid-pipeline)."""
    chunk = b"".join(encode("SET", "pw:%d" % i, "x" * 1024) for i in range(1000))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection((HOST, port), timeout=60)
            while time.monotonic() < deadline:
                s.sendall(chunk)
        except OSError:
            time.sleep(0.01)


def probe_kill9_mid_pipeline(c, t):
    before = connected_clients(t)
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--pipeline-writer", str(t.port)])
    time.sleep(0.5)
    c.ok("pipeline writer still writing after 0.5 s", child.poll() is None)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    deadline, now = time.monotonic() + 5 * SCALE, None
    while time.monotonic() < deadline:
        now = connected_clients(t)
        if now <= before:
            break
        time.sleep(0.05)
    c.ok("killed client's connection released (connected_clients %s -> %s)" % (before, now), now <= before)
    conn = t.conn()
    conn.cmd("UNLINK", *["pw:%d" % i for i in range(1000)])
    conn.close()


def probe_rest(c, t, auth):
    secret = t.password or "any"  # without --requirepass any non-empty token is accepted
    token = {"Authorization": "Bearer " + secret}
    deep = b"[" * 100000 + b"]" * 100000
    st, body = http_request(t.http_port, "POST", "/", deep, token)
    c.ok("REST 100k-deep JSON -> 400 JSON error", st == 400 and body.startswith(b'{"error":"ERR'), "%r %r" % (st, body[:100]))
    st, body = http_request(t.http_port, "POST", "/", b'["PING"]', dict(token, **{"X-Big": "a" * (100 << 10)}))
    c.ok("REST 100 KB header -> 431", st == 431, "%r %r" % (st, body[:100]))
    head = ("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
            % (secret, 100 << 20)).encode()
    (st, body), dt = timed(http_raw, t.http_port, head + b"[" + b" " * (1 << 20))
    c.ok("REST 100 MB body declared -> 413 before it is sent (%.0f ms)" % (dt * 1000), st == 413 and dt < 2 * SCALE,
         "%r %r" % (st, body[:100]))
    st, body = http_request(t.http_port, "POST", "/", b'["SET","k",', token)
    c.ok("REST bad JSON -> 400", st == 400 and body.startswith(b'{"error":"'), "%r %r" % (st, body[:100]))
    st, body = http_request(t.http_port, "POST", "/", b'["NOSUCHCMD","x"]', token)
    c.ok("REST unknown command -> 400 ERR unknown command", st == 400 and b"ERR unknown command" in body,
         "%r %r" % (st, body[:100]))
    if auth:
        st, body = http_request(t.http_port, "POST", "/", b'["GET","%s"]' % CANARY[0].encode())
        c.eq("REST without a token -> 401", (st, body), (401, b'{"error":"Unauthorized"}'))
        st, body = http_request(t.http_port, "POST", "/", b'["GET","x"]', {"Authorization": "Bearer wrong"})
        c.eq("REST with a wrong token -> 401", (st, body), (401, b'{"error":"Unauthorized"}'))
        conn = Conn(t.port)
        c.eq("RESP without AUTH -> NOAUTH", conn.cmd("GET", CANARY[0]), Err("NOAUTH Authentication required."))
        conn.close()


def run(c, name, t, fn, *args):
    c.run(name, fn, t, *args)
    healthy(c, t, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline-writer", type=int, default=0)
    ap.add_argument("--port", type=int)
    ap.add_argument("--http-port", type=int)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--auth-port", type=int)
    ap.add_argument("--auth-http-port", type=int)
    ap.add_argument("--auth-pid", type=int, default=0)
    ap.add_argument("--password", default="")
    ap.add_argument("--flush-port", type=int)
    ap.add_argument("--flush-http-port", type=int)
    ap.add_argument("--flush-pid", type=int, default=0)
    a = ap.parse_args()
    if a.pipeline_writer:
        pipeline_writer(a.pipeline_writer)
        return 0
    main_t = Target("main", a.port, a.http_port, a.pid)
    auth_t = Target("auth", a.auth_port, a.auth_http_port, a.auth_pid, a.password)
    flush_t = Target("flush", a.flush_port, a.flush_http_port, a.flush_pid)
    c = Checks("")
    for t in (main_t, auth_t, flush_t):
        conn = t.conn()
        conn.cmd("SET", CANARY[0], CANARY[1])
        conn.close()
        healthy(c, t, "start")
    run(c, "glob CVE-2022-36021 pattern", main_t, probe_glob_cve)
    run(c, "glob CVE-2022-36021 pattern (auth)", auth_t, probe_glob_cve)
    for seed, size in ((1, 1 << 20), (2, 4 << 20), (3, 10 << 20)):
        run(c, "RESP garbage seed %d" % seed, main_t, probe_garbage, seed, size, False)
        run(c, "HTTP garbage seed %d" % seed, main_t, probe_garbage, seed, size, True)
    run(c, "RESP garbage, unauthenticated", auth_t, probe_garbage, 4, 1 << 20, False)
    run(c, "RESP garbage lines", main_t, probe_garbage_lines, 5, 1 << 20)
    run(c, "malformed RESP", main_t, probe_protocol_errors)
    run(c, "RESP3 frames and HELLO 4", main_t, probe_resp3_frames)
    run(c, "CLIENT KILL of oneself", main_t, probe_client_kill_self)
    run(c, "kill -9 mid-pipeline", main_t, probe_kill9_mid_pipeline)
    run(c, "REST bad input", main_t, probe_rest, False)
    run(c, "REST bad input (auth)", auth_t, probe_rest, True)
    run(c, "FLUSHALL ASYNC during INVALIDATE", flush_t, probe_flushall_during_invalidate)
    for t in (main_t, auth_t):
        healthy(c, t, "all probes")
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
