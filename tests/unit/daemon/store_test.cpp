// tests/unit/daemon/store_test.cpp: the store on its own: put/find, replace, expiry (lazy and
// active), incremental growth with SCAN coverage, LRU eviction within a budget.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/alloc.h"
#include "daemon/store/store.h"

using namespace shardcache::store;

namespace {
Entry* put(Shard& s, const std::string& k, const std::string& v, int64_t exp = 0) {
  return s.put_locked(k, Store::hash(k), v, exp);
}
Entry* find(Shard& s, const std::string& k, int64_t now = 1000) { return s.find_locked(k, Store::hash(k), now); }
}  // namespace

TEST_CASE("store: a table reserved for n keys takes them without rehashing, and counts its slots") {
  Shard s;
  const size_t before = s.table_locked().slot_bytes();
  s.reserve_locked(3000);
  const size_t reserved = s.table_locked().slot_bytes();
  CHECK(reserved >= 3000 / HashTable::kMaxLoad * 4);
  CHECK(s.used_bytes() == reserved);
  for (int i = 0; i < 3000; ++i) {
    put(s, "key:" + std::to_string(i), "v");
    REQUIRE_FALSE(s.table_locked().rehashing());
  }
  CHECK(s.table_locked().slot_bytes() == reserved);
  s.reserve_locked(100000);  // a table that holds entries is left alone
  CHECK(s.table_locked().slot_bytes() == reserved);
  CHECK(before < reserved);
}

TEST_CASE("store: put, find, replace and erase") {
  Shard s;
  put(s, "a", "1");
  REQUIRE(find(s, "a"));
  CHECK(find(s, "a")->value() == "1");
  put(s, "a", "22");
  CHECK(find(s, "a")->value() == "22");
  CHECK(s.size_locked() == 1);
  s.erase_locked(find(s, "a"));
  CHECK(find(s, "a") == nullptr);
  CHECK(s.size_locked() == 0);
  CHECK(s.used_bytes() == s.table_locked().slot_bytes());
}

TEST_CASE("store: lazy expiry removes a key once its time has passed") {
  Shard s;
  put(s, "k", "v", 2000);
  CHECK(find(s, "k", 1999));
  CHECK(find(s, "k", 2000) == nullptr);
  CHECK(s.size_locked() == 0);
  CHECK(s.stats_locked().expired == 1);
}

TEST_CASE("store: active expiry reclaims expired keys without access") {
  Store st(4);
  for (int i = 0; i < 2000; ++i) {
    std::string k = "k" + std::to_string(i);
    uint64_t h = Store::hash(k);
    std::lock_guard g(st.shard_for(h).mutex());
    st.shard_for(h).put_locked(k, h, "v", i < 1500 ? 500 : 0);
  }
  size_t total = 0;
  for (int round = 0; round < 200 && total < 1500; ++round) total += st.cron_step(1000, 1000);
  CHECK(total == 1500);
  CHECK(st.stats().keys == 500);
  CHECK(st.stats().volatile_keys == 0);
}

TEST_CASE("store: the table grows incrementally and SCAN sees every key present throughout") {
  Shard s;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) put(s, "base" + std::to_string(i), "v");
  uint64_t cur = 0;
  int steps = 0;
  do {
    cur = s.table_locked().scan(cur, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table while the scan is in progress.
    if (steps < 40) for (int j = 0; j < 50; ++j) put(s, "grow" + std::to_string(steps * 50 + j), "v");
    ++steps;
  } while (cur != 0 && steps < 100000);
  for (int i = 0; i < 100; ++i) CHECK(seen.count("base" + std::to_string(i)) == 1);
}

TEST_CASE("store: rehash keeps every key findable") {
  Shard s;
  for (int i = 0; i < 5000; ++i) put(s, "k" + std::to_string(i), std::to_string(i));
  for (int i = 0; i < 5000; ++i) {
    Entry* e = find(s, "k" + std::to_string(i));
    REQUIRE(e);
    CHECK(e->value() == std::to_string(i));
  }
}

TEST_CASE("store: allkeys-lru evicts the least recently used within the budget") {
  Shard s;
  s.set_budget(64 * 1024);
  for (int i = 0; i < 200; ++i) put(s, "k" + std::to_string(i), std::string(100, 'x'));
  Entry* first = find(s, "k0");
  if (first) s.touch_locked(first);
  for (int i = 200; i < 2000; ++i) {
    put(s, "k" + std::to_string(i), std::string(100, 'x'));
    if (Entry* e = find(s, "k0")) s.touch_locked(e);  // keep k0 hot
  }
  CHECK(s.used_bytes() <= 64 * 1024);
  CHECK(s.stats_locked().evicted > 0);
  CHECK(find(s, "k0") != nullptr);
  CHECK(find(s, "k1") == nullptr);
  CHECK(find(s, "k1999") != nullptr);
}

