// daemon/store/shard.h: one shard of the keyspace: a mutex, its hash table, a real LRU list,
// the list of keys with a TTL (for active expiry and volatile-* eviction) and memory accounting.
// Every *_locked method needs mutex() held by the caller (lock order: see store.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "daemon/store/entry.h"
#include "daemon/store/hash_table.h"

namespace shardcache::store {

/// Eviction policy names follow Redis's maxmemory-policy.
enum class EvictionPolicy { AllKeysLru, VolatileLru, AllKeysRandom, VolatileRandom, VolatileTtl, NoEviction };

/// Counters a shard keeps; summed by Store::stats().
struct ShardStats {
  uint64_t hits = 0, misses = 0, expired = 0, evicted = 0;
};

class Shard {
 public:
  Shard() = default;
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  std::mutex& mutex() { return mu_; }

  /// Live entry for key (an expired one is deleted and nullptr returned). Does not touch LRU.
  Entry* find_locked(std::string_view key, uint64_t hash, int64_t now_ms);
  /// Like find_locked, and counts a hit or miss and refreshes recency on a hit.
  Entry* lookup_locked(std::string_view key, uint64_t hash, int64_t now_ms);

  /// Creates or replaces key with value and expiry (0 = none). Returns the new entry, or
  /// nullptr when the budget is full and the policy cannot free room (noeviction).
  Entry* put_locked(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_ms);
  /// Reallocates `e` for a value of new_len bytes keeping min(old,new) bytes of its value;
  /// returns the moved entry (or nullptr on OOM, leaving `e` intact).
  Entry* resize_value_locked(Entry* e, size_t new_len);
  /// Deletes `e`.
  void erase_locked(Entry* e);
  /// Sets or clears (0) the expiry of `e`.
  void set_expire_locked(Entry* e, int64_t expire_ms);
  /// Moves `e` to the most-recently-used end.
  void touch_locked(Entry* e);

  /// Delete up to `max_checks` sampled volatile keys that are expired; returns deleted count.
  size_t active_expire_locked(int64_t now_ms, size_t max_checks);
  /// Evict until used_bytes() <= budget or nothing evictable is left; returns evicted count.
  size_t evict_to_budget_locked(size_t budget, int64_t now_ms, const Entry* keep = nullptr);
  /// Remove everything.
  void clear_locked();

  size_t size_locked() const { return table_.size(); }
  size_t volatile_count_locked() const { return volatile_.size(); }
  HashTable& table_locked() { return table_; }
  ShardStats& stats_locked() { return stats_; }

  /// Memory held for data: entries (allocator-rounded), table slots, volatile list.
  size_t used_bytes() const { return entry_bytes_ + table_.slot_bytes() + volatile_.capacity() * sizeof(Entry*); }

  void set_budget(size_t bytes) { budget_ = bytes; }
  size_t budget() const { return budget_; }
  void set_policy(EvictionPolicy p) { policy_ = p; }
  EvictionPolicy policy() const { return policy_; }

  /// Allocator-rounded size of an entry for key_len+val_len bytes.
  static size_t entry_alloc_size(size_t key_len, size_t val_len);

 private:
  Entry* alloc_entry(std::string_view key, uint64_t hash, size_t val_len);
  void free_entry(Entry* e);
  void lru_link_front(Entry* e);
  void lru_unlink(Entry* e);
  void volatile_add(Entry* e);
  void volatile_remove(Entry* e);
  bool make_room_locked(size_t need, int64_t now_ms, const Entry* keep);
  Entry* pick_victim_locked(int64_t now_ms);

  std::mutex mu_;
  HashTable table_;
  Entry* lru_head_ = nullptr;  // most recent
  Entry* lru_tail_ = nullptr;  // least recent
  std::vector<Entry*> volatile_;
  size_t entry_bytes_ = 0;
  size_t budget_ = 0;          // 0 = unlimited
  EvictionPolicy policy_ = EvictionPolicy::AllKeysLru;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  ShardStats stats_;
};

}  // namespace shardcache::store
