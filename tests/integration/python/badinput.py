#!/usr/bin/python3
"""tests/integration/python/badinput.py: bad and awkward input over raw sockets (stdlib only).

Sends malformed RESP, unknown commands, wrong arities and bad arguments, and checks the exact
error text redis-server 7.0.15 replies (recorded below, and checked against a real
redis-server by suite_badinput.sh), that a protocol error closes the connection, and that
nothing one client does hurts another: garbage, a huge bulk declared but never sent,
maxclients, missing AUTH, a command split into tiny writes, a 100-command pipeline in one
write and a 10 MB value. Every socket operation has a timeout; only 127.0.0.1 is used.

Usage: badinput.py --port P [--pid PID] [--auth-port P --password PW] [--maxclients-port P]
                   [--label NAME]
Prints one line per check and ends with "N passed, N failed".
"""
import argparse
import os
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 5.0

# Error texts exactly as redis-server 7.0.15 sends them (without the leading '-' and CRLF).
E_MBULK_LEN = "ERR Protocol error: invalid multibulk length"
E_BULK_LEN = "ERR Protocol error: invalid bulk length"
E_EXPECTED_DOLLAR = "ERR Protocol error: expected '$', got 'x'"
E_UNBALANCED = "ERR Protocol error: unbalanced quotes in request"
E_BIG_INLINE = "ERR Protocol error: too big inline request"
E_UNAUTH_MBULK = "ERR Protocol error: unauthenticated multibulk length"
E_UNAUTH_BULK = "ERR Protocol error: unauthenticated bulk length"
E_UNKNOWN_X = "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' 'y' "
E_UNKNOWN_NOARGS = "ERR unknown command 'nosuch', with args beginning with: "
E_ARITY_GET = "ERR wrong number of arguments for 'get' command"
E_ARITY_SET = "ERR wrong number of arguments for 'set' command"
E_ARITY_CONFIG_GET = "ERR wrong number of arguments for 'config|get' command"
E_NOT_INT = "ERR value is not an integer or out of range"
E_NOT_FLOAT = "ERR value is not a valid float"
E_SYNTAX = "ERR syntax error"
E_EXPIRE_SET = "ERR invalid expire time in 'set' command"
E_OVERFLOW = "ERR increment or decrement would overflow"
E_CLIENT_SUB = "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."
E_SELECT = "ERR DB index is out of range"
E_NOPROTO = "NOPROTO unsupported protocol version"
E_EXEC_NO_MULTI = "ERR EXEC without MULTI"
E_DISCARD_NO_MULTI = "ERR DISCARD without MULTI"
E_MULTI_NESTED = "ERR MULTI calls can not be nested"
E_EXECABORT = "EXECABORT Transaction discarded because of previous errors."
E_NOAUTH = "NOAUTH Authentication required."
E_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
E_NOAUTH_HELLO = ("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                  "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                  "select the RESP protocol version at the same time")
E_MAXCLIENTS = "ERR max number of clients reached"


class Err(str):
    """An error reply (its text without '-')."""


class Closed(Exception):
    """The server closed the connection."""


class Conn:
    """One client connection with a small RESP2/RESP3 reply reader."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        self.send(encode(*args))
        return self.reply()

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise Closed()
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        tag, rest = line[:1], line[1:]
        if tag == b"+":
            return rest.decode()
        if tag == b"-":
            return Err(rest.decode())
        if tag == b":":
            return int(rest)
        if tag == b"_":
            return None
        if tag in (b"$", b"="):
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if tag in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if tag == b"%":
            return {self.reply(): self.reply() for _ in range(int(rest))}
        raise ValueError("unexpected reply line %r" % line)

    def closed_within(self, seconds=TIMEOUT):
        """True when the server closes the connection (after any pending bytes) in time."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False
            if not chunk:
                return True
        return False

    def close(self):
        self.sock.close()


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Checks:
    """Counts checks and prints them as "ok"/"FAIL" lines."""

    def __init__(self, label):
        self.label = label
        self.passed = 0
        self.failed = 0

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s%s" % (self.label, name))
        else:
            self.failed += 1
            print("FAIL %s%s%s" % (self.label, name, ": " + detail if detail else ""))
        sys.stdout.flush()

    def eq(self, name, got, want):
        self.ok(name, got == want, "got %r, want %r" % (got, want))

    def run(self, name, fn, *args):
        """Runs one group of checks; an exception (timeout, reset) counts as one failure."""
        try:
            fn(self, *args)
        except Exception as e:  # noqa: BLE001 - any exception is a failed check here
            self.ok(name, False, "%s: %s" % (type(e).__name__, e))