TEST_CASE("store: noeviction refuses writes over budget but keeps data") {
  Shard s;
  s.set_budget(16 * 1024);
  s.set_policy(EvictionPolicy::NoEviction);
  int stored = 0;
  for (int i = 0; i < 1000; ++i)
    if (put(s, "k" + std::to_string(i), std::string(100, 'x'))) ++stored;
  CHECK(stored > 10);
  CHECK(stored < 1000);
  CHECK(s.size_locked() == static_cast<size_t>(stored));
  CHECK(s.used_bytes() <= 16 * 1024);
}

TEST_CASE("store: resize keeps value prefix and expiry") {
  Shard s;
  Entry* e = put(s, "k", "abc", 5000);
  e = s.resize_value_locked(e, 6);
  REQUIRE(e);
  CHECK(e->value().substr(0, 3) == "abc");
  CHECK(e->expire_ms == 5000);
  CHECK(s.volatile_count_locked() == 1);
  CHECK(find(s, "k") == e);
}

TEST_CASE("store: a value larger than a shard's share is stored if it fits the whole budget") {
  Store st(64);
  st.set_maxmemory(64ull * 1024 * 1024);  // 1 MB per shard
  std::string big(10 * 1024 * 1024, 'x');
  uint64_t h = Store::hash("big");
  Shard& s = st.shard_for(h);
  std::lock_guard g(s.mutex());
  REQUIRE(s.put_locked("big", h, big, 0) != nullptr);
  CHECK(s.find_locked("big", h, 1000)->value().size() == big.size());
  std::string huge(80 * 1024 * 1024, 'y');  // larger than all of maxmemory: refused
  CHECK(s.put_locked("huge", Store::hash("huge"), huge, 0) == nullptr);
}

TEST_CASE("store: an overwrite that keeps the size class is done in place") {
  Shard s;
  Entry* e = put(s, "k", std::string(100, 'a'));
  size_t used = s.used_bytes();
  Entry* e2 = put(s, "k", std::string(101, 'b'));  // 16 + 1 + 101 = 118: the 120-byte class, like 117
  CHECK(e2 == e);
  CHECK(find(s, "k")->value() == std::string(101, 'b'));
  CHECK(s.used_bytes() == used);
  CHECK(s.payload_bytes() == 1 + 101);
  CHECK(s.key_index_locked().size() == 1);
  CHECK(s.key_index_locked().check());

  // A value in another class moves the entry; the table and key index follow it.
  Entry* e3 = put(s, "k", std::string(300, 'c'));
  CHECK(e3 != e);
  CHECK(find(s, "k") == e3);
  CHECK(s.payload_bytes() == 1 + 300);
  CHECK(s.key_index_locked().check());
}

TEST_CASE("store: an in-place overwrite takes the new TTL and becomes the most recent entry") {
  Shard s;
  Entry* a = put(s, "a", "0123456789", 9000);
  put(s, "b", "x");
  CHECK(s.volatile_count_locked() == 1);
  Entry* a2 = put(s, "a", "abcdefghij");  // SET without EX clears the TTL
  CHECK(a2 == a);
  CHECK(a2->expire_ms == 0);
  CHECK(s.volatile_count_locked() == 0);
  CHECK(find(s, "a", 100000) == a2);  // no longer expires
  Entry* a3 = put(s, "a", "ABCDEFGHIJ", 7000);  // keeps its TTL block: still in place
  CHECK(a3 == a);
  CHECK(a3->expire_ms == 7000);
  CHECK(s.volatile_count_locked() == 1);
  // A key created without a TTL moves to a block with one the first time it gets one.
  Entry* b = find(s, "b");
  Entry* b2 = put(s, "b", "y", 8000);
  CHECK(b2 != b);
  CHECK(b2->expire_ms == 8000);
  CHECK(s.volatile_count_locked() == 2);

  // Recency: "a" was overwritten last among a, c: with a budget for one more key, c goes first.
  Shard t;
  put(t, "c", std::string(100, 'c'));
  put(t, "d", std::string(100, 'd'));
  put(t, "c", std::string(100, 'C'));  // in place, now the most recent
  t.evict_to_budget_locked(t.used_bytes() - 1, 0);
  CHECK(find(t, "c") != nullptr);
  CHECK(find(t, "d") == nullptr);
}

TEST_CASE("store: an in-place overwrite drops the old value's tags") {
  Shard s;
  Entry* e = put(s, "k", "v1");
  std::string_view tags[] = {"t1"};
  s.attach_tags_locked(e, tags);
  CHECK(s.tags_of_locked(e).size() == 1);
  Entry* e2 = put(s, "k", "v2");
  REQUIRE(e2 == e);
  CHECK(s.tags_of_locked(e2).empty());
  CHECK(s.tag_index_locked().bytes() == 0);
}

