// tests/integration/upstash/raw.test.mjs: raw HTTP against the REST endpoint: envelopes and
// status codes for every bad input (bad JSON, wrong shapes, limits, auth, methods, paths,
// malformed HTTP), path-style commands, keep-alive and pipelined HTTP, /healthz and /metrics.
// The suite starts the daemon with --http-max-body 1mb.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { URL_BASE, TOKEN, post } from "./helpers.mjs";

const { hostname: HOST, port: PORT } = new URL(URL_BASE);

/** Sends raw bytes on a fresh TCP connection; resolves with everything read until the server closes or `ms`. */
function rawExchange(bytes, { ms = 2000, endAfterWrite = false } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(PORT), HOST);
    const chunks = [];
    let closed = false;
    const timer = setTimeout(() => { sock.destroy(); resolve({ text: Buffer.concat(chunks).toString("latin1"), closed }); }, ms);
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", (e) => { if (e.code !== "ECONNRESET" && e.code !== "EPIPE") reject(e); });
    sock.on("close", () => { closed = true; clearTimeout(timer); resolve({ text: Buffer.concat(chunks).toString("latin1"), closed }); });
    sock.write(bytes, () => { if (endAfterWrite) sock.end(); });
  });
}

/** Splits a raw HTTP/1.1 response stream into [{status, headers, body}] using Content-Length. */
function parseResponses(text) {
  const out = [];
  let rest = text;
  for (let i = 0; i < 100 && rest.length > 0; i++) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const lines = rest.slice(0, end).split("\r\n");
    const headers = {};
    for (const l of lines.slice(1)) { const c = l.indexOf(":"); headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim(); }
    const len = Number(headers["content-length"] ?? 0);
    const status = Number(lines[0].split(" ")[1]);
    const body = status === 100 ? "" : rest.slice(end + 4, end + 4 + len);
    out.push({ status, headers, body });
    rest = rest.slice(end + 4 + (status === 100 ? 0 : len));
  }
  return out;
}

const ENDPOINTS = ["/", "/pipeline", "/multi-exec"];

function assertJsonError(r, status, pattern) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.equal(typeof r.json?.error, "string", `not a JSON error: ${r.text}`);
  if (pattern) assert.match(r.json.error, pattern);
}

test("bad JSON: 400 with a JSON error on every endpoint", async () => {
  for (const p of ENDPOINTS) {
    const good = p === "/" ? '["get","k"]' : '[["get","k"]]';
    assertJsonError(await post(p, good.slice(0, -2)), 400, /^ERR invalid JSON in the request body: .* \(at byte \d+\)$/);
    assertJsonError(await post(p, good.replace('"k"', "'k'")), 400, /^ERR invalid JSON/);
    assertJsonError(await post(p, "[nope"), 400, /^ERR invalid JSON/);
    assertJsonError(await post(p, good + " trailing"), 400, /^ERR invalid JSON/);
    assertJsonError(await post(p, ""), 400, /^ERR empty request body/);
    assert.equal((await post(p, good)).status, 200);
  }
});

test("bodies that are not arrays (of arrays): 400", async () => {
  assertJsonError(await post("/", { cmd: "get" }), 400, /must be a JSON array of command arguments/);
  assertJsonError(await post("/", "\"get\""), 400, /must be a JSON array/);
  assertJsonError(await post("/pipeline", ["get", "k"]), 400, /each entry of the batch must be a JSON array/);
  assertJsonError(await post("/multi-exec", { a: 1 }), 400, /must be a JSON array of commands/);
  assertJsonError(await post("/pipeline", 42), 400, /must be a JSON array of commands/);
});

test("empty command arrays and empty batches: 400", async () => {
  assertJsonError(await post("/", []), 400, /^ERR empty command/);
  assertJsonError(await post("/pipeline", []), 400, /^ERR empty batch/);
  assertJsonError(await post("/multi-exec", []), 400, /^ERR empty batch/);
  assertJsonError(await post("/pipeline", [["ping"], []]), 400, /^ERR empty command at index 1/);
});