def protocol_error(c, port, name, payload, want):
    """Sends one malformed request: the exact error, then the connection is closed."""
    conn = Conn(port)
    try:
        conn.send(payload)
        c.eq(name + " -> error text", conn.reply(), Err(want))
        c.ok(name + " -> connection closed", conn.closed_within(), "still open after the error")
    finally:
        conn.close()


def protocol_error_held_back(c, port, mode):
    """CLIENT REPLY OFF or SKIP holds back a protocol error's text too (Redis's addReplyError sends
    nothing to such a client): nothing arrives, whether the connection then closes (shardcached)
    or stays open reading nothing more (redis-server)."""
    conn = Conn(port)
    try:
        conn.send(b"CLIENT REPLY " + mode.encode() + b"\r\n*1\r\n$x\r\n")
        got = b""
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            conn.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = conn.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            got += chunk
        c.eq("CLIENT REPLY %s, then a bad bulk length: nothing is sent" % mode, got, b"")
    finally:
        conn.close()


def group_protocol(c, port):
    cases = [
        ("*abc", b"*abc\r\n", E_MBULK_LEN),
        ("$-5 bulk", b"*1\r\n$-5\r\n", E_BULK_LEN),
        ("*1 then x", b"*1\r\nx\r\n", E_EXPECTED_DOLLAR),
        ("inline unbalanced quotes", b'SET "a b\r\n', E_UNBALANCED),
        ("inline single quote unbalanced", b"GET 'a\r\n", E_UNBALANCED),
        ("inline > 64KB without newline", b"a" * (70 * 1024), E_BIG_INLINE),
        ("bulk over proto-max-bulk-len (512mb + 1)", b"*1\r\n$536870913\r\n", E_BULK_LEN),
        ("bulk length not a number", b"*1\r\n$abc\r\n", E_BULK_LEN),
    ]
    for name, payload, want in cases:
        c.run(name, protocol_error, port, name, payload, want)
    for mode in ("OFF", "SKIP"):
        c.run("protocol error under CLIENT REPLY " + mode, protocol_error_held_back, port, mode)


def check_inline_and_empty(c, port):
    conn = Conn(port)
    conn.send(b"\r\n*0\r\n\r\nSET \"in line\" 'v \\'q\\''\r\n")
    c.eq("empty lines and *0 are skipped; inline quoting", conn.reply(), "OK")
    c.eq("inline quoted key reads back", conn.cmd("GET", "in line"), b"v 'q'")
    conn.send(b"PING\n")
    c.eq("inline command ended by bare LF", conn.reply(), "PONG")
    conn.close()


