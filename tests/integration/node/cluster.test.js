// tests/integration/node/cluster.test.js: a three-node shardcached cluster driven by ioredis
// Cluster (6.x) and node-redis createCluster (5.x): set/get across every node's slots, keys
// hash-tagged into one slot, CROSSSLOT from the server, INVALIDATE sent to every master, and
// MOVED followed after a topology change (tools/lib/cluster_conf.py move + SIGHUP to every node).
// Run by suite_cluster.sh with `node --test`; SC_CLUSTER_PORTS holds the three ports and
// SC_CLUSTER_DIR the topology directory (node-PORT/pid, the plan).
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PORTS = process.env.SC_CLUSTER_PORTS.split(' ').map(Number);
const DIR = process.env.SC_CLUSTER_DIR;
const CONF = path.join(__dirname, '../../../tools/lib/cluster_conf.py');

// Moves `key`'s slot to another node (rewrites every node's file, SIGHUPs every node) and waits
// until the old owner answers MOVED. Returns { slot, from, to } (ports).
async function moveSlotOf(key) {
  const Redis = require('ioredis');
  const plain = new Redis({ port: PORTS[0], host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  await plain.connect();
  try {
    const slot = await plain.cluster('KEYSLOT', key);
    const ranges = await plain.cluster('SLOTS');
    const from = ranges.find(([s, e]) => slot >= s && slot <= e)[2][1];
    const to = PORTS.find((p) => p !== from);
    execFileSync('/usr/bin/python3', [CONF, 'move', DIR, String(slot), String(slot), String(to)]);
    for (const p of PORTS) process.kill(Number(fs.readFileSync(path.join(DIR, `node-${p}`, 'pid'), 'utf8')), 'SIGHUP');
    const old = new Redis({ port: from, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    await old.connect();
    let moved = '';
    for (let i = 0; i < 200 && !moved; i++) {
      try {
        await old.get(key);
        await new Promise((r) => setTimeout(r, 50));
      } catch (e) {
        moved = e.message;
      }
    }
    old.disconnect();
    assert.equal(moved, `MOVED ${slot} 127.0.0.1:${to}`);
    return { slot, from, to };
  } finally {
    plain.disconnect();
  }
}

async function plainGet(port, key) {
  const Redis = require('ioredis');
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    return await r.get(key);
  } finally {
    r.disconnect();
  }
}
const T = { timeout: 30000 };
const KEYS = Array.from({ length: 300 }, (_, i) => `k${i}`);

describe('ioredis Cluster', () => {
  const Redis = require('ioredis');
  let c;
  before(async () => {
    c = new Redis.Cluster(PORTS.map((port) => ({ host: '127.0.0.1', port })), {
      redisOptions: { connectTimeout: 5000, commandTimeout: 5000 }, slotsRefreshTimeout: 5000,
    });
    await new Promise((resolve, reject) => { c.once('ready', resolve); c.once('error', reject); });
  });
  after(() => c && c.disconnect());

  it('sees three masters', T, () => {
    assert.equal(c.nodes('master').length, 3);
  });
  it('sets and gets keys across all nodes', T, async () => {
    await Promise.all(KEYS.map((k) => c.set(`io:${k}`, `v-${k}`)));
    const got = await Promise.all(KEYS.map((k) => c.get(`io:${k}`)));
    assert.deepEqual(got, KEYS.map((k) => `v-${k}`));
    const sizes = await Promise.all(c.nodes('master').map((n) => n.dbsize()));
    assert.ok(sizes.every((n) => n > 0), `every node holds keys: ${sizes}`);
  });
  it('runs multi-key commands in one slot with a hash tag', T, async () => {
    await c.mset('{io}a', '1', '{io}b', '2');
    assert.deepEqual(await c.mget('{io}a', '{io}b'), ['1', '2']);
  });
  it('INVALIDATE on every master removes the keys of all nodes', T, async () => {
    const removed = await Promise.all(c.nodes('master').map((n) => n.call('INVALIDATE', 'io:*')));
    assert.equal(removed.reduce((a, b) => a + Number(b), 0), KEYS.length);
    assert.deepEqual(await Promise.all(KEYS.slice(0, 20).map((k) => c.get(`io:${k}`))), Array(20).fill(null));
  });
  it('follows MOVED after a topology change', T, async () => {
    const key = 'io:moving';
    await c.set(key, 'before');
    const { to } = await moveSlotOf(key);
    assert.equal(await c.get(key), null, 'the moved slot starts empty on its new node');
    await c.set(key, 'after');
    assert.equal(await c.get(key), 'after');
    assert.equal(await plainGet(to, key), 'after', 'the write went to the new owner');
    await c.set('io:k1', 'still');  // the other slots are unaffected
    assert.equal(await c.get('io:k1'), 'still');
  });
});

describe('node-redis createCluster', () => {
  const { createCluster, createClient } = require('redis');
  let c;
  before(async () => {
    c = createCluster({ rootNodes: PORTS.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
    c.on('error', () => {});
    await c.connect();
  });
  after(async () => c && (await c.close?.() ?? c.disconnect()));

  it('sees three masters', T, () => {
    assert.equal(c.masters.length, 3);
  });
  it('sets and gets keys across all nodes', T, async () => {
    await Promise.all(KEYS.map((k) => c.set(`nr:${k}`, `v-${k}`)));
    const got = await Promise.all(KEYS.map((k) => c.get(`nr:${k}`)));
    assert.deepEqual(got, KEYS.map((k) => `v-${k}`));
  });
  it('a plain client gets CROSSSLOT for keys of two slots', T, async () => {
    const r = createClient({ url: `redis://127.0.0.1:${PORTS[0]}` });
    r.on('error', () => {});
    await r.connect();
    try {
      await assert.rejects(r.mSet(['foo', '1', 'bar', '2']), /^\[?.*CROSSSLOT Keys in request don't hash to the same slot/);
    } finally {
      await (r.close?.() ?? r.disconnect());
    }
  });
  it('INVALIDATE on every master removes the keys of all nodes', T, async () => {
    let total = 0;
    for (const port of PORTS) {
      const r = createClient({ url: `redis://127.0.0.1:${port}` });
      r.on('error', () => {});
      await r.connect();
      total += Number(await r.sendCommand(['INVALIDATE', 'nr:*']));
      await (r.close?.() ?? r.disconnect());
    }
    assert.equal(total, KEYS.length);
    assert.equal(await c.get('nr:k1'), null);
  });
  it('follows MOVED after a topology change', T, async () => {
    const key = 'nr:moving';
    await c.set(key, 'before');
    const { to } = await moveSlotOf(key);
    assert.equal(await c.get(key), null, 'the moved slot starts empty on its new node');
    await c.set(key, 'after');
    assert.equal(await c.get(key), 'after');
    assert.equal(await plainGet(to, key), 'after', 'the write went to the new owner');
  });
});
