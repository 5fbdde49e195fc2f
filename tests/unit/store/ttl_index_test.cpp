// tests/unit/store/ttl_index_test.cpp: the TTL index on its own: slots stay dense and each
// entry knows its slot through adds, removals (first, middle, last, twice) and replacement;
// sampling reaches every entry; bytes and the growth a full array announces are what it holds.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "daemon/store/alloc.h"
#include "daemon/store/ttl_index.h"
#include "tests/unit/store/entries.h"

using namespace shardcache::store;
using shardcache::test::Entries;

namespace {
/// Every slot's entry knows its slot; returns the entries in slot order.
std::vector<Entry*> slots(const TtlIndex& t) {
  std::vector<Entry*> v;
  for (size_t i = 0; i < t.size(); ++i) {
    Entry* e = t.sample(i);
    CHECK(e->vol_idx() == i);
    v.push_back(e);
  }
  return v;
}
}  // namespace

TEST_CASE("ttl index: add and remove keep the slots dense") {
  Entries es;
  TtlIndex t(Entries::base());
  CHECK(t.empty());
  std::vector<Entry*> e;
  for (const char* k : {"a", "b", "c", "d"}) e.push_back(es.make(k, true));
  CHECK_FALSE(TtlIndex::contains(e[0]));
  for (Entry* x : e) t.add(x);
  CHECK(t.size() == 4);
  CHECK(TtlIndex::contains(e[2]));
  CHECK(slots(t) == std::vector<Entry*>{e[0], e[1], e[2], e[3]});
  t.remove(e[1]);  // the last slot fills the hole
  CHECK_FALSE(TtlIndex::contains(e[1]));
  CHECK(slots(t) == std::vector<Entry*>{e[0], e[3], e[2]});
  t.remove(e[1]);  // not in the index: nothing happens
  CHECK(t.size() == 3);
  t.remove(e[2]);  // the last slot itself
  CHECK(slots(t) == std::vector<Entry*>{e[0], e[3]});
  t.remove(e[0]);
  t.remove(e[3]);
  CHECK(t.empty());
  Entry* plain = es.make("p");  // no TTL block: never in the index
  CHECK_FALSE(TtlIndex::contains(plain));
  t.remove(plain);
  CHECK(t.empty());
}

TEST_CASE("ttl index: replace moves the slot to the copy") {
  Entries es;
  TtlIndex t(Entries::base());
  Entry* a = es.make("a", true);
  Entry* b = es.make("b", true);
  t.add(a);
  t.add(b);
  Entry* a2 = es.make("a", true);
  t.replace(a, a2);
  CHECK(slots(t) == std::vector<Entry*>{a2, b});
  t.remove(a2);
  CHECK(slots(t) == std::vector<Entry*>{b});
  Entry* c = es.make("c", true);  // a TTL block but not in the index: the copy is not either
  Entry* c2 = es.make("c", true);
  t.replace(c, c2);
  CHECK_FALSE(TtlIndex::contains(c2));
  CHECK(t.size() == 1);
}

TEST_CASE("ttl index: sample reaches every entry") {
  Entries es;
  TtlIndex t(Entries::base());
  std::set<Entry*> all, seen;
  for (int i = 0; i < 10; ++i) {
    Entry* e = es.make("k" + std::to_string(i), true);
    t.add(e);
    all.insert(e);
  }
  for (uint64_t r = 1000; r < 1030; ++r) seen.insert(t.sample(r));
  CHECK(seen == all);
}

TEST_CASE("ttl index: bytes and announced growth match the array") {
  Entries es;
  TtlIndex t(Entries::base());
  CHECK(t.bytes() == 0);
  CHECK(t.growth_on_add() == alloc_rounded_size(sizeof(uint32_t)));  // the first slot
  size_t announced = t.growth_on_add();
  for (int i = 0; i < 100; ++i) {
    size_t before = t.bytes();
    size_t growth = t.growth_on_add();
    t.add(es.make("k" + std::to_string(i), true));
    if (growth) {
      CHECK(t.bytes() == growth);  // a full array reallocated: the new array's bytes
    } else {
      CHECK(t.bytes() == before);
    }
    announced = growth ? growth : announced;
  }
  CHECK(t.bytes() == announced);
  t.clear();
  CHECK(t.empty());
  CHECK(t.bytes() == 0);
}