def group_commands(c, port):
    conn = Conn(port)
    long_name = "n" * 200
    long_arg = "a" * 200
    cases = [
        ("unknown command with args", ("NOSUCHCMD", "x", "y"), E_UNKNOWN_X),
        ("unknown command without args", ("nosuch",), E_UNKNOWN_NOARGS),
        ("unknown command: name and args cut at 128",
         (long_name, long_arg),
         "ERR unknown command '%s', with args beginning with: '%s' " % ("n" * 128, "a" * 128)),
        ("unknown command: each arg gets the room left of 128",
         ("nnn", "a" * 100, "b" * 100),
         "ERR unknown command 'nnn', with args beginning with: '%s' '%s' " % ("a" * 100, "b" * 25)),
        ("unknown command: CR and LF in args become spaces", ("foo", "a\r\nb"),
         "ERR unknown command 'foo', with args beginning with: 'a  b' "),
        ("GET without key", ("GET",), E_ARITY_GET),
        ("GET with two keys", ("get", "a", "b"), E_ARITY_GET),
        ("SET with one arg", ("SET", "k"), E_ARITY_SET),
        ("CONFIG GET without pattern", ("CONFIG", "GET"), E_ARITY_CONFIG_GET),
        ("SET XX NX", ("SET", "k", "v", "XX", "NX"), E_SYNTAX),
        ("SET EX 0", ("SET", "k", "v", "EX", "0"), E_EXPIRE_SET),
        ("SET EX -1", ("SET", "k", "v", "EX", "-1"), E_EXPIRE_SET),
        ("SET EX abc", ("SET", "k", "v", "EX", "abc"), E_NOT_INT),
        ("SET unknown option", ("SET", "k", "v", "FOO"), E_SYNTAX),
        ("EXPIRE abc", ("EXPIRE", "k", "abc"), E_NOT_INT),
        ("CLIENT NOSUCH", ("CLIENT", "NOSUCH"), E_CLIENT_SUB),
        ("SELECT 16 (shardcached has only db 0; redis 16 dbs)", ("SELECT", "16"), E_SELECT),
        ("SELECT abc", ("SELECT", "abc"), E_NOT_INT),
        ("HELLO 4", ("HELLO", "4"), E_NOPROTO),
        ("EXEC without MULTI", ("EXEC",), E_EXEC_NO_MULTI),
        ("DISCARD without MULTI", ("DISCARD",), E_DISCARD_NO_MULTI),
    ]
    try:
        for name, args, want in cases:
            c.eq(name, conn.cmd(*args), Err(want))
        c.eq("SET a non-integer", conn.cmd("SET", "bi:s", "abc"), "OK")
        c.eq("INCR non-integer", conn.cmd("INCR", "bi:s"), Err(E_NOT_INT))
        c.eq("INCRBYFLOAT non-float", conn.cmd("INCRBYFLOAT", "bi:s", "1"), Err(E_NOT_FLOAT))
        c.eq("INCRBY by a non-integer", conn.cmd("INCRBY", "bi:n", "1.5"), Err(E_NOT_INT))
        conn.cmd("SET", "bi:n", "9223372036854775806")
        c.eq("INCR to INT64_MAX", conn.cmd("INCR", "bi:n"), 9223372036854775807)
        c.eq("INCR past INT64_MAX", conn.cmd("INCR", "bi:n"), Err(E_OVERFLOW))
        c.eq("connection still serves after command errors", conn.cmd("PING"), "PONG")
        print("skip %sWRONGTYPE: every key holds a string; no other types exist" % c.label)
    finally:
        conn.close()


def check_transactions(c, port):
    conn = Conn(port)
    try:
        conn.cmd("DEL", "tx:k")
        c.eq("MULTI", conn.cmd("MULTI"), "OK")
        c.eq("nested MULTI", conn.cmd("MULTI"), Err(E_MULTI_NESTED))
        c.eq("queued", conn.cmd("SET", "tx:k", "1"), "QUEUED")
        c.eq("queued arity error", conn.cmd("GET"), Err(E_ARITY_GET))
        c.eq("EXEC after a queue-time error", conn.cmd("EXEC"), Err(E_EXECABORT))
        c.eq("aborted transaction wrote nothing", conn.cmd("EXISTS", "tx:k"), 0)
        conn.cmd("MULTI")
        conn.cmd("SET", "tx:k", "abc")
        conn.cmd("INCR", "tx:k")
        conn.cmd("GET", "tx:k")
        c.eq("run-time error inside EXEC does not abort the rest",
             conn.cmd("EXEC"), ["OK", Err(E_NOT_INT), b"abc"])
    finally:
        conn.close()


def check_garbage_isolated(c, port):
    good = Conn(port)
    bad = Conn(port)
    try:
        good.cmd("SET", "iso:key", "precious")
        bad.send(b"*1\r\n$4\r\nPING\r\n*zz\r\n" + os.urandom(4096))
        c.eq("garbage sender: replies before the garbage still arrive", bad.reply(), "PONG")
        c.eq("garbage sender gets the protocol error", bad.reply(), Err(E_MBULK_LEN))
        c.ok("garbage sender is disconnected", bad.closed_within())
        c.eq("other client's data survives", good.cmd("GET", "iso:key"), b"precious")
        c.eq("other client's connection still works", good.cmd("PING"), "PONG")
    finally:
        good.close()
        bad.close()


