// tests/integration/node/ioredis.test.js: the daemon driven by ioredis, newest major (6.x, which
// opens with HELLO 3) and the one before (5.x, RESP2), installed side by side (npm alias
// "ioredis5"). Run by suite_node.sh with `node --test`; SC_PORT is the daemon's port.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const PORT = Number(process.env.SC_PORT);
const T = { timeout: 15000 };

const flavours = [
  { label: 'ioredis6', Redis: require('ioredis'), version: require('ioredis/package.json').version, resp3: true },
  { label: 'ioredis5', Redis: require('ioredis5'), version: require('ioredis5/package.json').version, resp3: false },
];

/// Collects every key a scanStream yields.
function scanAll(r, match, count) {
  return new Promise((resolve, reject) => {
    const keys = [];
    const stream = r.scanStream({ match, count });
    stream.on('data', (batch) => keys.push(...batch));
    stream.on('end', () => resolve(keys));
    stream.on('error', reject);
  });
}

for (const f of flavours) {
  describe(`${f.label} (ioredis ${f.version})`, () => {
    const k = (name) => `${f.label}:${name}`;
    let r;

    before(async () => {
      r = new f.Redis({
        host: '127.0.0.1', port: PORT, lazyConnect: true, connectTimeout: 5000, commandTimeout: 5000,
        maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false,
      });
      await r.connect();
    });
    after(() => r && r.disconnect());

    it('connects and is ready (INFO at connect worked)', T, async () => {
      assert.equal(r.status, 'ready');
      assert.equal(await r.ping(), 'PONG');
    });

    it(f.resp3 ? 'negotiated RESP3 with HELLO 3' : 'stays on RESP2', T, async () => {
      const info = String(await r.client('INFO'));
      assert.match(info, f.resp3 ? / resp=3(\s|$)/ : / resp=2(\s|$)/);
    });

    it('set with EX, get, ttl', T, async () => {
      assert.equal(await r.set(k('ex'), 'value', 'EX', 60), 'OK');
      assert.equal(await r.get(k('ex')), 'value');
      const ttl = await r.ttl(k('ex'));
      assert.ok(ttl >= 58 && ttl <= 60, `ttl ${ttl}`);
      assert.equal(await r.get(k('missing')), null);
    });

    it('pipeline: one write, replies in order', T, async () => {
      await r.del(k('p:counter'));
      const p = r.pipeline();
      for (let i = 0; i < 50; i++) p.set(k(`p:${i}`), String(i));
      for (let i = 0; i < 50; i++) p.get(k(`p:${i}`));
      p.incr(k('p:counter'));
      const res = await p.exec();
      assert.equal(res.length, 101);
      for (let i = 0; i < 50; i++) assert.deepEqual(res[i], [null, 'OK']);
      for (let i = 0; i < 50; i++) assert.deepEqual(res[50 + i], [null, String(i)]);
      assert.deepEqual(res[100], [null, 1]);
    });

    it('multi/exec', T, async () => {
      await r.del(k('tx'));
      const res = await r.multi().set(k('tx'), '1').incr(k('tx')).incrby(k('tx'), 5).get(k('tx')).exec();
      assert.deepEqual(res, [[null, 'OK'], [null, 2], [null, 7], [null, '7']]);
    });

    it('watch: multi().exec() resolves null when another client wrote the key, runs otherwise', T, async () => {
      const other = new f.Redis({ host: '127.0.0.1', port: PORT, lazyConnect: true, connectTimeout: 5000,
        commandTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
      await other.connect();
      try {
        await r.set(k('w'), '1');
        assert.equal(await r.watch(k('w')), 'OK');
        await other.set(k('w'), '2');
        assert.equal(await r.multi().set(k('w'), 'mine').exec(), null);
        assert.equal(await r.get(k('w')), '2');
        assert.equal(await r.watch(k('w')), 'OK');  // EXEC unwatched: watch again, no write in between
        assert.deepEqual(await r.multi().set(k('w'), 'mine').exec(), [[null, 'OK']]);
        assert.equal(await r.get(k('w')), 'mine');
        assert.equal(await r.watch(k('w')), 'OK');
        assert.equal(await r.unwatch(), 'OK');
        await other.del(k('w'));
        assert.deepEqual(await r.multi().incr(k('w')).exec(), [[null, 1]]);
      } finally {
        other.disconnect();
      }
    });

    it('multi with a queue-time error is aborted (EXECABORT)', T, async () => {
      await assert.rejects(r.multi().set(k('aborted'), '1').call('GET').exec(),
        (e) => /EXECABORT Transaction discarded because of previous errors/.test(e.message));
      assert.equal(await r.exists(k('aborted')), 0);
    });

    it('scanStream with MATCH and COUNT returns exactly the matching keys', T, async () => {
      const p = r.pipeline();
      for (let i = 0; i < 120; i++) p.set(k(`course:${i}`), 'c');
      for (let i = 0; i < 30; i++) p.set(k(`student:${i}`), 's');
      await p.exec();
      const keys = await scanAll(r, k('course:*'), 10);
      assert.equal(new Set(keys).size, keys.length, 'no duplicates');
      assert.deepEqual(new Set(keys), new Set(Array.from({ length: 120 }, (_, i) => k(`course:${i}`))));
    });

    it('incr and del', T, async () => {
      await r.del(k('n'));
      assert.equal(await r.incr(k('n')), 1);
      assert.equal(await r.incrby(k('n'), 41), 42);
      assert.equal(await r.del(k('n'), k('nope')), 1);
      assert.equal(await r.exists(k('n')), 0);
    });

    it('JSON string and binary round trips', T, async () => {
      const doc = { id: 7, title: 'Café ✓', tags: ['a', 'b'], nested: { ok: true, n: null } };
      await r.set(k('json'), JSON.stringify(doc), 'EX', 300);
      assert.deepEqual(JSON.parse(await r.get(k('json'))), doc);
      const blob = Buffer.from([0, 1, 2, 13, 10, 255, 36, 42]);
      await r.set(k('bin'), blob);
      assert.deepEqual(await r.getBuffer(k('bin')), blob);
    });

    it('errors reject with Redis\'s text', T, async () => {
      await r.set(k('text'), 'abc');
      await assert.rejects(r.incr(k('text')), { message: 'ERR value is not an integer or out of range' });
      await assert.rejects(r.call('NOSUCHCMD', 'x'),
        { message: "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' " });
      assert.equal(await r.ping(), 'PONG');
    });

    it('a key set with PX expires', T, async () => {
      await r.set(k('short'), 'v', 'PX', 150);
      await new Promise((res) => setTimeout(res, 400));
      assert.equal(await r.get(k('short')), null);
    });
  });
}
