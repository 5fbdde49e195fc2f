// daemon/store/store.h: the keyspace: S shards (a power of two) chosen by XXH3-64 of the key.
// Lock order: a thread holding several shard locks takes them in ascending shard index
// (lock_all() does exactly that); a single-shard operation takes just its own lock.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/shard.h"

namespace shardcache::store {

/// Totals over every shard (taken shard by shard, so approximate under concurrent writes).
struct StoreStats {
  uint64_t keys = 0, volatile_keys = 0, hits = 0, misses = 0, expired = 0, evicted = 0;
  uint64_t invalidated = 0, invalidation_calls = 0;
  size_t used_bytes = 0;
  size_t payload_bytes = 0;    ///< key + value bytes
  size_t table_bytes = 0;      ///< hash-table slots
  size_t volatile_bytes = 0;   ///< TTL lists
};

/// One row of Store::key_families().
struct FamilyRow {
  std::string name;
  FamilyCounters c;
};

/// Told of each key the store removes on its own: expiry (lazy and active), eviction, and
/// INVALIDATE / INVALIDATETAG's reaping (client-side caching's tracker, state/tracking.h).
/// Called with the key's shard lock held; must not take a shard lock.
class RemovalObserver {
 public:
  virtual void removed(std::string_view key) = 0;

 protected:
  ~RemovalObserver() = default;
};

class Store {
 public:
  /// `shards` must be a power of two.
  explicit Store(size_t shards);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static uint64_t hash(std::string_view key);
  size_t shard_count() const { return shards_.size(); }
  /// The top shard_bits() bits of the hash: each shard's table indexes buckets by the low bits,
  /// so taking the shard from the low bits too would leave all but 1/S of its buckets empty.
  size_t shard_index(uint64_t hash) const { return shard_bits_ == 0 ? 0 : static_cast<size_t>(hash >> (64 - shard_bits_)); }
  Shard& shard(size_t i) { return *shards_[i]; }
  Shard& shard_for(uint64_t hash) { return *shards_[shard_index(hash)]; }
  /// Bits of a SCAN cursor used for the shard index.
  unsigned shard_bits() const { return shard_bits_; }

  /// Cache hints for keys that pipelined requests will look up next, without locks: first every
  /// key's bucket, then (where the allocator makes a stale read safe) each chain's head entry,
  /// so their memory latencies overlap instead of adding up. Only a speed hint: any key may
  /// change before its request runs.
  void prefetch(std::span<const std::string_view> keys);

  /// Lock every shard in ascending order (EXEC, FLUSHALL, atomic multi-key operations).
  void lock_all();
  void unlock_all();

  /// Sizes every empty shard's table for its share of `keys` (the snapshot loader, from the file's
  /// RESIZEDB hint), capped by what maxmemory could hold, so that loading never rehashes.
  void reserve(uint64_t keys);

  /// Sets total budget (0 = unlimited) and policy; each shard gets an equal share.
  void set_maxmemory(size_t bytes);
  size_t maxmemory() const { return maxmemory_.load(std::memory_order_relaxed); }
  void set_policy(EvictionPolicy p);

  /// One bounded background step over every shard: active expiry (each shard at most
  /// `budget_us` microseconds), incremental rehash, eviction down to a lowered budget.
  /// Returns keys expired.
  size_t cron_step(int64_t now_ms, int budget_us);

  StoreStats stats();
  /// Counters by key family summed over the shards: the `top_n` busiest (hits + misses + sets,
  /// then bytes), busiest first, then one KeyFamilies::kOther row for the rest (when any).
  std::vector<FamilyRow> key_families(size_t top_n);
  /// Sum of Shard::changes(): writes to the keyspace since start (lock-free, approximate).
  uint64_t changes() const;
  void reset_stats();
  /// Counts one INVALIDATE / INVALIDATETAG call (InvalidationJob does it).
  void count_invalidation_call() { invalidation_calls_.fetch_add(1, std::memory_order_relaxed); }

  /// Whether the whole store can take `need` more bytes without going over maxmemory, summing
  /// every shard's published usage (`asking` is the caller's shard, whose lock it holds).
  bool has_room(size_t need, const Shard& asking) const;
  /// Bytes shards hold beyond their share (noeviction and volatile-* may borrow room from the
  /// store); while 0, a shard within its share needs no store-wide check.
  int64_t borrowed_bytes() const { return borrowed_.load(std::memory_order_relaxed); }
  void add_borrowed(int64_t delta) { borrowed_.fetch_add(delta, std::memory_order_relaxed); }

  /// Installs the observer of removals (null: none, the default; then a removal costs one load).
  void set_observer(RemovalObserver* o) { observer_.store(o, std::memory_order_release); }
  RemovalObserver* observer() const { return observer_.load(std::memory_order_acquire); }

  /// Highest used_bytes seen by stats() or a cron step (INFO used_memory_peak).
  size_t peak_bytes() const { return peak_.load(std::memory_order_relaxed); }
  /// used_bytes of the empty store, measured at construction (MEMORY STATS startup.allocated).
  size_t startup_bytes() const { return startup_bytes_; }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  unsigned shard_bits_ = 0;
  std::atomic<size_t> maxmemory_{0};
  std::atomic<uint64_t> invalidation_calls_{0};
  std::atomic<size_t> peak_{0};
  std::atomic<int64_t> borrowed_{0};
  std::atomic<RemovalObserver*> observer_{nullptr};
  size_t startup_bytes_ = 0;
  void note_used(size_t used);
};

/// Wall-clock unix time in milliseconds (expiry is absolute, as EXPIREAT).
int64_t unix_ms();

}  // namespace shardcache::store
