#!/usr/bin/python3
"""tests/integration/python/test_redis_py.py: the daemon driven by redis-py (Debian python3-redis).

Plain calls, pipelines with and without MULTI/EXEC, scan_iter, errors as redis-py raises them,
AUTH through the client's password option, many threads on one connection pool, and RESP3
when the installed redis-py can speak it. Run by suite_python.sh with /usr/bin/python3 and
SC_PORT (plain daemon) and SC_AUTH_PORT / SC_PASSWORD (daemon with --requirepass) set.
Ends with the line "N passed, N failed" (skipped tests are listed, not counted).
Arguments, if any, name the tests to run: test_redis_py.py Pipelines Errors.test_texts
"""
import inspect
import json
import os
import sys
import threading
import time
import unittest

import redis

PORT = int(os.environ.get("SC_PORT", "6379"))
AUTH_PORT = int(os.environ.get("SC_AUTH_PORT", "0"))
PASSWORD = os.environ.get("SC_PASSWORD", "")


def client(**kw):
    """A client on 127.0.0.1 with timeouts on connect and on every call."""
    kw.setdefault("port", PORT)
    return redis.Redis(host="127.0.0.1", socket_timeout=5, socket_connect_timeout=5, **kw)


class PlainCalls(unittest.TestCase):
    def setUp(self):
        self.r = client()

    def tearDown(self):
        self.r.close()

    def test_set_get_and_options(self):
        r = self.r
        self.assertIs(r.set("py:s", "v1"), True)
        self.assertEqual(r.get("py:s"), b"v1")
        self.assertIsNone(r.get("py:missing"))
        self.assertIsNone(r.set("py:s", "x", nx=True))
        self.assertEqual(r.get("py:s"), b"v1")
        self.assertIsNone(r.set("py:new", "x", xx=True))
        self.assertEqual(r.exists("py:new"), 0)
        self.assertIs(r.set("py:s", "v2", xx=True), True)
        self.assertEqual(r.set("py:s", "v3", get=True), b"v2")
        self.assertIs(r.set("py:nx", "first", nx=True), True)

    def test_set_expiry_options(self):
        r = self.r
        r.set("py:ex", "v", ex=100)
        self.assertTrue(98 <= r.ttl("py:ex") <= 100)
        r.set("py:px", "v", px=100000)
        self.assertTrue(98000 <= r.pttl("py:px") <= 100000)
        r.set("py:px", "v2", keepttl=True)
        self.assertGreater(r.pttl("py:px"), 0)
        at = int(time.time()) + 500
        r.set("py:exat", "v", exat=at)
        self.assertEqual(r.execute_command("EXPIRETIME", "py:exat"), at)
        self.assertTrue(497 <= r.ttl("py:exat") <= 500)
        r.set("py:pxat", "v", pxat=at * 1000)
        self.assertTrue(497000 <= r.pttl("py:pxat") <= 500000)
        self.assertIs(r.setex("py:setex", 60, "v"), True)
        self.assertTrue(58 <= r.ttl("py:setex") <= 60)
        self.assertIs(r.psetex("py:psetex", 60000, "v"), True)
        self.assertEqual(r.getex("py:psetex", persist=True), b"v")
        self.assertEqual(r.ttl("py:psetex"), -1)

    def test_key_expires(self):
        self.r.set("py:short", "v", px=150)
        self.assertEqual(self.r.get("py:short"), b"v")
        time.sleep(0.4)
        self.assertIsNone(self.r.get("py:short"))
        self.assertEqual(self.r.exists("py:short"), 0)

    def test_mset_mget(self):
        self.assertIs(self.r.mset({"py:m1": "1", "py:m2": "two"}), True)
        self.assertEqual(self.r.mget(["py:m1", "py:nope", "py:m2"]), [b"1", None, b"two"])
        self.assertIs(self.r.msetnx({"py:m1": "x", "py:m3": "3"}), False)
        self.assertEqual(self.r.exists("py:m3"), 0)

    def test_counters(self):
        r = self.r
        r.delete("py:c")
        self.assertEqual(r.incr("py:c"), 1)  # redis-py sends INCRBY py:c 1
        self.assertEqual(r.incr("py:c", 41), 42)
        self.assertEqual(r.decr("py:c"), 41)
        self.assertEqual(r.decr("py:c", 50), -9)
        r.set("py:f", "10.5")
        self.assertEqual(r.incrbyfloat("py:f", 0.1), 10.6)
        self.assertEqual(r.append("py:c", "0"), 3)
        self.assertEqual(r.get("py:c"), b"-90")

    def test_expire_ttl_persist(self):
        r = self.r
        r.set("py:e", "v")
        self.assertEqual(r.ttl("py:e"), -1)
        self.assertEqual(r.ttl("py:none"), -2)
        self.assertIs(r.expire("py:e", 100), True)
        self.assertIs(r.expire("py:e", 200, nx=True), False)
        self.assertIs(r.expire("py:e", 300, gt=True), True)
        self.assertIs(r.expire("py:e", 400, lt=True), False)
        self.assertTrue(298 <= r.ttl("py:e") <= 300)
        self.assertIs(r.pexpire("py:e", 50000), True)
        self.assertTrue(48000 <= r.pttl("py:e") <= 50000)
        self.assertIs(r.persist("py:e"), True)
        self.assertEqual(r.ttl("py:e"), -1)
        self.assertIs(r.expire("py:none", 10), False)

    def test_exists_delete_rename_type(self):
        r = self.r
        r.mset({"py:d1": "1", "py:d2": "2", "py:d3": "3"})
        self.assertEqual(r.exists("py:d1", "py:d2", "py:nope"), 2)
        self.assertEqual(r.delete("py:d1", "py:d2", "py:nope"), 2)
        self.assertEqual(r.unlink("py:d3"), 1)
        self.assertEqual(r.exists("py:d1", "py:d3"), 0)
        r.set("py:r1", "v")
        self.assertIs(r.rename("py:r1", "py:r2"), True)
        self.assertEqual(r.get("py:r2"), b"v")
        self.assertEqual(r.type("py:r2"), b"string")
        self.assertEqual(r.type("py:r1"), b"none")

    def test_strings_ranges(self):
        r = self.r
        r.set("py:g", "Hello World")
        self.assertEqual(r.getrange("py:g", 0, 4), b"Hello")
        self.assertEqual(r.setrange("py:g", 6, "Redis"), 11)
        self.assertEqual(r.get("py:g"), b"Hello Redis")
        self.assertEqual(r.strlen("py:g"), 11)
        self.assertEqual(r.getset("py:g", "new"), b"Hello Redis")
        self.assertEqual(r.getdel("py:g"), b"new")
        self.assertIsNone(r.get("py:g"))

    def test_json_binary_and_large_values(self):
        doc = {"id": 42, "title": "Café ✓", "tags": ["a", "b"], "nested": {"ok": True, "n": None}}
        self.r.set("py:json", json.dumps(doc))
        self.assertEqual(json.loads(self.r.get("py:json")), doc)
        blob = bytes(range(256)) * 4 + b"\r\n$3\r\n*1\r\n\x00"
        self.r.set("py:bin", blob)
        self.assertEqual(self.r.get("py:bin"), blob)
        big = os.urandom(1024 * 1024)
        self.r.set("py:big", big)
        self.assertEqual(self.r.get("py:big"), big)
        text = client(decode_responses=True)
        text.set("py:txt", "héllo ✓")
        self.assertEqual(text.get("py:txt"), "héllo ✓")
        text.close()

    def test_server_calls(self):
        r = self.r
        self.assertIs(r.ping(), True)
        self.assertEqual(r.echo("hi"), b"hi")
        self.assertGreater(r.time()[0], 1700000000)
        info = r.info()
        self.assertIn("redis_version", info)
        self.assertIn("keyspace_hits", info)
        self.assertGreaterEqual(r.dbsize(), 1)
        self.assertIn("keys", r.info("keyspace")["db0"])
        self.assertEqual(r.config_get("save"), {"save": ""})
        self.assertEqual(r.config_get("appendonly"), {"appendonly": "no"})
        self.assertIn("maxmemory", r.config_get("maxmemory*"))
        named = client(client_name="py-named")
        self.assertEqual(named.client_getname(), "py-named")
        self.assertTrue(any(c["name"] == "py-named" for c in r.client_list()))
        self.assertIsInstance(named.client_id(), int)
        named.close()


