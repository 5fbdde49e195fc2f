// tests/unit/daemon/eviction_test.cpp: the memory budget and every eviction policy: a budget
// filled three times over never goes over, a lowered maxmemory is evicted by the cron in bounded
// steps, each policy evicts what it should first, and noeviction answers OOM while reads and
// deletes keep working.
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>

#include "daemon/store/store.h"
#include "tests/unit/daemon/harness.h"

using namespace shardcache::store;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {
Entry* put(Shard& s, const std::string& k, const std::string& v, int64_t exp = 0) {
  return s.put_locked(k, Store::hash(k), v, exp);
}
Entry* find(Shard& s, const std::string& k) { return s.find_locked(k, Store::hash(k), 1000); }
Entry* sput(Store& st, const std::string& k, size_t len, int64_t exp = 0) {
  uint64_t h = Store::hash(k);
  std::lock_guard g(st.shard_for(h).mutex());
  return st.shard_for(h).put_locked(k, h, std::string(len, 'v'), exp);
}
bool present(Store& st, const std::string& k) {
  uint64_t h = Store::hash(k);
  std::lock_guard g(st.shard_for(h).mutex());
  return st.shard_for(h).find_locked(k, h, 1000) != nullptr;
}
constexpr int64_t kFar = 1LL << 50;  // an expiry that never passes in these tests
}  // namespace

TEST_CASE("budget: filling 3x maxmemory never goes over it, evicts, and keeps the newest") {
  for (bool ttl : {false, true}) {
    Store st(8);
    st.set_maxmemory(2 * 1024 * 1024);
    std::mt19937_64 rng(42);
    size_t written = 0;
    int i = 0;
    while (written < 6 * 1024 * 1024) {
      size_t len = 50 + rng() % (16 * 1024);
      std::string k = "k" + std::to_string(i++);
      uint64_t h = Store::hash(k);
      Shard& s = st.shard_for(h);
      std::lock_guard g(s.mutex());
      REQUIRE(s.put_locked(k, h, std::string(len, 'v'), ttl ? kFar + i : 0));
      REQUIRE(s.used_bytes() <= s.budget());
      written += len;
    }
    StoreStats t = st.stats();
    CHECK(t.used_bytes <= st.maxmemory());
    CHECK(t.evicted > 0);
    CHECK(present(st, "k" + std::to_string(i - 1)));
    CHECK(!present(st, "k0"));
  }
}

TEST_CASE("budget: a lowered maxmemory is evicted by the cron in bounded steps") {
  Store st(4);
  for (int i = 0; i < 4000; ++i) sput(st, "k" + std::to_string(i), 1000);
  size_t before = st.stats().used_bytes;
  CHECK(before > 4 * 1000 * 1000);
  st.set_maxmemory(1024 * 1024);
  CHECK(st.stats().used_bytes == before);  // CONFIG SET does not evict synchronously
  // A write while over budget pays only for itself: its entry and the room a key-index leaf
  // split may take (a 1 KB leaf), two of these 1 KB entries at most.
  REQUIRE(sput(st, "new", 100));
  uint64_t for_new = st.stats().evicted;
  CHECK(for_new <= 2);
  // One cron step with no time to spare evicts one batch (32) per shard at most.
  st.cron_step(1000, 0);
  uint64_t first = st.stats().evicted;
  CHECK(first > 0);
  CHECK(first <= 4 * 32 + for_new);
  int steps = 1;
  while (st.stats().used_bytes > st.maxmemory() && steps < 10000) {
    st.cron_step(1000, 0);
    ++steps;
  }
  CHECK(st.stats().used_bytes <= st.maxmemory());
  CHECK(steps > 5);
  // LRU order: the newest keys survive the shrink, the oldest are gone.
  CHECK(present(st, "new"));
  CHECK(present(st, "k3999"));
  CHECK(!present(st, "k0"));
}

TEST_CASE("policy volatile-lru: only keys with a TTL are evicted, least recent first") {
  Shard s;
  s.set_budget(64 * 1024);
  s.set_policy(EvictionPolicy::VolatileLru);
  for (int i = 0; i < 100; ++i) REQUIRE(put(s, "p" + std::to_string(i), std::string(100, 'x')));
  for (int i = 0; i < 100; ++i) REQUIRE(put(s, "v" + std::to_string(i), std::string(100, 'x'), kFar));
  s.touch_locked(find(s, "v0"));
  int stored = 0;
  for (int i = 0; i < 2000; ++i) stored += put(s, "n" + std::to_string(i), std::string(100, 'x'), kFar) ? 1 : 0;
  CHECK(stored == 2000);
  CHECK(s.used_bytes() <= 64 * 1024);
  for (int i = 0; i < 100; ++i) CHECK(find(s, "p" + std::to_string(i)) != nullptr);  // never evicted
  CHECK(find(s, "v1") == nullptr);
  CHECK(find(s, "n1999") != nullptr);
  // With no volatile key left to evict, a write that needs room fails like noeviction.
  Shard t;
  t.set_budget(16 * 1024);
  t.set_policy(EvictionPolicy::VolatileLru);
  int ok = 0;
  for (int i = 0; i < 500; ++i) ok += put(t, "p" + std::to_string(i), std::string(100, 'x')) ? 1 : 0;
  CHECK(ok < 500);
  CHECK(t.size_locked() == static_cast<size_t>(ok));
}

