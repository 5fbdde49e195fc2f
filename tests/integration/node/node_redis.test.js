// tests/integration/node/node_redis.test.js: the daemon driven by node-redis (the `redis`
// package): newest major 6.x (opens every connection with HELLO 3 and has no RESP2 fallback),
// 5.x and 4.x (RESP2), installed side by side (npm aliases "redis5", "redis4").
// Run by suite_node.sh with `node --test`; SC_PORT is the daemon's port.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const PORT = Number(process.env.SC_PORT);
const T = { timeout: 15000 };

const flavours = [
  { label: 'redis6', lib: require('redis'), version: require('redis/package.json').version, resp3: true },
  { label: 'redis5', lib: require('redis5'), version: require('redis5/package.json').version, resp3: false },
  { label: 'redis4', lib: require('redis4'), version: require('redis4/package.json').version, resp3: false },
];

/// Every key scanIterator yields (v4 yields keys, v5+ yields arrays of keys).
async function scanAll(c, match, count) {
  const keys = [];
  for await (const item of c.scanIterator({ MATCH: match, COUNT: count })) {
    if (Array.isArray(item)) keys.push(...item); else keys.push(item);
  }
  return keys;
}

/// A map reply as a plain object, whether the client gave an object or a Map.
const asObject = (m) => (m instanceof Map ? Object.fromEntries(m) : { ...m });

for (const f of flavours) {
  describe(`${f.label} (redis ${f.version})`, () => {
    const k = (name) => `${f.label}:${name}`;
    let c;

    before(async () => {
      c = f.lib.createClient({
        socket: { host: '127.0.0.1', port: PORT, connectTimeout: 5000, reconnectStrategy: false },
      });
      c.on('error', () => {});  // surfaced through the rejected calls
      await c.connect();
    });
    after(async () => {
      if (!c) return;
      if (typeof c.destroy === 'function') c.destroy(); else await c.disconnect();
    });

    it('connects (handshake accepted)', T, async () => {
      assert.equal(c.isReady, true);
      assert.equal(await c.ping(), 'PONG');
    });

    it(f.resp3 ? 'RESP3: HELLO 3 was negotiated' : 'stays on RESP2', T, async () => {
      const info = String(await c.sendCommand(['CLIENT', 'INFO']));
      assert.match(info, f.resp3 ? / resp=3(\s|$)/ : / resp=2(\s|$)/);
    });

    if (f.resp3) {
      it('RESP3: CONFIG GET is a map, nil is null', T, async () => {
        const raw = await c.sendCommand(['CONFIG', 'GET', 'save']);
        assert.ok(!Array.isArray(raw), `CONFIG GET gave a flat array: ${JSON.stringify(raw)}`);
        assert.deepEqual(asObject(raw), { save: '' });
        assert.deepEqual(asObject(await c.configGet('appendonly')), { appendonly: 'no' });
        assert.equal(await c.get(k('nil')), null);
        const hello = asObject(await c.sendCommand(['HELLO', '3']));
        assert.equal(hello.proto, 3);
      });
    } else {
      it('RESP2: CONFIG GET arrives as a flat array', T, async () => {
        assert.deepEqual(await c.sendCommand(['CONFIG', 'GET', 'save']), ['save', '']);
        assert.deepEqual(asObject(await c.configGet('appendonly')), { appendonly: 'no' });
      });
    }

    it('set with EX, get, ttl', T, async () => {
      assert.equal(await c.set(k('ex'), 'value', { EX: 60 }), 'OK');
      assert.equal(await c.get(k('ex')), 'value');
      const ttl = await c.ttl(k('ex'));
      assert.ok(ttl >= 58 && ttl <= 60, `ttl ${ttl}`);
      assert.equal(await c.get(k('missing')), null);
      assert.equal(await c.set(k('ex'), 'other', { NX: true }), null);
    });

    it('pipeline (execAsPipeline) and auto-pipelined calls', T, async () => {
      const m = c.multi();
      for (let i = 0; i < 50; i++) m.set(k(`p:${i}`), String(i));
      for (let i = 0; i < 50; i++) m.get(k(`p:${i}`));
      const res = await m.execAsPipeline();
      assert.deepEqual(res.slice(0, 50), Array(50).fill('OK'));
      assert.deepEqual(res.slice(50), Array.from({ length: 50 }, (_, i) => String(i)));
      const gets = await Promise.all(Array.from({ length: 50 }, (_, i) => c.get(k(`p:${i}`))));
      assert.deepEqual(gets, Array.from({ length: 50 }, (_, i) => String(i)));
    });

    it('multi/exec', T, async () => {
      await c.del(k('tx'));
      const res = await c.multi().set(k('tx'), '1').incr(k('tx')).incrBy(k('tx'), 5).get(k('tx')).exec();
      assert.deepEqual(res, ['OK', 2, 7, '7']);
    });

    it('scanIterator with MATCH and COUNT returns exactly the matching keys', T, async () => {
      const m = c.multi();
      for (let i = 0; i < 120; i++) m.set(k(`course:${i}`), 'c');
      for (let i = 0; i < 30; i++) m.set(k(`student:${i}`), 's');
      await m.execAsPipeline();
      const keys = await scanAll(c, k('course:*'), 10);
      assert.equal(new Set(keys).size, keys.length, 'no duplicates');
      assert.deepEqual(new Set(keys), new Set(Array.from({ length: 120 }, (_, i) => k(`course:${i}`))));
    });

    it('incr and del', T, async () => {
      await c.del(k('n'));
      assert.equal(await c.incr(k('n')), 1);
      assert.equal(await c.incrBy(k('n'), 41), 42);
      assert.equal(await c.del([k('n'), k('nope')]), 1);
      assert.equal(await c.exists(k('n')), 0);
    });

    it('JSON string round trip', T, async () => {
      const doc = { id: 7, title: 'Café ✓', tags: ['a', 'b'], nested: { ok: true, n: null } };
      await c.set(k('json'), JSON.stringify(doc), { EX: 300 });
      assert.deepEqual(JSON.parse(await c.get(k('json'))), doc);
    });

    it('errors reject with Redis\'s text', T, async () => {
      await c.set(k('text'), 'abc');
      await assert.rejects(c.incr(k('text')), { message: 'ERR value is not an integer or out of range' });
      await assert.rejects(c.sendCommand(['NOSUCHCMD', 'x']),
        { message: "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' " });
      assert.equal(await c.ping(), 'PONG');
    });

    it('a key set with PX expires', T, async () => {
      await c.set(k('short'), 'v', { PX: 150 });
      await new Promise((res) => setTimeout(res, 400));
      assert.equal(await c.get(k('short')), null);
    });
  });
}