class Pipelines(unittest.TestCase):
    def setUp(self):
        self.r = client()

    def tearDown(self):
        self.r.close()

    def test_transaction_pipeline(self):
        self.r.delete("py:tx")
        with self.r.pipeline() as pipe:  # transaction=True: MULTI ... EXEC
            pipe.set("py:tx", 1).incr("py:tx").incr("py:tx", 5).get("py:tx")
            self.assertEqual(pipe.execute(), [True, 2, 7, b"7"])

    def test_plain_pipeline(self):
        with self.r.pipeline(transaction=False) as pipe:
            for i in range(100):
                pipe.set("py:p:%d" % i, i)
            for i in range(100):
                pipe.get("py:p:%d" % i)
            res = pipe.execute()
        self.assertEqual(res[:100], [True] * 100)
        self.assertEqual(res[100:], [str(i).encode() for i in range(100)])

    def test_runtime_error_inside_transaction(self):
        self.r.set("py:txerr", "text")
        with self.r.pipeline() as pipe:
            pipe.set("py:txok", "1").incr("py:txerr").get("py:txok")
            res = pipe.execute(raise_on_error=False)
        self.assertIs(res[0], True)
        self.assertIsInstance(res[1], redis.exceptions.ResponseError)
        self.assertEqual(str(res[1]), "value is not an integer or out of range")
        self.assertEqual(res[2], b"1")
        with self.r.pipeline() as pipe:
            pipe.incr("py:txerr")
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                pipe.execute()
        self.assertIn("value is not an integer or out of range", str(cm.exception))

    def test_queue_time_error_aborts(self):
        with self.r.pipeline() as pipe:
            pipe.set("py:aborted", "1")
            pipe.execute_command("GET")  # wrong arity: refused at queue time
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                pipe.execute()
        self.assertIn("wrong number of arguments for 'get' command", str(cm.exception))
        self.assertEqual(self.r.exists("py:aborted"), 0)

    def test_threads_share_a_pool(self):
        self.r.delete("py:shared")
        errors = []

        def work():
            try:
                for _ in range(200):
                    self.r.incr("py:shared")
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(int(self.r.get("py:shared")), 1600)