def check_tiny_writes(c, port):
    conn = Conn(port)
    try:
        payload = encode("SET", "split:key", "split value") + encode("GET", "split:key")
        for i in range(len(payload)):
            conn.send(payload[i:i + 1])
            time.sleep(0.002)
        c.eq("command split into 1-byte writes: SET", conn.reply(), "OK")
        c.eq("command split into 1-byte writes: GET", conn.reply(), b"split value")
    finally:
        conn.close()


def check_pipeline_100(c, port):
    conn = Conn(port)
    try:
        conn.cmd("DEL", "pipe:counter")
        batch = []
        for i in range(50):
            batch.append(encode("SET", "pipe:%d" % i, "v%d" % i))
            batch.append(encode("INCR", "pipe:counter"))
        conn.send(b"".join(batch))
        replies = [conn.reply() for _ in range(100)]
        want = []
        for i in range(50):
            want += ["OK", i + 1]
        c.eq("100-command pipeline in one write answered in order", replies, want)
        conn.send(b"".join(encode("GET", "pipe:%d" % i) for i in range(50)))
        got = [conn.reply() for _ in range(50)]
        c.eq("pipelined values read back", got, [b"v%d" % i for i in range(50)])
    finally:
        conn.close()


def check_big_value(c, port):
    conn = Conn(port)
    try:
        value = (os.urandom(1024) + b"\r\n$5\r\n*1\r\n") * (10 * 1024 * 1024 // 1034 + 1)
        value = value[:10 * 1024 * 1024]
        c.eq("SET 10 MB binary value", conn.cmd("SET", "big:value", value), "OK")
        c.eq("STRLEN 10 MB", conn.cmd("STRLEN", "big:value"), len(value))
        got = conn.cmd("GET", "big:value")
        c.ok("GET returns the same 10 MB", got == value, "length %d" % (len(got) if got else -1))
        c.eq("DEL 10 MB value", conn.cmd("DEL", "big:value"), 1)
    finally:
        conn.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def check_huge_bulk_never_sent(c, port, pid):
    before = rss_kb(pid) if pid else 0
    hogs = []
    try:
        for i in range(3):
            hog = Conn(port)
            hog.send(b"*3\r\n$3\r\nSET\r\n$7\r\nhuge:%02d\r\n$400000000\r\n" % i + b"x" * 1000)
            hogs.append(hog)
        peak = before
        for _ in range(10):  # give the server a second to do whatever it does with them
            time.sleep(0.1)
            peak = max(peak, rss_kb(pid) if pid else 0)
        if pid:
            grown_mb = (peak - before) / 1024
            c.ok("3 declared but unsent 400 MB bulks do not take their size in memory",
                 grown_mb < 64, "RSS grew %.0f MB" % grown_mb)
        c.ok("the server waits for the rest of the declared bulks",
             not any(hog.closed_within(0.05) for hog in hogs), "a hog was answered or closed")
        other = Conn(port)
        start = time.monotonic()
        for i in range(200):
            other.cmd("SET", "other:%d" % i, "v")
        ok = all(other.cmd("GET", "other:%d" % i) == b"v" for i in range(200))
        elapsed = time.monotonic() - start
        c.ok("others are served while 3 clients hold a declared 400 MB bulk", ok)
        c.ok("others' 400 commands take under 2 s", elapsed < 2.0, "%.2f s" % elapsed)
        for hog in hogs:
            hog.close()
        c.eq("server still answers after the hogs leave", other.cmd("PING"), "PONG")
        other.close()
    finally:
        for hog in hogs:
            hog.close()


def check_auth(c, port, password):
    conn = Conn(port)
    try:
        c.eq("no AUTH: GET gets NOAUTH", conn.cmd("GET", "k"), Err(E_NOAUTH))
        # Redis 7 checks the command's existence and arity before authentication.
        c.eq("no AUTH: GET without a key gets the arity error first", conn.cmd("GET"), Err(E_ARITY_GET))
        c.eq("no AUTH: an unknown command gets unknown command first", conn.cmd("NOSUCH", "x"),
             Err("ERR unknown command 'NOSUCH', with args beginning with: 'x' "))
        c.eq("no AUTH: an unknown subcommand gets unknown subcommand first", conn.cmd("CLIENT", "NOSUCH"),
             Err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."))
        c.eq("no AUTH: HELLO 3 gets the HELLO NOAUTH text", conn.cmd("HELLO", "3"), Err(E_NOAUTH_HELLO))
        c.eq("AUTH with a wrong password", conn.cmd("AUTH", "wrong"), Err(E_WRONGPASS))
        c.eq("AUTH default user, wrong password", conn.cmd("AUTH", "default", "wrong"), Err(E_WRONGPASS))
        c.eq("AUTH with the password", conn.cmd("AUTH", password), "OK")
        c.eq("after AUTH: SET", conn.cmd("SET", "auth:k", "v"), "OK")
        c.eq("after AUTH: GET", conn.cmd("GET", "auth:k"), b"v")
    finally:
        conn.close()
    conn = Conn(port)
    try:
        hello = conn.cmd("HELLO", "3", "AUTH", "default", password, "SETNAME", "helloer")
        c.ok("HELLO 3 AUTH default pw SETNAME: map with proto 3",
             isinstance(hello, dict) and hello.get(b"proto") == 3, repr(hello))
        c.eq("HELLO SETNAME took effect", conn.cmd("CLIENT", "GETNAME"), b"helloer")
        c.eq("RESP3 null after HELLO 3", conn.cmd("GET", "auth:missing"), None)
    finally:
        conn.close()
    for name, payload, want in [
        ("unauthenticated multibulk count over 10", b"*11\r\n", E_UNAUTH_MBULK),
        ("unauthenticated bulk over 16 KB", b"*2\r\n$3\r\nGET\r\n$16385\r\n", E_UNAUTH_BULK),
    ]:
        c.run(name, protocol_error, port, name, payload, want)


def check_maxclients(c, port):
    first, second = Conn(port), Conn(port)
    try:
        c.eq("maxclients 2: first client", first.cmd("PING"), "PONG")
        c.eq("maxclients 2: second client", second.cmd("PING"), "PONG")
        third = Conn(port)
        try:
            third.send(encode("PING"))
            c.eq("maxclients 2: third client is refused", third.reply(), Err(E_MAXCLIENTS))
            c.ok("maxclients 2: third client is disconnected", third.closed_within())
        finally:
            third.close()
        first.close()
        deadline = time.monotonic() + 3
        got = None
        while time.monotonic() < deadline and got != "PONG":
            fresh = Conn(port)
            try:
                got = fresh.cmd("PING")
            except Closed:
                got = None
            fresh.close()
            if got != "PONG":
                time.sleep(0.05)
        c.eq("a slot freed by a disconnect is usable again", got, "PONG")
        c.eq("the second client was never disturbed", second.cmd("PING"), "PONG")
    finally:
        first.close()
        second.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--auth-port", type=int, default=0)
    ap.add_argument("--password", default="")
    ap.add_argument("--maxclients-port", type=int, default=0)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    c = Checks("[%s] " % a.label if a.label else "")
    group_protocol(c, a.port)
    c.run("inline and empty requests", check_inline_and_empty, a.port)
    c.run("command errors", group_commands, a.port)
    c.run("transaction errors", check_transactions, a.port)
    c.run("garbage from one client", check_garbage_isolated, a.port)
    c.run("tiny writes", check_tiny_writes, a.port)
    c.run("100-command pipeline", check_pipeline_100, a.port)
    c.run("10 MB value", check_big_value, a.port)
    c.run("huge bulk never sent", check_huge_bulk_never_sent, a.port, a.pid)
    if a.auth_port:
        c.run("auth", check_auth, a.auth_port, a.password)
    if a.maxclients_port:
        c.run("maxclients", check_maxclients, a.maxclients_port)
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
