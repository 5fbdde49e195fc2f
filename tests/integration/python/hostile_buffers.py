"""tests/integration/hostile_buffers.py: hostile-client checks for suite_hostile_buffers.sh.

Each part drives a daemon the suite started (RESP port, HTTP port, pid given on the command
line) with raw sockets, and prints one "ok   <name>" or "FAIL <name>: <why>" line per check.
Every loop is bounded in count and time.
"""
import http.client
import json
import os
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from badinput import encode as resp  # noqa: E402  (same folder: one RESP encoder for the raw-socket scripts)

PORT = HTTP_PORT = PID = 0


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)), flush=True)


# Under ASan (tools/test's sanitizer pass sets SC_SANITIZED=1) shadow memory, redzones and the
# free quarantine make RSS say nothing about the daemon's buffers: the probes still run and every
# other check still holds, but the RSS bounds are reported as skipped.
SANITIZED = os.environ.get("SC_SANITIZED") == "1"


def check_rss(name, cond, why=""):
    if SANITIZED:
        print("skip " + name + " (RSS under a sanitizer)", flush=True)
    else:
        check(name, cond, why)


def status(field):
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class Client:
    """A small blocking RESP client (replies read whole; enough for control commands)."""

    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":"):
            return rest.decode()
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.s.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if t == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise ValueError(line)

    def cmd(self, *args):
        self.s.sendall(resp(*args))
        return self._reply()

    def close(self):
        self.s.close()


def info_field(c, section, name):
    for line in c.cmd("INFO", section).split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def client_line(c, name):
    for line in c.cmd("CLIENT", "LIST").split("\n"):
        if f" name={name} " in line:
            return line
    return None