TEST_CASE("policy allkeys-random: evicts regardless of age or use") {
  Shard s;
  s.set_budget(64 * 1024);
  s.set_policy(EvictionPolicy::AllKeysRandom);
  for (int i = 0; i < 3000; ++i) REQUIRE(put(s, "k" + std::to_string(i), std::string(100, 'x')));
  CHECK(s.used_bytes() <= 64 * 1024);
  int old_alive = 0, recent_alive = 0;
  for (int i = 0; i < 1000; ++i) old_alive += find(s, "k" + std::to_string(i)) ? 1 : 0;
  for (int i = 2000; i < 2999; ++i) recent_alive += find(s, "k" + std::to_string(i)) ? 1 : 0;
  CHECK(old_alive > 0);            // LRU would have evicted every one of these
  CHECK(recent_alive < 999);       // and none of these
  CHECK(find(s, "k2999") != nullptr);
}

TEST_CASE("policy volatile-random: only keys with a TTL are evicted") {
  Shard s;
  s.set_budget(64 * 1024);
  s.set_policy(EvictionPolicy::VolatileRandom);
  for (int i = 0; i < 100; ++i) REQUIRE(put(s, "p" + std::to_string(i), std::string(100, 'x')));
  for (int i = 0; i < 3000; ++i) REQUIRE(put(s, "v" + std::to_string(i), std::string(100, 'x'), kFar));
  CHECK(s.used_bytes() <= 64 * 1024);
  CHECK(s.stats_locked().evicted > 0);
  for (int i = 0; i < 100; ++i) CHECK(find(s, "p" + std::to_string(i)) != nullptr);
}

