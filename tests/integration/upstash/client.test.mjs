// tests/integration/upstash/client.test.mjs: the real @upstash/redis 1.39 client, configured the
// way the LMS is (Redis.fromEnv(): auto-pipelining, base64 responses, read-your-writes and
// telemetry all at their defaults), against shardcached's REST endpoint.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Redis, errors } from "@upstash/redis";
import { URL_BASE, TOKEN, post, recordingProxy } from "./helpers.mjs";

const redis = Redis.fromEnv();
const direct = new Redis({ url: URL_BASE, token: TOKEN, enableAutoPipelining: false });
const P = `c${process.pid}:`;  // key prefix of this run

test("get/set, set with ex / px / nx / xx / get / keepTtl", async () => {
  assert.equal(await redis.set(P + "k1", "hello"), "OK");
  assert.equal(await redis.get(P + "k1"), "hello");
  assert.equal(await redis.get(P + "missing"), null);
  assert.equal(await redis.set(P + "ex", "v", { ex: 100 }), "OK");
  const ttl = await redis.ttl(P + "ex");
  assert.ok(ttl > 95 && ttl <= 100, `ttl ${ttl}`);
  assert.equal(await redis.set(P + "px", "v", { px: 100000 }), "OK");
  const pttl = await redis.pttl(P + "px");
  assert.ok(pttl > 95000 && pttl <= 100000, `pttl ${pttl}`);
  assert.equal(await redis.set(P + "k1", "x", { nx: true }), null);
  assert.equal(await redis.set(P + "nx", "x", { nx: true }), "OK");
  assert.equal(await redis.set(P + "nope", "y", { xx: true }), null);
  assert.equal(await redis.set(P + "k1", "y", { xx: true }), "OK");
  assert.equal(await redis.set(P + "k1", "z", { get: true }), "y");
  assert.equal(await redis.get(P + "k1"), "z");
  assert.equal(await redis.set(P + "ex", "v2", { keepTtl: true }), "OK");
  assert.ok((await redis.ttl(P + "ex")) > 90);
  assert.equal(await redis.set(P + "nxex", "v", { nx: true, ex: 10 }), "OK");
  assert.ok((await redis.ttl(P + "nxex")) > 5);
});

test("del, exists, mset/mget with JSON values", async () => {
  await redis.mset({ [P + "a"]: "1", [P + "b"]: { nested: true }, [P + "c"]: 3 });
  assert.deepEqual(await redis.mget(P + "a", P + "b", P + "c", P + "nope"), [1, { nested: true }, 3, null]);
  assert.equal(await redis.exists(P + "a", P + "b", P + "nope"), 2);
  assert.equal(await redis.del(P + "a", P + "b", P + "nope"), 2);
  assert.equal(await redis.exists(P + "a"), 0);
});

test("incr, incrby, decr, incrbyfloat", async () => {
  assert.equal(await redis.incr(P + "cnt"), 1);
  assert.equal(await redis.incrby(P + "cnt", 5), 6);
  assert.equal(await redis.decr(P + "cnt"), 5);
  assert.equal(await redis.incrbyfloat(P + "f", 1.5), 1.5);
  assert.equal(await redis.get(P + "cnt"), 5);
});

test("expire, ttl, pttl, persist", async () => {
  await redis.set(P + "e", "v");
  assert.equal(await redis.ttl(P + "e"), -1);
  assert.equal(await redis.expire(P + "e", 100), 1);
  assert.equal(await redis.ttl(P + "e"), 100);
  assert.equal(await redis.persist(P + "e"), 1);
  assert.equal(await redis.ttl(P + "e"), -1);
  assert.equal(await redis.ttl(P + "gone"), -2);
  assert.equal(await redis.expire(P + "gone", 100), 0);
  await redis.set(P + "short", "v", { px: 50 });
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(await redis.get(P + "short"), null);
});

test("scan with match walks every matching key, keys(pattern)", async () => {
  const want = new Set();
  await Promise.all(Array.from({ length: 40 }, (_, i) => { want.add(`${P}scan:${i}`); return redis.set(`${P}scan:${i}`, i); }));
  await redis.set(P + "other", 1);
  const got = new Set();
  let cursor = "0";
  for (let round = 0; round < 1000; round++) {
    const [next, keys] = await redis.scan(cursor, { match: `${P}scan:*`, count: 10 });
    assert.equal(typeof next, "string");
    keys.forEach((k) => got.add(k));
    cursor = next;
    if (cursor === "0") break;
  }
  assert.equal(cursor, "0");
  assert.deepEqual([...got].sort(), [...want].sort());
  assert.deepEqual((await redis.keys(`${P}scan:1*`)).sort(), [...want].filter((k) => k.startsWith(`${P}scan:1`)).sort());
});

test("pipeline: results in order; errors thrown or kept", async () => {
  const p = redis.pipeline();
  p.set(P + "p1", "a").incr(P + "p2").get(P + "p1").exists(P + "p1", P + "nope");
  assert.deepEqual(await p.exec(), ["OK", 1, "a", 1]);
  const bad = redis.pipeline();
  bad.set(P + "p3", "x").incr(P + "p3").get(P + "p3");
  await assert.rejects(bad.exec(), (e) => e instanceof errors.UpstashError &&
    e.message === "Command 2 [ incr ] failed: ERR value is not an integer or out of range");
  const keep = redis.pipeline();
  keep.get(P + "p3").incr(P + "p3");
  assert.deepEqual(await keep.exec({ keepErrors: true }), [
    { result: "x", error: undefined },
    { result: undefined, error: "ERR value is not an integer or out of range" },
  ]);
});

