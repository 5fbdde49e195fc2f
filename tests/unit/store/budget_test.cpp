// tests/unit/store/budget_test.cpp: the budget on its own: what making room takes for every
// policy (within the share, eviction targets, a value larger than the share, larger than
// maxmemory, borrowing under noeviction and volatile-*), the entry and payload accounting, and
// the over-share changes it reports to the store as usage goes up and down.
#include <doctest/doctest.h>

#include "daemon/store/budget.h"

using namespace shardcache::store;
using Step = Budget::Step;

TEST_CASE("budget: no maxmemory needs nothing") {
  Budget b;
  CHECK_FALSE(b.limited());
  CHECK(b.plan(1 << 30, 1 << 30).step == Step::Unlimited);
}

TEST_CASE("budget: a write within the share fits, whatever the policy") {
  for (EvictionPolicy p : {EvictionPolicy::AllKeysLru, EvictionPolicy::NoEviction, EvictionPolicy::VolatileTtl}) {
    Budget b;
    b.set_policy(p);
    b.set_limits(1000, 64000);
    CHECK(b.plan(900, 100).step == Step::WithinShare);
    CHECK(b.plan(0, 1000).step == Step::WithinShare);
  }
}

TEST_CASE("budget: evicting policies evict down to what leaves room") {
  for (EvictionPolicy p : {EvictionPolicy::AllKeysLru, EvictionPolicy::AllKeysSieve, EvictionPolicy::AllKeysRandom,
                           EvictionPolicy::VolatileLru, EvictionPolicy::VolatileRandom, EvictionPolicy::VolatileTtl}) {
    Budget b;
    b.set_policy(p);
    b.set_limits(1000, 64000);
    Budget::Plan plan = b.plan(950, 100);
    CHECK(plan.step == Step::EvictTo);
    CHECK(plan.target == 900);
    plan = b.plan(1500, 100);  // over the share already (maxmemory lowered): the write pays for itself
    CHECK(plan.step == Step::EvictTo);
    CHECK(plan.target == 1400);
  }
}

TEST_CASE("budget: a value larger than the share empties the shard under allkeys-*, if it fits maxmemory") {
  Budget b;
  b.set_policy(EvictionPolicy::AllKeysLru);
  b.set_limits(1000, 64000);
  CHECK(b.plan(500, 5000).step == Step::EvictAll);
  CHECK(b.plan(500, 64000).step == Step::EvictAll);
  CHECK(b.plan(500, 64001).step == Step::Refuse);
  b.set_policy(EvictionPolicy::VolatileLru);  // others may only borrow room from the store
  CHECK(b.plan(500, 5000).step == Step::Borrow);
}

TEST_CASE("budget: noeviction never evicts, it borrows") {
  Budget b;
  b.set_policy(EvictionPolicy::NoEviction);
  b.set_limits(1000, 64000);
  CHECK_FALSE(b.evicts_all());
  CHECK(b.plan(950, 100).step == Step::Borrow);
  CHECK(b.plan(1500, 1).step == Step::Borrow);
}

TEST_CASE("budget: only allkeys-* policies evict from every key") {
  Budget b;
  for (EvictionPolicy p : {EvictionPolicy::AllKeysLru, EvictionPolicy::AllKeysSieve, EvictionPolicy::AllKeysRandom}) {
    b.set_policy(p);
    CHECK(b.evicts_all());
  }
  for (EvictionPolicy p : {EvictionPolicy::VolatileLru, EvictionPolicy::VolatileRandom, EvictionPolicy::VolatileTtl,
                           EvictionPolicy::NoEviction}) {
    b.set_policy(p);
    CHECK_FALSE(b.evicts_all());
  }
}

TEST_CASE("budget: entry and payload accounting") {
  Budget b;
  b.add_entry(132, 103);
  b.add_entry(4200, 4100);
  CHECK(b.entry_bytes() == 4332);
  CHECK(b.payload_bytes() == 4203);
  b.resize_payload(100, 90);  // a value rewritten in place
  CHECK(b.payload_bytes() == 4193);
  CHECK(b.entry_bytes() == 4332);
  b.remove_entry(4200, 4100);
  b.remove_entry(132, 93);
  CHECK(b.entry_bytes() == 0);
  CHECK(b.payload_bytes() == 0);
}

TEST_CASE("budget: publish reports the change in bytes over the share") {
  Budget b;
  CHECK(b.publish(5000) == 0);  // unlimited: never over
  CHECK(b.published() == 5000);
  b.set_limits(1000, 4000);
  CHECK(b.publish(900) == 0);
  CHECK(b.publish(1300) == 300);
  CHECK(b.published() == 1300);
  CHECK(b.publish(1300) == 0);
  CHECK(b.publish(1100) == -200);
  CHECK(b.publish(800) == -100);  // back within the share: all of it returned
  CHECK(b.publish(1200) == 200);
  b.set_limits(0, 0);             // maxmemory off: the borrowed bytes are returned on the next publish
  CHECK(b.publish(1200) == -200);
}