TEST_CASE("policy volatile-ttl: the keys closest to expiring go first") {
  Shard s;
  s.set_budget(64 * 1024);
  s.set_policy(EvictionPolicy::VolatileTtl);
  // 300 keys with TTLs in shuffled order, then enough new keys (far TTL) to evict 150 of them.
  std::vector<int> order(300);
  for (int i = 0; i < 300; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (int i : order) REQUIRE(put(s, "t" + std::to_string(i), std::string(100, 'x'), kFar + i));
  s.set_budget(s.used_bytes());
  for (int i = 0; i < 150; ++i) REQUIRE(put(s, "n" + std::to_string(i), std::string(100, 'x'), kFar + 100000));
  int low_evicted = 0, high_evicted = 0;
  for (int i = 0; i < 150; ++i) low_evicted += find(s, "t" + std::to_string(i)) ? 0 : 1;
  for (int i = 150; i < 300; ++i) high_evicted += find(s, "t" + std::to_string(i)) ? 0 : 1;
  CHECK(low_evicted + high_evicted >= 130);
  CHECK(low_evicted > 4 * high_evicted);  // sampling like Redis: mostly, not strictly, in TTL order
  CHECK(find(s, "t299") != nullptr);
  for (int i = 0; i < 150; ++i) CHECK(find(s, "n" + std::to_string(i)) != nullptr);
}

TEST_CASE("policy noeviction: writes answer OOM once full, reads and deletes keep working") {
  Harness h;
  CHECK(h.Run({"config", "set", "maxmemory-policy", "noeviction"}).ok());
  CHECK(h.Run({"config", "set", "maxmemory", "256kb"}).ok());
  int stored = 0;
  Val last;
  for (int i = 0; i < 5000; ++i) {
    last = h.Run({"set", "k" + std::to_string(i), std::string(200, 'x')});
    if (!last.ok()) break;
    ++stored;
  }
  CHECK(stored > 100);
  // Refused only once the whole store is full, not when the first shard reaches its share.
  std::string mem = h.Run({"info", "memory"}).str;
  long long used = std::stoll(mem.substr(mem.find("used_memory:") + 12));
  CHECK(used > 256 * 1024 * 9 / 10);
  CHECK(used <= 256 * 1024);
  CHECK(last.kind == Val::Error);
  CHECK(last.str == "OOM command not allowed when used memory > 'maxmemory'.");
  CHECK(h.Run({"dbsize"}).num == stored);
  for (int i = 0; i < stored; ++i) REQUIRE(h.Run({"get", "k" + std::to_string(i)}).str == std::string(200, 'x'));
  CHECK(h.Run({"append", "k0", std::string(100000, 'y')}).str == "OOM command not allowed when used memory > 'maxmemory'.");
  CHECK(h.Run({"get", "k0"}).str == std::string(200, 'x'));  // unchanged by the refused write
  CHECK(h.Run({"info", "stats"}).str.find("evicted_keys:0\r\n") != std::string::npos);
  CHECK(h.Run({"del", "k0", "k1", "k2"}).num == 3);
  CHECK(h.Run({"set", "again", std::string(200, 'x')}).ok());  // deletes made room
}

TEST_CASE("policy names: CONFIG SET accepts each, rejects others with the list") {
  Harness h;
  for (auto n : policy_names()) {
    CHECK(h.Run({"config", "set", "maxmemory-policy", std::string(n)}).ok());
    CHECK(h.Run({"config", "get", "maxmemory-policy"}).elems[1].str == n);
  }
  CHECK(h.Run({"config", "set", "maxmemory-policy", "ALLKEYS-LRU"}).ok());
  CHECK(h.Run({"config", "get", "maxmemory-policy"}).elems[1].str == "allkeys-lru");
  std::string err = h.Run({"config", "set", "maxmemory-policy", "lfu"}).str;
  CHECK(err.rfind("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: ", 0) == 0);
  CHECK(err.find("noeviction") != std::string::npos);
}

TEST_CASE("budget: noeviction and volatile-* without volatile keys fill the whole store, never over it") {
  for (auto policy : {EvictionPolicy::NoEviction, EvictionPolicy::VolatileLru, EvictionPolicy::VolatileTtl}) {
    Store st(8);
    st.set_maxmemory(512 * 1024);
    st.set_policy(policy);
    int i = 0;
    while (sput(st, "k" + std::to_string(i), 300)) {
      REQUIRE(st.stats().used_bytes <= st.maxmemory());
      ++i;
    }
    CHECK(st.stats().used_bytes > st.maxmemory() * 9 / 10);  // not refused at the first full shard
    CHECK(st.stats().evicted == 0);
    CHECK(st.borrowed_bytes() > 0);
    uint64_t h = Store::hash("k0");
    { std::lock_guard g(st.shard_for(h).mutex()); st.shard_for(h).clear_locked(); }
    CHECK(sput(st, "k" + std::to_string(i), 300) != nullptr);  // room again after deletes
  }
}

TEST_CASE("policy allkeys-sieve: read keys survive the hand once, unread keys go in insertion order") {
  Shard s;
  s.set_policy(EvictionPolicy::AllKeysSieve);
  for (int i = 0; i < 10; ++i) REQUIRE(put(s, "k" + std::to_string(i), std::string(100, 'x')));
  s.set_budget(s.used_bytes() + s.key_index_locked().insert_reserve(2));  // a new key reserves a leaf split
  s.touch_locked(find(s, "k0"));  // reads mark, they do not reorder
  s.touch_locked(find(s, "k1"));
  s.touch_locked(find(s, "k5"));
  REQUIRE(put(s, "n0", std::string(100, 'x')));
  CHECK(find(s, "k0") != nullptr);  // the hand passed over k0 and k1, clearing their bits
  CHECK(find(s, "k1") != nullptr);
  CHECK(find(s, "k2") == nullptr);  // the first unvisited key from the oldest end
  REQUIRE(put(s, "n1", std::string(100, 'x')));
  CHECK(find(s, "k3") == nullptr);
  REQUIRE(put(s, "n2", std::string(100, 'x')));
  REQUIRE(put(s, "n3", std::string(100, 'x')));
  CHECK(find(s, "k4") == nullptr);
  CHECK(find(s, "k5") != nullptr);  // visited: spared once
  CHECK(find(s, "k6") == nullptr);
  CHECK(s.used_bytes() <= s.budget());
}

TEST_CASE("policy allkeys-sieve keeps a hot set through a scan of one-time keys; LRU loses it") {
  for (auto policy : {EvictionPolicy::AllKeysSieve, EvictionPolicy::AllKeysLru}) {
    Shard s;
    s.set_policy(policy);
    for (int i = 0; i < 100; ++i) REQUIRE(put(s, "hot" + std::to_string(i), std::string(100, 'x')));
    s.set_budget(s.used_bytes() * 2);
    int hot_hits = 0;
    for (int round = 0; round < 20; ++round) {
      for (int i = 0; i < 100; ++i) {
        std::string k = "hot" + std::to_string(i);
        if (s.lookup_locked(k, Store::hash(k), 1000)) ++hot_hits;
        else put(s, k, std::string(100, 'x'));
      }
      for (int j = 0; j < 150; ++j) put(s, "scan" + std::to_string(round * 150 + j), std::string(100, 'x'));
    }
    if (policy == EvictionPolicy::AllKeysSieve) CHECK(hot_hits > 1500);
    else CHECK(hot_hits < 200);  // each scan pushes the whole hot set out of an LRU
  }
}
