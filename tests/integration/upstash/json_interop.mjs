// tests/integration/upstash/json_interop.mjs: the @upstash/redis half of the JSON interop test
// (tests/client_it/json_interop_test.cpp runs it). Usage: node json_interop.mjs PREFIX
// Before it runs, the C++ side has stored every case of json_interop_cases.json with json::set
// (PREFIX + "cpp:" + name), json::mset ("cppm:") and, for raw cases, plain bytes ("raw:").
// This script stores every value case with set ("node:") and mset ("nodem:"), reads everything
// back with get and mget, checks each result against the case's expectation, and prints one JSON
// line {"failures": [...], "results": {name: JSON.stringify(what get returned)}} for the C++
// side to compare with json::get. Exit status 1 when a check failed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Redis } from "@upstash/redis";

const P = process.argv[2];
if (!P) throw new Error("usage: node json_interop.mjs PREFIX");
const { cases } = JSON.parse(readFileSync(new URL("./json_interop_cases.json", import.meta.url), "utf8"));
const redis = Redis.fromEnv();  // as the LMS does: auto-pipelining, base64 responses
const valueCases = cases.filter((c) => "value" in c);
const rawCases = cases.filter((c) => !("value" in c));
const expected = (c) => ("get" in c ? c.get : c.value);
const failures = [];
const results = {};

function check(what, got, want) {
  try {
    assert.deepStrictEqual(got, want);
    assert.equal(JSON.stringify(got), JSON.stringify(want));  // key order too
  } catch {
    failures.push(`${what}: got ${JSON.stringify(got)} (${typeof got}), want ${JSON.stringify(want)} (${typeof want})`);
  }
}

for (const c of valueCases) await redis.set(`${P}node:${c.name}`, c.value);
await redis.mset(Object.fromEntries(valueCases.map((c) => [`${P}nodem:${c.name}`, c.value])));

for (const c of [...valueCases, ...rawCases]) {
  const key = "value" in c ? `${P}node:${c.name}` : `${P}raw:${c.name}`;
  const got = await redis.get(key);
  results[c.name] = JSON.stringify(got);
  check(`get ${key}`, got, expected(c));
}
for (const c of valueCases) check(`get ${P}cpp:${c.name} (json::set)`, await redis.get(`${P}cpp:${c.name}`), expected(c));

const wantAll = [...valueCases.map(expected), null];
const mgetCheck = async (kind) => {
  const got = await redis.mget(...valueCases.map((c) => `${P}${kind}:${c.name}`), `${P}${kind}:missing`);
  if (!Array.isArray(got) || got.length !== wantAll.length) failures.push(`mget ${kind}: got ${JSON.stringify(got)}`);
  else got.forEach((g, i) => check(`mget ${kind}[${i}]`, g, wantAll[i]));
};
await mgetCheck("nodem");
await mgetCheck("cpp");
await mgetCheck("cppm");  // written by json::mset

console.log(JSON.stringify({ failures, results }));
process.exitCode = failures.length ? 1 : 0;