test("null, object and nested-array arguments: 400", async () => {
  assertJsonError(await post("/", ["set", "k", null]), 400, /^ERR null is not a valid argument/);
  assertJsonError(await post("/pipeline", [["set", "k", null]]), 400, /^ERR null is not a valid argument/);
  assertJsonError(await post("/", ["set", "k", { a: 1 }]), 400, /^ERR JSON objects are not allowed/);
  assertJsonError(await post("/", ["set", "k", ["a"]]), 400, /^ERR JSON nested too deeply/);
});

test("nesting too deep: 400, quickly, however deep", async () => {
  const depth = 100000;
  for (const p of ENDPOINTS) {
    assertJsonError(await post(p, "[".repeat(depth) + "]".repeat(depth)), 400, /^ERR JSON nested too deeply/);
  }
});

test("too many commands in one batch: 400 (limit 10000)", async () => {
  const ok = await post("/pipeline", Array.from({ length: 10000 }, () => ["ping"]));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.length, 10000);
  assertJsonError(await post("/pipeline", Array.from({ length: 10001 }, () => ["ping"])), 400,
    /^ERR too many commands in one request \(the limit is 10000\)/);
  assertJsonError(await post("/multi-exec", Array.from({ length: 10001 }, () => ["ping"])), 400, /too many commands/);
});