test("multi/exec: a transaction through /multi-exec", async () => {
  const tx = redis.multi();
  tx.set(P + "t1", "a").incr(P + "t2").get(P + "t1").set(P + "t3", { x: 1 }).get(P + "t3");
  assert.deepEqual(await tx.exec(), ["OK", 1, "a", "OK", { x: 1 }]);
  const bad = redis.multi();
  bad.set(P + "t4", "v").incr(P + "t4");
  await assert.rejects(bad.exec(), /Command 2 \[ incr \] failed: ERR value is not an integer/);
  assert.equal(await redis.get(P + "t4"), "v");  // run-time errors do not roll back (as EXEC)
});

test("JSON object values round-trip and are stored as the client serialises them", async () => {
  const obj = { a: 1, b: [1, 2], s: "str", n: null, u: "caf\u00e9 \u{1F600}" };
  await redis.set(P + "obj", obj);
  assert.deepEqual(await redis.get(P + "obj"), obj);
  const raw = await post("/", ["get", P + "obj"]);
  assert.equal(raw.json.result, JSON.stringify(obj));
  await redis.set(P + "str", "0123");
  assert.equal(await redis.get(P + "str"), "0123");  // the client keeps non-round-tripping numbers as strings
  await redis.set(P + "big", "12345678901234567890");
  assert.equal(await redis.get(P + "big"), "12345678901234567890");
  await redis.set(P + "bool", true);
  assert.equal(await redis.get(P + "bool"), true);
  assert.equal((await post("/", ["get", P + "bool"])).json.result, "true");
});

test("errors surface the way the client surfaces them", async () => {
  await redis.set(P + "s", "text");
  await assert.rejects(redis.incr(P + "s"), (e) => e instanceof errors.UpstashError &&
    e.message === "Command failed: ERR value is not an integer or out of range");
  await assert.rejects(direct.incr(P + "s"), (e) => e instanceof errors.UpstashError &&
    e.message === `ERR value is not an integer or out of range, command was: ["incr","${P}s"]`);
  await assert.rejects(redis.exec(["nosuchcommand", "x"]), (e) => e instanceof errors.UpstashError &&
    e.message.startsWith("ERR unknown command 'nosuchcommand', with args beginning with: 'x'"));
});

test("a wrong token is rejected with 401 Unauthorized", async () => {
  const wrong = new Redis({ url: URL_BASE, token: "not-the-token" });
  await assert.rejects(wrong.get(P + "k1"), (e) => e instanceof errors.UpstashError &&
    e.message === `Unauthorized, command was: [["get","${P}k1"]]`);
  const wrongDirect = new Redis({ url: URL_BASE, token: "not-the-token", enableAutoPipelining: false });
  await assert.rejects(wrongDirect.get(P + "k1"), /^UpstashError: Unauthorized, command was: \["get"/);
});

test("auto-pipelining is on by default: concurrent commands go to /pipeline as read and write batches", async () => {
  const proxy = await recordingProxy();
  try {
    const viaProxy = new Redis({ url: proxy.url, token: TOKEN });
    assert.equal(viaProxy.enableAutoPipelining, true);
    await viaProxy.set(P + "ap", "0");
    proxy.seen.length = 0;
    const res = await Promise.all([viaProxy.get(P + "ap"), viaProxy.incr(P + "ap2"), viaProxy.exists(P + "ap"),
      viaProxy.set(P + "ap3", "v"), viaProxy.get(P + "ap")]);
    assert.deepEqual(res, [0, 1, 1, "OK", 0]);
    assert.ok(proxy.seen.length >= 1 && proxy.seen.length <= 2, proxy.seen.join(", "));
    assert.ok(proxy.seen.every((s) => s === "POST /pipeline"), proxy.seen.join(", "));
    assert.ok(viaProxy.pipelineCounter >= 1);
    proxy.seen.length = 0;
    await viaProxy.scan(0, { match: P + "*" });  // excluded from auto-pipelining: POST /
    assert.deepEqual(proxy.seen, ["POST /"]);
  } finally {
    await proxy.close();
  }
});

test("the generic command call reaches any command (INVALIDATE when the daemon has it)", async (t) => {
  assert.equal(await redis.exec(["echo", "via exec"]), "via exec");
  assert.equal(await redis.exec(["dbsize"]) > 0, true);
  const [info] = await redis.exec(["command", "info", "invalidate"]);
  if (info === null) {
    t.diagnostic("INVALIDATE is not in this build's command table: generic path tested with ECHO/DBSIZE");
    return;
  }
  await redis.mset({ [P + "course:42"]: 1, [P + "course:42:lessons"]: 2, [P + "course:43"]: 3 });
  assert.equal(await redis.exec(["invalidate", `${P}course:42:*`]), 1);
  assert.deepEqual(await redis.mget(P + "course:42", P + "course:42:lessons", P + "course:43"), [1, null, 3]);
});

after(() => {});