class Watch(unittest.TestCase):
    """WATCH: redis-py's optimistic-lock idiom (pipeline.watch, WatchError, retry)."""

    def setUp(self):
        self.r = client()
        self.other = client()

    def tearDown(self):
        self.r.close()
        self.other.close()

    def incr_optimistically(self, key, meddle=None):
        """GET + MULTI/SET/EXEC under WATCH, retried on WatchError; returns the attempts it took."""
        with self.r.pipeline() as pipe:
            for attempt in range(1, 101):
                try:
                    pipe.watch(key)
                    value = int(pipe.get(key) or 0)
                    if meddle and attempt == 1:
                        meddle()
                    pipe.multi()
                    pipe.set(key, value + 1)
                    pipe.execute()
                    return attempt
                except redis.WatchError:
                    continue
        self.fail("no EXEC went through in 100 attempts")

    def test_conflict_aborts_then_retry_succeeds(self):
        self.r.set("py:w:n", 10)
        attempts = self.incr_optimistically("py:w:n", lambda: self.other.set("py:w:n", 100))
        self.assertEqual(attempts, 2)  # the other client's write aborted the first EXEC
        self.assertEqual(self.r.get("py:w:n"), b"101")
        self.assertEqual(self.incr_optimistically("py:w:n"), 1)
        self.assertEqual(self.r.get("py:w:n"), b"102")

    def test_expiry_and_delete_abort(self):
        self.r.set("py:w:e", 1, px=50)
        self.assertEqual(self.incr_optimistically("py:w:e", lambda: time.sleep(0.15)), 2)
        self.r.set("py:w:d", 1)
        self.assertEqual(self.incr_optimistically("py:w:d", lambda: self.other.delete("py:w:d")), 2)
        self.assertEqual(self.r.get("py:w:d"), b"1")

    def test_unwatch_and_transaction_helper(self):
        self.r.set("py:w:u", 1)
        with self.r.pipeline() as pipe:
            pipe.watch("py:w:u")
            pipe.unwatch()
            self.other.set("py:w:u", 5)
            pipe.multi()
            pipe.incr("py:w:u")
            self.assertEqual(pipe.execute(), [6])

        def add_one(pipe):
            value = int(pipe.get("py:w:u"))
            pipe.multi()
            pipe.set("py:w:u", value + 1)

        self.assertEqual(self.r.transaction(add_one, "py:w:u"), [True])
        self.assertEqual(self.r.get("py:w:u"), b"7")

    def test_threads_lose_no_update(self):
        self.r.set("py:w:c", 0)
        errors, retries = [], []

        def work():
            r = client()
            try:
                for _ in range(50):
                    with r.pipeline() as pipe:
                        for attempt in range(1, 1001):
                            try:
                                pipe.watch("py:w:c")
                                value = int(pipe.get("py:w:c"))
                                pipe.multi()
                                pipe.set("py:w:c", value + 1)
                                pipe.execute()
                                retries.append(attempt - 1)
                                break
                            except redis.WatchError:
                                continue
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            finally:
                r.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(retries), 200)
        self.assertEqual(int(self.r.get("py:w:c")), 200)


