// tests/unit/daemon/slab_test.cpp: the slab arena (size classes, handles, page reuse, threads)
// and the compact entry layout (sizes, long lengths, TTL block, external blocks, relocation),
// with the shard's accounting of every structure.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "daemon/store/store.h"

using namespace shardcache::store;

namespace {
Entry* put(Shard& s, const std::string& k, const std::string& v, int64_t exp = 0) {
  return s.put_locked(k, Store::hash(k), v, exp);
}
Entry* find(Shard& s, const std::string& k) { return s.find_locked(k, Store::hash(k), 1000); }
constexpr int64_t kFar = 1LL << 50;
}  // namespace

TEST_CASE("slab: size classes round by a few bytes, handles round-trip, blocks do not overlap") {
  CHECK(SlabArena::rounded(1) == 16);
  CHECK(SlabArena::rounded(131) == 132);
  CHECK(SlabArena::rounded(256) == 256);
  CHECK(SlabArena::rounded(257) == 264);
  CHECK(SlabArena::rounded(4095) == 4096);
  for (size_t n = 1; n <= SlabArena::kMaxBlock; ++n) {
    size_t r = SlabArena::rounded(n);
    REQUIRE(r >= n);
    REQUIRE(r - n < std::max<size_t>(16, r / 16));  // at most ~6% (or 15 bytes) of rounding
  }
  SlabArena& a = SlabArena::instance();
  std::mt19937 rng(3);
  std::vector<std::pair<char*, size_t>> blocks;
  for (int i = 0; i < 20000; ++i) {
    size_t n = 1 + rng() % 600;
    auto* p = static_cast<char*>(a.alloc(n));
    REQUIRE(p);
    CHECK(a.block_size(p) == SlabArena::rounded(n));
    CHECK(a.ptr(a.handle(p)) == p);
    CHECK(a.handle(p) != 0);
    std::memset(p, static_cast<int>(i & 0xff), n);
    blocks.emplace_back(p, n);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto [p, n] = blocks[i];
    REQUIRE(std::count(p, p + n, static_cast<char>(i & 0xff)) == static_cast<long>(n));
  }
  size_t used_pages = a.stats().pages_used;
  for (auto [p, n] : blocks) a.free(p);
  CHECK(a.stats().pages_used < used_pages);
  CHECK(a.ptr(0) == nullptr);
}

TEST_CASE("slab: empty pages are reused, and past a reserve returned to the OS") {
  SlabArena& a = SlabArena::instance();
  std::vector<void*> v;
  for (int i = 0; i < 100000; ++i) v.push_back(a.alloc(1000));  // ~3000 pages of one class
  SlabStats full = a.stats();
  for (void* p : v) a.free(p);
  SlabStats empty = a.stats();
  CHECK(empty.pages_used + 2900 < full.pages_used);
  CHECK(empty.pages_free <= 32);         // the resident reserve
  CHECK(empty.pages_purged >= 2900);     // the rest went back to the OS
  v.clear();
  for (int i = 0; i < 100000; ++i) v.push_back(a.alloc(1000));
  CHECK(a.stats().pages_purged + 2900 < empty.pages_purged);  // purged pages were reused
  for (void* p : v) a.free(p);
}

TEST_CASE("slab: concurrent allocation and free from two threads keep blocks intact") {
  SlabArena& a = SlabArena::instance();
  auto work = [&](int seed, bool& ok) {
    std::mt19937 rng(seed);
    std::vector<std::pair<unsigned char*, size_t>> live;
    for (int i = 0; i < 50000; ++i) {
      if (live.size() < 500 || rng() % 2) {
        size_t n = 16 + rng() % 2000;
        auto* p = static_cast<unsigned char*>(a.alloc(n));
        std::memset(p, seed, n);
        live.emplace_back(p, n);
      } else {
        size_t k = rng() % live.size();
        auto [p, n] = live[k];
        ok = ok && std::all_of(p, p + n, [&](unsigned char c) { return c == seed; });
        a.free(p);
        live[k] = live.back();
        live.pop_back();
      }
    }
    for (auto [p, n] : live) a.free(p);
  };
  bool ok1 = true, ok2 = true;
  std::thread t1(work, 11, std::ref(ok1)), t2(work, 22, std::ref(ok2));
  t1.join();
  t2.join();
  CHECK(ok1);
  CHECK(ok2);
}

TEST_CASE("entry: a 15-byte key and 100-byte value cost 132 bytes, 144 with a TTL") {
  CHECK(sizeof(Entry) == 16);
  CHECK(Shard::entry_alloc_size(15, 100) == 132);
  CHECK(Shard::entry_alloc_size(15, 100, true) == 144);
  Shard s;
  Entry* e = put(s, "key:00000000001", std::string(100, 'v'));
  CHECK(e->key_len == 15);
  CHECK(e->val_len == 100);
  CHECK(e->expire_ms == 0);
  CHECK(!e->has_ttl_block());
  CHECK(e->key() == "key:00000000001");
  // Besides the entry: the table's slots and the key index (one 1 KB leaf and its map node).
  CHECK(s.key_index_locked().bytes() > 0);
  CHECK(s.used_bytes() == 132 + s.table_locked().slot_bytes() + s.key_index_locked().bytes());
}

