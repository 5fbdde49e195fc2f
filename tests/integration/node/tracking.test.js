// tests/integration/node/tracking.test.js: node-redis 6 (`redis`) with RESP 3 and clientSideCache
// against the daemon: repeated GETs are served from the client's cache (INFO commandstats'
// cmdstat_get calls do not move), and SET, DEL, EXPIRE, INVALIDATE, INVALIDATETAG and FLUSHALL
// from another client reach the cache. Run by suite_tracking.sh; SC_PORT is the daemon's port.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const redis = require('redis');

const PORT = Number(process.env.SC_PORT);
const T = { timeout: 15000 };

/// cmdstat_get's calls from INFO commandstats (0 before the first GET).
async function getCalls(w) {
  const m = /cmdstat_get:calls=(\d+)/.exec(await w.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

/// Resolves with the key (null: everything) of the next invalidation the cache takes, or
/// rejects after 3 s.
function nextInvalidation(cache) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no invalidation within 3 s')), 3000);
    cache.once('invalidate', (key) => {
      clearTimeout(timer);
      resolve(key === null ? null : String(key));
    });
  });
}

describe(`node-redis ${require('redis/package.json').version} clientSideCache`, () => {
  let c, w;
  before(async () => {
    const socket = { host: '127.0.0.1', port: PORT, connectTimeout: 5000, reconnectStrategy: false };
    c = redis.createClient({ socket, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0, evictPolicy: 'LRU' } });
    w = redis.createClient({ socket });
    c.on('error', () => {});
    w.on('error', () => {});
    await c.connect();
    await w.connect();
    await w.flushAll();
  });
  after(async () => {
    await c?.close();
    await w?.close();
  });

  it('serves repeated GETs from its cache: the server sees one', T, async () => {
    await w.set('csc:a', '1');
    const before = await getCalls(w);
    for (let i = 0; i < 5; i++) assert.equal(await c.get('csc:a'), '1');
    assert.equal(await getCalls(w), before + 1);
    assert.ok(c.clientSideCache.stats().hitCount >= 4);
    const info = await w.sendCommand(['INFO', 'clients']);
    assert.match(info, /tracking_clients:1/);
  });

  for (const [name, write] of [
    ['SET', (k) => w.set(k, '2')],
    ['DEL', (k) => w.del(k)],
    ['EXPIRE', (k) => w.expire(k, 100)],
    ['INVALIDATE', (k) => w.sendCommand(['INVALIDATE', k.replace(/:[^:]*$/, ':*')])],
    ['INVALIDATETAG', (k) => w.sendCommand(['INVALIDATETAG', `tag:${k}`])],
  ]) {
    it(`${name} from another client reaches the cache`, T, async () => {
      const k = `csc:${name.toLowerCase()}:k`;
      await w.sendCommand(['SET', k, '1', 'TAGS', `tag:${k}`]);
      assert.equal(await c.get(k), '1');
      assert.equal(await c.get(k), '1');  // cached
      const calls = await getCalls(w);
      const inv = nextInvalidation(c.clientSideCache);
      await write(k);
      assert.equal(await inv, k);
      const now = await w.get(k);
      assert.equal(await c.get(k), now);  // read from the server again
      assert.equal(await getCalls(w), calls + 2);
    });
  }

  it('FLUSHALL from another client empties the cache', T, async () => {
    await w.set('csc:f', '1');
    assert.equal(await c.get('csc:f'), '1');
    assert.ok(c.clientSideCache.size() >= 1);
    const inv = nextInvalidation(c.clientSideCache);
    await w.flushAll();
    assert.equal(await inv, null);
    assert.equal(c.clientSideCache.size(), 0);
    assert.equal(await c.get('csc:f'), null);
  });
});