class Scanning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = client()
        with cls.r.pipeline(transaction=False) as pipe:
            for i in range(250):
                pipe.set("pyscan:course:%d" % i, i)
            for i in range(60):
                pipe.set("pyscan:student:%d" % i, i)
            pipe.execute()

    @classmethod
    def tearDownClass(cls):
        cls.r.close()

    def test_scan_iter_match_count(self):
        got = list(self.r.scan_iter(match="pyscan:course:*", count=10))
        self.assertEqual(len(got), len(set(got)))
        self.assertEqual(set(got), {("pyscan:course:%d" % i).encode() for i in range(250)})

    def test_scan_cursor_is_an_int(self):
        cursor, keys = self.r.scan(0, match="pyscan:*", count=20)
        self.assertIsInstance(cursor, int)
        self.assertIsInstance(keys, list)

    def test_keys(self):
        self.assertEqual(sorted(self.r.keys("pyscan:student:5?")),
                         sorted(("pyscan:student:%d" % i).encode() for i in range(50, 60)))


class Errors(unittest.TestCase):
    """Errors reach the caller as redis.exceptions.ResponseError with Redis's texts."""

    def setUp(self):
        self.r = client()

    def tearDown(self):
        self.r.close()

    def assertError(self, text, fn, *args, **kw):
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            fn(*args, **kw)
        self.assertEqual(str(cm.exception), text)

    def test_texts(self):
        r = self.r
        r.set("py:text", "abc")
        self.assertError("value is not an integer or out of range", r.incr, "py:text")
        self.assertError("value is not a valid float", r.incrbyfloat, "py:text", 1.5)
        self.assertError("unknown command 'NOSUCH', with args beginning with: 'x' ",
                         r.execute_command, "NOSUCH", "x")
        self.assertError("wrong number of arguments for 'get' command", r.execute_command, "GET")
        self.assertError("invalid expire time in 'set' command", r.set, "py:k", "v", ex=0)
        self.assertError("DB index is out of range", r.execute_command, "SELECT", 1)
        self.assertError("no such key", r.rename, "py:nokey", "py:other")
        self.assertError("AUTH <password> called without any password configured for the default "
                         "user. Are you sure your configuration is correct?", r.execute_command, "AUTH", "x")
        self.assertIs(r.ping(), True)  # the connection is still fine


@unittest.skipUnless(AUTH_PORT, "no daemon with --requirepass given (SC_AUTH_PORT)")
class Auth(unittest.TestCase):
    def test_password_option(self):
        r = client(port=AUTH_PORT, password=PASSWORD)
        self.assertIs(r.set("py:auth", "v"), True)
        self.assertEqual(r.get("py:auth"), b"v")
        r.close()

    def test_missing_and_wrong_password(self):
        r = client(port=AUTH_PORT)
        with self.assertRaises(redis.exceptions.AuthenticationError) as cm:
            r.get("py:auth")
        self.assertEqual(str(cm.exception), "Authentication required.")
        r.close()
        bad = client(port=AUTH_PORT, password="wrong")
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            bad.ping()
        self.assertEqual(str(cm.exception), "WRONGPASS invalid username-password pair or user is disabled.")
        bad.close()


class Resp3(unittest.TestCase):
    def test_protocol_3(self):
        if "protocol" not in inspect.signature(redis.Redis.__init__).parameters:
            self.skipTest("redis-py %s has no protocol=3 option (added in redis-py 5.0)" % redis.__version__)
        r = client(protocol=3)
        self.assertIs(r.set("py:r3", "v"), True)
        self.assertEqual(r.get("py:r3"), b"v")
        self.assertIsNone(r.get("py:r3:missing"))
        self.assertEqual(r.config_get("save"), {"save": ""})
        r.close()


def main():
    module = sys.modules[__name__]
    names = sys.argv[1:]  # e.g. "Pipelines" or "Errors.test_texts"; default: every test
    loader = unittest.defaultTestLoader
    suite = loader.loadTestsFromNames(names, module) if names else loader.loadTestsFromModule(module)
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    for test, reason in result.skipped:
        print("skip %s: %s" % (test.id(), reason))
    passed = result.testsRun - failed - len(result.skipped)
    print("redis-py %s" % redis.__version__)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
