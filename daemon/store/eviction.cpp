// daemon/store/eviction.cpp: which entry a shard evicts next, per maxmemory-policy. allkeys-lru
// takes the oldest entry of the shard's recency list (recency_list.h); volatile-lru the least
// recent key with a TTL (walking at most 1024 entries from the oldest, then any sampled key of
// the TTL index); the random policies pick uniformly; volatile-ttl the soonest to expire among
// 16 sampled keys with a TTL; allkeys-sieve asks the recency list's SIEVE hand (the list is in
// insertion order: reads only mark).
#include "daemon/store/shard.h"

namespace shardcache::store {

namespace {
constexpr size_t kVolatileLruWalk = 1024;
constexpr int kTtlSamples = 16;  // about what Redis's 5 samples plus its 16-candidate pool achieve
}  // namespace

Entry* Shard::volatile_lru_victim_locked() {
  if (Entry* e = recency_.oldest_where(kVolatileLruWalk, [](const Entry* c) { return TtlIndex::contains(c); }))
    return e;
  return ttl_.empty() ? nullptr : ttl_.sample(next_rand());
}

Entry* Shard::pick_victim_locked(int64_t now_ms) {
  (void)now_ms;
  switch (budget_.policy()) {
    case EvictionPolicy::AllKeysLru: return recency_.oldest();
    case EvictionPolicy::AllKeysRandom: return table_.random_chain(next_rand());
    case EvictionPolicy::VolatileRandom:
      return ttl_.empty() ? nullptr : ttl_.sample(next_rand());
    case EvictionPolicy::VolatileTtl: {
      Entry* best = nullptr;
      for (int i = 0; i < kTtlSamples && !ttl_.empty(); ++i) {
        Entry* c = ttl_.sample(next_rand());
        if (!best || c->expire() < best->expire()) best = c;
      }
      return best;
    }
    case EvictionPolicy::VolatileLru: return volatile_lru_victim_locked();
    case EvictionPolicy::NoEviction: return nullptr;
    case EvictionPolicy::AllKeysSieve: return recency_.sieve_victim(table_.size());
  }
  return nullptr;
}

}  // namespace shardcache::store