def flooder(name, count, key="big"):
    """A socket that names itself, then pipelines `count` GETs of `key` and never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # little kernel buffering: replies stay in the daemon
    s.connect(("127.0.0.1", PORT))
    s.settimeout(5)
    s.sendall(resp("CLIENT", "SETNAME", name))
    time.sleep(0.05)
    try:
        s.sendall(resp("GET", key) * count)
    except OSError:
        pass  # closed by the daemon while we were still sending
    return s


def wait_until(fn, secs):
    end = time.time() + secs
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.05)
    return fn()


def part_hard():
    c = Client()
    c.cmd("SET", "canary", "still-here")
    c.cmd("SET", "big", "x" * (1 << 20))
    base = status("VmRSS")
    latencies = []
    stop = threading.Event()

    def pinger():
        p = Client()
        while not stop.is_set() and len(latencies) < 2000:
            t0 = time.perf_counter()
            p.cmd("PING")
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.005)
        p.close()

    th = threading.Thread(target=pinger)
    th.start()
    f = flooder("flood", 2000)
    closed = wait_until(lambda: client_line(c, "flood") is None, 10)
    time.sleep(0.2)
    stop.set()
    th.join(10)
    f.close()
    peak = status("VmHWM")
    limit = 64 << 20
    check("hard limit: the non-reading pipeline of 2000 GETs of 1 MB is closed", closed)
    check("hard limit: counted in INFO stats",
          info_field(c, "stats", "client_output_buffer_limit_disconnections") == "1",
          info_field(c, "stats", "client_output_buffer_limit_disconnections"))
    check_rss(f"hard limit: peak RSS {peak >> 20} MB < 2 x 64 MB + base {base >> 20} MB", peak < 2 * limit + base)
    mx = max(latencies) if latencies else 99
    check(f"hard limit: another client's PING answered meanwhile (max {mx * 1000:.1f} ms of {len(latencies)}) < 100 ms",
          latencies and mx < 0.1)
    check("hard limit: the canary key is intact", c.cmd("GET", "canary") == "still-here")
    c.close()


def part_runtime():
    c = Client()
    c.cmd("SET", "big", "x" * (1 << 20))
    before = int(info_field(c, "stats", "client_output_buffer_limit_disconnections"))
    check("CONFIG SET client-output-buffer-limit (hard 4mb)",
          c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0") == "OK")
    check("CONFIG GET shows it in Redis's format",
          c.cmd("CONFIG", "GET", "client-output-buffer-limit")[1].startswith("normal 4194304 0 0 slave "))
    f = flooder("small", 40)
    closed = wait_until(lambda: client_line(c, "small") is None, 5)
    check("the lowered hard limit closes a 40 MB pipeline", closed)
    f.close()
    after = int(info_field(c, "stats", "client_output_buffer_limit_disconnections"))
    check("the lowered limit's close is counted", after == before + 1, (before, after))
    r = Client()
    check("a GET of 1 MB under the 4 MB limit is answered", len(r.cmd("GET", "big")) == 1 << 20)
    r.close()
    # Soft limit: over 2 MB for more than 1 s closes; not before.
    c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 0 2mb 1")
    f = flooder("soft", 30)
    time.sleep(0.4)
    line = client_line(c, "soft")
    check("soft limit: still connected before its seconds are up", line is not None)
    closed = wait_until(lambda: client_line(c, "soft") is None, 4)
    check("soft limit: closed once over it for more than 1 s", closed)
    f.close()
    c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 256mb 0 0")
    c.close()


def part_rest():
    c = Client()
    c.cmd("SET", "big", "y" * (1 << 20))
    c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 32mb 0 0")
    before = int(info_field(c, "stats", "client_output_buffer_limit_disconnections"))
    base = status("VmRSS")
    body = json.dumps([["get", "big"]] * 300)
    h = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    outcome = "answered"
    try:
        h.request("POST", "/pipeline", body=body, headers={"Authorization": "Bearer t"})
        res = h.getresponse()
        outcome = f"answered {res.status} with {len(res.read())} bytes"
    except (http.client.RemoteDisconnected, ConnectionError, OSError):
        outcome = "closed"
    h.close()
    check("REST: a /pipeline of 300 GETs of 1 MB is closed, not answered", outcome == "closed", outcome)
    after = int(info_field(c, "stats", "client_output_buffer_limit_disconnections"))
    check("REST: counted", after == before + 1, (before, after))
    grown = status("VmHWM") - base
    check_rss(f"REST: peak RSS grew {grown >> 20} MB < 2 x 32 MB", grown < 64 << 20)
    h = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    h.request("POST", "/pipeline", body=json.dumps([["get", "big"]] * 3), headers={"Authorization": "Bearer t"})
    res = h.getresponse()
    data = json.loads(res.read())
    check("REST: a /pipeline under the limit is answered", res.status == 200 and len(data) == 3 and len(data[0]["result"]) == 1 << 20)
    h.close()
    c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 256mb 0 0")
    c.close()


def part_evict():
    c = Client()
    c.cmd("CLIENT", "NO-EVICT", "on")
    c.cmd("CLIENT", "SETNAME", "control")
    c.cmd("SET", "big", "z" * (1 << 20))
    check("maxmemory-clients: CONFIG SET 5mb", c.cmd("CONFIG", "SET", "maxmemory-clients", "5mb") == "OK")
    before = int(info_field(c, "stats", "evicted_clients"))
    keep = flooder("keeper", 1)  # a small, unprotected client
    a = flooder("victim", 12)
    evicted = wait_until(lambda: client_line(c, "victim") is None, 5)
    check("maxmemory-clients: the client holding 12 MB of replies is evicted", evicted)
    check("maxmemory-clients: counted in evicted_clients",
          int(info_field(c, "stats", "evicted_clients")) >= before + 1)
    check("maxmemory-clients: the small client stays", client_line(c, "keeper") is not None)
    a.close()
    # A protected client holding more than the limit stays.
    p = Client()
    p.cmd("CLIENT", "SETNAME", "protected")
    p.cmd("CLIENT", "NO-EVICT", "on")
    p.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    p.s.sendall(resp("GET", "big") * 12)
    time.sleep(0.5)
    line = client_line(c, "protected") or ""
    check("CLIENT NO-EVICT on: a client over maxmemory-clients is not evicted", "flags=e" in line, line[:200])
    omem = int(line.split(" omem=")[1].split()[0]) if " omem=" in line else 0
    check(f"CLIENT LIST omem shows its pending replies ({omem >> 20} MB)", omem > 4 << 20)
    mem_clients = int(info_field(c, "memory", "mem_clients_normal"))
    check(f"INFO mem_clients_normal counts them ({mem_clients >> 20} MB)", mem_clients > 4 << 20)
    p.close()
    keep.close()
    c.cmd("CONFIG", "SET", "maxmemory-clients", "0")
    c.close()


def part_read_paths():
    """Input that fills the connection's inline read buffer (about 1 KB) or does not fit in it
    moves to a pooled buffer without losing or reordering bytes."""
    c = Client()
    val = "v" * 100
    batch = b"".join(resp("SET", f"rp:{i}", val + str(i)) for i in range(60))  # ~9 KB in one write
    c.s.sendall(batch)
    oks = [c._reply() for _ in range(60)]
    check("a 60-SET pipeline in one write: 60 OKs", oks == ["OK"] * 60)
    got = [c.cmd("GET", f"rp:{i}") for i in (0, 31, 59)]
    check("its values are all stored", got == [val + "0", val + "31", val + "59"])
    for size in (900, 992, 993, 5000):  # a request below, at, just over and far over the inline size
        n = size - len(resp("SET", "rp:big", ""))
        n -= len(str(n)) - 1  # the length's digits
        req = resp("SET", "rp:big", "b" * n)
        big = req.split(b"\r\n")[-2].decode()
        for off in range(0, len(req), 992):  # in inline-sized pieces, a pause between them
            c.s.sendall(req[off:off + 992])
            time.sleep(0.02)
        ok = c._reply()
        check(f"a {len(req)}-byte SET sent in 992-byte pieces is stored", ok == "OK" and c.cmd("GET", "rp:big") == big)
    c.close()


def part_idle_trim():
    """A connection idle for over 2 s gives back the output buffer a big reply left (as Redis's
    clientsCron resizes an idle client's buffers); it still answers afterwards."""
    c = Client()
    c.cmd("SET", "trim:big", "x" * 3000)
    t = Client()
    t.cmd("CLIENT", "SETNAME", "trimmed")

    def omem():
        for line in c.cmd("CLIENT", "LIST").splitlines():
            if " name=trimmed " in line:
                return int(line.split(" omem=")[1].split()[0])
        return -1

    got = t.cmd("GET", "trim:big")
    first = omem()
    check(f"after a 3000-byte reply the output buffer holds {first} bytes (>= 3000)", got == "x" * 3000 and first >= 3000)
    t0 = time.time()
    trimmed = wait_until(lambda: 0 <= omem() < 100, 6)
    check(f"idle {time.time() - t0:.1f} s: output buffer given back (omem={omem()})", trimmed)
    check("the trimmed connection still answers", t.cmd("GET", "trim:big") == "x" * 3000)
    t.close()
    c.close()


def part_idle():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = min(10000, hard - 200)
    c = Client()
    time.sleep(0.2)
    before = status("VmRSS")
    conns = []
    t0 = time.time()
    for _ in range(n):
        s = socket.socket()
        s.connect(("127.0.0.1", PORT))
        conns.append(s)
        if time.time() - t0 > 30:
            break
    connected = wait_until(lambda: int(info_field(c, "clients", "connected_clients")) >= len(conns) + 1, 15)
    check(f"{len(conns)} idle connections accepted", connected and len(conns) == n)
    time.sleep(0.3)
    after = status("VmRSS")
    per = (after - before) / max(len(conns), 1)
    check_rss(f"RSS per idle connection {per:.0f} bytes <= 4096 ({before >> 20} -> {after >> 20} MB)", per <= 4096)
    t1 = time.perf_counter()
    p = Client()
    pong = p.cmd("PING")
    dt = time.perf_counter() - t1
    check(f"PING on a new connection among them: {dt * 1000:.1f} ms < 10 ms", pong == "PONG" and dt < 0.010)
    p.close()
    for s in conns:
        s.close()
    c.close()
    print(f"measured: {len(conns)} idle connections, VmRSS {before} -> {after} bytes, {per:.0f} bytes each", flush=True)


def part_idle_rest():
    """REST keep-alive connections idle after one request each hold no read buffer either."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    time.sleep(0.3)
    before = status("VmRSS")
    conns = []
    for _ in range(3000):
        s = socket.create_connection(("127.0.0.1", HTTP_PORT))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        conns.append(s)
    answered = sum(1 for s in conns if s.recv(4096).startswith(b"HTTP/1.1 200"))
    time.sleep(0.3)
    after = status("VmRSS")
    per = (after - before) / len(conns)
    check_rss(f"REST: {answered} keep-alive connections idle after a request: {per:.0f} bytes of RSS each <= 4096",
          answered == len(conns) and per <= 4096)
    for s in conns:
        s.close()


if __name__ == "__main__":
    part, PORT, HTTP_PORT, PID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    try:
        globals()["part_" + part]()
    except Exception as e:  # a crash is a failed check, not a silent pass
        check(f"{part}: ran to the end", False, repr(e))