test("a body over --http-max-body: 413 with a JSON error", async () => {
  const big = JSON.stringify(["set", "big", "x".repeat(1100 * 1024)]);
  assertJsonError(await post("/", big), 413, /^ERR request body too large \(\d+ bytes; the limit is 1048576\)/);
  const fits = JSON.stringify(["set", "fits", "x".repeat(1000 * 1024)]);
  assert.equal((await post("/", fits)).status, 200);
  // Expect: 100-continue with a declared length over the limit: 413 before any body is sent.
  const r = await rawExchange(`POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
    `Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n`);
  const [res] = parseResponses(r.text);
  assert.equal(res.status, 413);
  assert.match(JSON.parse(res.body).error, /^ERR request body too large/);
  assert.equal(res.headers.connection, "close");
});

test("Expect: 100-continue with an acceptable body gets the interim response", async () => {
  const body = JSON.stringify(["echo", "continued"]);
  const r = await rawExchange(`POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n` +
    `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body}`);
  const res = parseResponses(r.text);
  assert.equal(res[0].status, 100);
  assert.equal(res[1].status, 200);
  assert.equal(res[1].body, '{"result":"continued"}');
});

test("missing or wrong token: 401 {\"error\":\"Unauthorized\"}", async () => {
  for (const p of ENDPOINTS) {
    const r = await post(p, p === "/" ? ["ping"] : [["ping"]], { token: null });
    assert.equal(r.status, 401);
    assert.equal(r.text, '{"error":"Unauthorized"}');
    assert.equal((await post(p, p === "/" ? ["ping"] : [["ping"]], { token: TOKEN + "x" })).text, '{"error":"Unauthorized"}');
  }
  assert.equal((await post("/get/k", undefined, { token: null, method: "GET" })).status, 401);
  assert.equal((await post(`/?_token=${encodeURIComponent(TOKEN)}`, ["ping"], { token: null })).json.result, "PONG");
  assert.equal((await post(`/?_token=wrong`, ["ping"], { token: null })).status, 401);
});

test("wrong methods: 405 with Allow and a JSON error; unknown paths: 404 JSON", async () => {
  let r = await post("/pipeline", undefined, { method: "GET" });
  assertJsonError(r, 405, /method not allowed/);
  assert.equal(r.headers.get("allow"), "POST, PUT");
  r = await post("/", undefined, { method: "DELETE" });
  assertJsonError(r, 405);
  assert.equal(r.headers.get("allow"), "GET, HEAD, POST, PUT");
  assertJsonError(await post("/multi-exec", undefined, { method: "PATCH" }), 405);
  assertJsonError(await post("/metrics", "x"), 405);
  assertJsonError(await post("/nosuchthing", undefined, { method: "GET" }), 404, /^ERR unknown path '\/nosuchthing'/);
  assertJsonError(await post("/prefix/pipeline", [["ping"]]), 404);
});

test("malformed HTTP: 400 JSON, then the connection closes; huge headers: 431", async () => {
  let r = await rawExchange("NOT HTTP AT ALL\r\n\r\n");
  let [res] = parseResponses(r.text);
  assert.equal(res.status, 400);
  assert.match(JSON.parse(res.body).error, /^ERR malformed HTTP request/);
  assert.ok(r.closed);
  r = await rawExchange("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n");
  assert.equal(parseResponses(r.text)[0].status, 400);
  r = await rawExchange(`GET /healthz HTTP/1.1\r\nX-Big: ${"a".repeat(100 * 1024)}\r\n\r\n`);
  [res] = parseResponses(r.text);
  assert.equal(res.status, 431);
  assert.equal(typeof JSON.parse(res.body).error, "string");
});

test("keep-alive and pipelined HTTP requests on one connection are answered in order", async () => {
  const req = (cmd) => {
    const body = JSON.stringify(cmd);
    return `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };
  const last = `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const r = await rawExchange(req(["set", "ka", "1"]) + req(["incr", "ka"]) + req(["get", "ka"]) + last);
  const res = parseResponses(r.text);
  assert.deepEqual(res.map((x) => x.status), [200, 200, 200, 200]);
  assert.deepEqual(res.slice(0, 3).map((x) => x.body), ['{"result":"OK"}', '{"result":2}', '{"result":"2"}']);
  assert.equal(res[0].headers.connection, "keep-alive");
  assert.equal(res[3].headers.connection, "close");
  assert.ok(r.closed);
});

test("path style: GET /set/k/v/EX/300, /get/k, POST body and query arguments", async () => {
  const get = (p) => post(p, undefined, { method: "GET" });
  assert.equal((await get("/set/ps:k/hello%20world/EX/300")).text, '{"result":"OK"}');
  assert.equal((await get("/get/ps:k")).text, '{"result":"hello world"}');
  assert.equal((await get("/ttl/ps:k")).json.result, 300);
  assert.equal((await post("/set/ps:doc?EX=60", '{"raw":true}')).text, '{"result":"OK"}');
  assert.equal((await get("/get/ps:doc")).json.result, '{"raw":true}');
  const r = await get("/incr/ps:k");
  assertJsonError(r, 400, /^ERR value is not an integer/);
  const b64 = await post("/get/ps:k", undefined, { method: "GET", headers: { "Upstash-Encoding": "base64" } });
  assert.equal(b64.text, '{"result":"aGVsbG8gd29ybGQ="}');
});

test("/multi-exec: a transaction that cannot run is a non-2xx JSON error and nothing runs", async () => {
  const r = await post("/multi-exec", [["set", "tx:a", "1"], ["get"], ["set", "tx:b", "1"]]);
  assertJsonError(r, 400, /^EXECABORT Transaction discarded because of previous errors: command 2: ERR wrong number of arguments for 'get' command$/);
  assert.equal((await post("/", ["exists", "tx:a", "tx:b"])).json.result, 0);
});

test("/healthz, /metrics content types, dashboard page", async () => {
  const h = await fetch(URL_BASE + "/healthz");
  assert.equal(h.status, 200);
  assert.equal((await h.json()).status, "ok");
  // requirepass is set: /metrics needs the token (no --metrics-open here).
  const denied = await fetch(URL_BASE + "/metrics");
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("content-type"), "application/json");
  assert.deepEqual(await denied.json(), { error: "Unauthorized" });
  const m = await fetch(URL_BASE + "/metrics", { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await m.text(), /^shardcache_http_requests_total\{code="401"\} [1-9]/m);
  const d = await fetch(URL_BASE + "/");
  assert.equal(d.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(await d.text(), /<title>shardcache<\/title>/);
});