TEST_CASE("entry: long keys, big values (external blocks) and TTLs round-trip") {
  Shard s;
  std::string long_key(300, 'k'), big(100000, 'b'), mid(5000, 'm');
  Entry* a = put(s, long_key, "v", kFar);
  CHECK(a->key() == long_key);
  CHECK(a->value() == "v");
  CHECK(a->expire_ms == kFar);
  Entry* b = put(s, "big", big);
  CHECK(b->external());
  CHECK(b->value() == big);
  CHECK(b->val_len == 100000);
  Entry* c = put(s, std::string(5000, 'K'), mid, kFar + 1);  // key alone exceeds a slab block
  CHECK(c->external());
  CHECK(c->key() == std::string(5000, 'K'));
  CHECK(c->value() == mid);
  CHECK(c->expire_ms == kFar + 1);
  b = s.resize_value_locked(b, 100010);
  CHECK(b->value().substr(0, 100000) == big);
  std::memcpy(b->value_data() + 100000, "0123456789", 10);
  CHECK(find(s, "big")->value().substr(99995) == "bbbbb0123456789");
  b = s.resize_value_locked(find(s, "big"), 10);  // shrinks back into a slab block
  CHECK(!b->external());
  CHECK(b->value() == "bbbbbbbbbb");
  // Accounting: entries (blocks + external blocks), slots, the TTL list and the key index.
#ifdef SHARDCACHE_JEMALLOC  // nallocx predicts malloc_usable_size exactly
  size_t entries = Shard::entry_alloc_size(300, 1, true) + Shard::entry_alloc_size(3, 10) +
                   Shard::entry_alloc_size(5000, 5000, true);
  CHECK(s.used_bytes() ==
        entries + s.table_locked().slot_bytes() + s.volatile_bytes() + s.key_index_locked().bytes());
#endif
  CHECK(s.payload_bytes() == 301 + 13 + 10000);
  s.clear_locked();
  CHECK(s.payload_bytes() == 0);
  CHECK(s.used_bytes() == s.table_locked().slot_bytes());
}

TEST_CASE("entry: the first TTL moves the entry, keeping its place in the LRU order") {
  Shard s;
  s.set_budget(Shard::entry_alloc_size(2, 100) * 20 + 4096);
  for (int i = 0; i < 10; ++i) REQUIRE(put(s, "k" + std::to_string(i), std::string(100, 'x')));
  Entry* k0 = find(s, "k0");
  Entry* moved = s.set_expire_locked(k0, kFar);
  CHECK(moved != k0);
  CHECK(moved->has_ttl_block());
  CHECK(find(s, "k0") == moved);
  CHECK(moved->expire_ms == kFar);
  CHECK(s.volatile_count_locked() == 1);
  CHECK(s.set_expire_locked(moved, 0) == moved);  // PERSIST keeps the block, no move
  CHECK(moved->expire_ms == 0);
  CHECK(s.volatile_count_locked() == 0);
  CHECK(s.set_expire_locked(moved, kFar + 5) == moved);
  // k0 is still the least recently used: the next eviction takes it first.
  CHECK(s.evict_to_budget_locked(s.used_bytes() - 1, 1000) == 1);
  CHECK(find(s, "k0") == nullptr);
  CHECK(find(s, "k1") != nullptr);
}

TEST_CASE("accounting: every structure is counted and returns to zero") {
  Store st(4);
  StoreStats empty = st.stats();
  std::map<std::string, size_t> sizes;
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::string k = "key:" + std::to_string(i);
    size_t len = rng() % 3 == 0 ? 6000 + rng() % 9000 : rng() % 300;
    bool ttl = i % 2 == 0;
    uint64_t h = Store::hash(k);
    std::lock_guard g(st.shard_for(h).mutex());
    REQUIRE(st.shard_for(h).put_locked(k, h, std::string(len, 'x'), ttl ? kFar : 0));
    sizes[k] = Shard::entry_alloc_size(k.size(), len, ttl);
  }
  size_t entries = 0;
  for (auto& [k, n] : sizes) entries += n;
  StoreStats t = st.stats();
  size_t index = 0;  // the key index (INVALIDATE's prefix index) holds every key too
  for (size_t i = 0; i < st.shard_count(); ++i) {
    std::lock_guard g(st.shard(i).mutex());
    index += st.shard(i).key_index_locked().bytes();
  }
  CHECK(index > 0);
#ifdef SHARDCACHE_JEMALLOC
  CHECK(t.used_bytes == entries + t.table_bytes + t.volatile_bytes + index);
#endif
  CHECK(t.used_bytes >= entries * 9 / 10 + t.table_bytes + t.volatile_bytes + index);
  CHECK(t.volatile_bytes >= 1500 * sizeof(uint32_t));
  for (size_t i = 0; i < st.shard_count(); ++i) {
    std::lock_guard g(st.shard(i).mutex());
    st.shard(i).clear_locked();
  }
  StoreStats after = st.stats();
  CHECK(after.used_bytes == empty.used_bytes);
  CHECK(after.payload_bytes == 0);
  CHECK(after.volatile_bytes == 0);
}

#ifdef SHARDCACHE_JEMALLOC  // glibc's rounding is a formula; sanitizer builds have their own malloc
TEST_CASE("alloc_rounded_size(n) is the size malloc really gives a request of n bytes") {
  // The accounting's rounding (a table for the small classes) against the allocator's own
  // answer for live blocks, over every small size and into the large ones.
  CHECK(alloc_rounded_size(0) == 0);
  for (size_t n = 1; n <= 40000; n += (n < 20000 ? 1 : 37)) {
    void* p = std::malloc(n);
    REQUIRE(p != nullptr);
    const size_t usable = alloc_usable_size(p);
    std::free(p);
    CHECK_MESSAGE(alloc_rounded_size(n) == usable, "n = " << n);
    if (alloc_rounded_size(n) != usable) break;  // one message is enough
  }
}
#endif
