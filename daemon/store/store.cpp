// daemon/store/store.cpp: shard routing, whole-store locking, budget split and cron steps.
#include "daemon/store/store.h"

#include "daemon/store/alloc.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <unordered_map>

namespace shardcache::store {

int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void Store::prefetch(std::span<const std::string_view> keys) {
  constexpr size_t kMax = 32;
  uint64_t hashes[kMax];
  size_t n = std::min(keys.size(), kMax);
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = keys[i].empty() ? 0 : hash(keys[i]);
    if (hashes[i]) shard_for(hashes[i]).prefetch_bucket(hashes[i]);
  }
  const bool safe = allocator_retains_freed_memory();
  const Entry* heads[kMax];
  for (size_t i = 0; i < n; ++i) heads[i] = hashes[i] ? shard_for(hashes[i]).prefetch_head(hashes[i], safe) : nullptr;
  for (size_t i = 0; i < n; ++i)
    if (heads[i]) shard_for(hashes[i]).prefetch_use(heads[i], keys[i]);
}

Store::Store(size_t shards) {
  if (shards == 0 || (shards & (shards - 1)) != 0) throw std::invalid_argument("shards must be a power of two");
  for (size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->set_store(this);
    shards_.back()->set_slab_heap(static_cast<unsigned>(i));  // neighbouring shards, different heaps
  }
  while ((size_t{1} << shard_bits_) < shards) ++shard_bits_;
  startup_bytes_ = stats().used_bytes;
}

Store::~Store() {
  for (auto& s : shards_) s->set_store(nullptr);  // shards outlive nothing of ours while clearing
}

void Store::note_used(size_t used) {
  size_t peak = peak_.load(std::memory_order_relaxed);
  while (used > peak && !peak_.compare_exchange_weak(peak, used, std::memory_order_relaxed)) {
  }
}

uint64_t Store::hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void Store::lock_all() {
  for (auto& s : shards_) s->mutex().lock();
}

void Store::unlock_all() {
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) (*it)->mutex().unlock();
}

void Store::reserve(uint64_t keys) {
  // No key costs less than 64 bytes (entry header, key, table slot), so a budget caps the count.
  if (size_t budget = maxmemory()) keys = std::min<uint64_t>(keys, budget / 64);
  // Keys spread over shards by hash: an eighth more than the mean covers a shard's deviation.
  const uint64_t per = keys / shards_.size();
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    s->reserve_locked(per + per / 8);
  }
}

void Store::set_maxmemory(size_t bytes) {
  maxmemory_.store(bytes, std::memory_order_relaxed);
  size_t share = bytes == 0 ? 0 : std::max<size_t>(1, bytes / shards_.size());
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    s->set_budget(share, bytes);
  }
}

void Store::set_policy(EvictionPolicy p) {
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    s->set_policy(p);
  }
}

size_t Store::cron_step(int64_t now_ms, int budget_us) {
  size_t expired = 0, used = 0;
  for (auto& s : shards_) {
    auto start = std::chrono::steady_clock::now();
    std::lock_guard g(s->mutex());
    s->table_step_locked(100);
    // A lowered maxmemory: evict in batches of 32 for at most budget_us, the rest next step.
    while (s->budget() && s->used_bytes() > s->budget()) {
      if (s->evict_to_budget_locked(s->budget(), now_ms, nullptr, 32) == 0) break;
      if (std::chrono::steady_clock::now() - start > std::chrono::microseconds(budget_us)) break;
    }
    for (;;) {
      size_t n = s->active_expire_locked(now_ms, 20);
      expired += n;
      if (n < 5) break;  // under 25% of the sample expired: done for now (Redis's rule)
      auto spent = std::chrono::steady_clock::now() - start;
      if (spent > std::chrono::microseconds(budget_us)) break;
    }
    used += s->used_bytes();
  }
  note_used(used);
  return expired;
}

bool Store::has_room(size_t need, const Shard& asking) const {
  size_t max = maxmemory();
  if (max == 0) return true;
  size_t used = 0;
  for (const auto& s : shards_) used += s.get() == &asking ? asking.used_bytes() : s->used_bytes_relaxed();
  return used + need <= max;
}

StoreStats Store::stats() {
  StoreStats t;
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    t.keys += s->size_locked();
    t.volatile_keys += s->volatile_count_locked();
    const ShardStats& st = s->stats_locked();
    t.hits += st.hits;
    t.misses += st.misses;
    t.expired += st.expired;
    t.evicted += st.evicted;
    t.invalidated += st.invalidated;
    t.used_bytes += s->used_bytes();
    t.payload_bytes += s->payload_bytes();
    t.table_bytes += s->table_locked().slot_bytes();
    t.volatile_bytes += s->volatile_bytes();
  }
  t.invalidation_calls = invalidation_calls_.load(std::memory_order_relaxed);
  note_used(t.used_bytes);
  return t;
}

std::vector<FamilyRow> Store::key_families(size_t top_n) {
  std::unordered_map<std::string, FamilyCounters> sum;
  FamilyCounters other;
  bool other_used = false;
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    s->families_locked().for_each([&](std::string_view name, const FamilyCounters& c) {
      if (name == KeyFamilies::kOther) {
        other.add(c);
        other_used = true;
      } else {
        sum[std::string(name)].add(c);
      }
    });
  }
  std::vector<FamilyRow> rows;
  rows.reserve(sum.size() + 1);
  for (auto& [name, c] : sum) rows.push_back({name, c});
  std::sort(rows.begin(), rows.end(), [](const FamilyRow& a, const FamilyRow& b) {
    if (a.c.activity() != b.c.activity()) return a.c.activity() > b.c.activity();
    if (a.c.bytes != b.c.bytes) return a.c.bytes > b.c.bytes;
    return a.name < b.name;
  });
  if (rows.size() > top_n) {
    for (size_t i = top_n; i < rows.size(); ++i) other.add(rows[i].c);
    other_used = true;
    rows.resize(top_n);
  }
  if (other_used) rows.push_back({std::string(KeyFamilies::kOther), other});
  return rows;
}

uint64_t Store::changes() const {
  uint64_t n = 0;
  for (const auto& s : shards_) n += s->changes();
  return n;
}

void Store::reset_stats() {
  for (auto& s : shards_) {
    std::lock_guard g(s->mutex());
    s->stats_locked() = ShardStats{};
    s->families_locked().reset_stats();
  }
  invalidation_calls_.store(0, std::memory_order_relaxed);
}

}  // namespace shardcache::store