TEST_CASE("store: prefetch hints are safe while other threads grow, clear and rewrite the tables") {
  // Store::prefetch reads bucket arrays and entries without the shard locks; this drives it
  // against writers that grow tables (rehash frees the old array), FLUSH (clear) and overwrite,
  // and checks the writers' own view of their keys stays exact.
#ifdef SHARDCACHE_JEMALLOC
  // jemalloc keeps freed memory mapped (opt.retain) unless the kernel overcommits strictly:
  // then the entry and neighbour hints below run too, not only the bucket hint.
  int overcommit = 0;
  if (FILE* f = std::fopen("/proc/sys/vm/overcommit_memory", "r")) {
    if (std::fscanf(f, "%d", &overcommit) != 1) overcommit = 2;
    std::fclose(f);
  }
  CHECK(allocator_retains_freed_memory() == (overcommit != 2));
#else
  CHECK_FALSE(allocator_retains_freed_memory());
#endif
  Store st(4);
  std::atomic<bool> stop{false};
  std::thread hinter([&] {
    std::vector<std::string> keys;
    for (int i = 0; i < 64; ++i) keys.push_back("k" + std::to_string(i * 37));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    for (int round = 0; !stop.load() && round < 2000000; ++round)
      st.prefetch(std::span(views).subspan(static_cast<size_t>(round % 48), 16));
  });
  bool exact = true;
  for (int cycle = 0; cycle < 6; ++cycle) {
    for (int i = 0; i < 20000; ++i) {
      std::string k = "k" + std::to_string(i);
      uint64_t h = Store::hash(k);
      std::lock_guard g(st.shard_for(h).mutex());
      st.shard_for(h).put_locked(k, h, std::string(static_cast<size_t>(10 + i % 200), 'v'), 0);
    }
    for (int i = 0; i < 20000; i += 7) {
      std::string k = "k" + std::to_string(i);
      uint64_t h = Store::hash(k);
      std::lock_guard g(st.shard_for(h).mutex());
      Entry* e = st.shard_for(h).find_locked(k, h, 1000);
      exact = exact && e && e->vlen() == static_cast<uint32_t>(10 + i % 200);
    }
    for (size_t s = 0; s < st.shard_count(); ++s) {
      std::lock_guard g(st.shard(s).mutex());
      st.shard(s).clear_locked();
    }
  }
  stop = true;
  hinter.join();
  CHECK(exact);
  CHECK(st.stats().keys == 0);
}

TEST_CASE("store: replaced page-sized bucket arrays stay mapped, zeroed, and are reused") {
  BucketPool pool;
  const size_t big = 2 * kPagesFrom / sizeof(uint32_t);  // mapped pages
  uint32_t* p = pool.take(big);
  REQUIRE(p);
  for (size_t i = 0; i < big; ++i) p[i] = static_cast<uint32_t>(i + 1);
  pool.give(p, big);
  // Still readable (what a late prefetch hint may do), as zeros.
  CHECK(__atomic_load_n(p + big - 1, __ATOMIC_RELAXED) == 0);
  uint32_t* q = pool.take(big);
  CHECK(q == p);
  bool zero = true;
  for (size_t i = 0; i < big; ++i) zero = zero && q[i] == 0;
  CHECK(zero);
  uint32_t* r = pool.take(big);
  CHECK(r != q);  // none kept any more: a new mapping
  uint32_t* small = pool.take(16);  // heap-allocated: freed when given back
  small[3] = 7;
  pool.give(small, 16);
  pool.give(q, big);
  pool.give(r, big);  // the pool unmaps what it keeps when it goes
}

TEST_CASE("store: a table left mostly empty shrinks in cron steps, keeps every key and SCAN's guarantee") {
  Shard s;
  for (int i = 0; i < 20000; ++i) put(s, "k" + std::to_string(i), "v");
  while (s.table_locked().rehashing()) s.table_locked().rehash_step(1000);
  const size_t big = s.table_locked().slot_bytes();
  for (int i = 100; i < 20000; ++i) s.erase_locked(find(s, "k" + std::to_string(i)));
  REQUIRE(s.size_locked() == 100);
  CHECK(s.table_locked().slot_bytes() == big);  // deletes alone do not shrink

  // SCAN across the shrink returns every key present throughout (the first 100).
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = s.table_locked().scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    s.table_step_locked(7);  // the cron's upkeep between SCAN calls: starts and advances the shrink
    ++steps;
  } while (cursor != 0 && steps < 100000);
  CHECK(steps > 1);
  for (int i = 0; i < 100; ++i) CHECK(seen.count("k" + std::to_string(i)) == 1);

  for (int i = 0; i < 100000 && s.table_locked().rehashing(); ++i) s.table_step_locked(100);
  CHECK_FALSE(s.table_locked().rehashing());
  CHECK(s.table_locked().slot_bytes() < big / 16);
  CHECK(s.used_bytes_relaxed() == s.used_bytes());  // the cron published the smaller table
  for (int i = 0; i < 100; ++i) CHECK(find(s, "k" + std::to_string(i)) != nullptr);
  CHECK_FALSE(s.table_locked().maybe_shrink());  // 100 keys in 128 buckets: no further shrink

  // Growing again after the shrink works as before.
  for (int i = 100; i < 5000; ++i) put(s, "k" + std::to_string(i), "v");
  for (int i = 0; i < 5000; ++i) CHECK(find(s, "k" + std::to_string(i)) != nullptr);
}
