// daemon/store/shard.h: one shard of the keyspace: a mutex and the parts it composes: the hash
// table (hash_table.h), the policy list (recency_list.h), the keys with a TTL (ttl_index.h), the
// memory budget (budget.h), the ordered key index (key_index.h), tags (tag_index.h) and the
// marks of running invalidations (invalidation_state.h). The shard owns the entries (in the
// slab arena, slab.h, linked by 32-bit handles) and keeps the parts in step: relocate_locked is
// the one place that tells every part an entry moved.
// Every *_locked method needs mutex() held by the caller (lock order: see store.h).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/store/alloc.h"
#include "daemon/store/budget.h"
#include "daemon/store/entry.h"
#include "daemon/store/hash_table.h"
#include "daemon/store/invalidation.h"
#include "daemon/store/invalidation_state.h"
#include "daemon/store/key_families.h"
#include "daemon/store/key_index.h"
#include "daemon/store/policy.h"
#include "daemon/store/recency_list.h"
#include "daemon/store/slab.h"
#include "daemon/store/tag_index.h"
#include "daemon/store/ttl_index.h"

namespace shardcache::store {

class Store;

/// Counters a shard keeps; summed by Store::stats().
struct ShardStats {
  uint64_t hits = 0, misses = 0, expired = 0, evicted = 0;
  uint64_t invalidated = 0;  ///< entries removed by INVALIDATE / INVALIDATETAG
};

class Shard {
 public:
  Shard();
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  std::mutex& mutex() { return mu_; }

  /// Live entry for key (an expired or invalidated one is deleted and nullptr returned). Does
  /// not touch LRU.
  Entry* find_locked(std::string_view key, uint64_t hash, int64_t now_ms);
  /// Like find_locked, and counts a hit or miss and refreshes recency on a hit.
  Entry* lookup_locked(std::string_view key, uint64_t hash, int64_t now_ms);

  /// Creates or replaces key with value and expiry (0 = none). Returns the new entry, or
  /// nullptr when the budget is full and the policy cannot free room (noeviction). Entries
  /// given a TTL here carry the TTL block from the start (no later move).
  Entry* put_locked(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_ms);
  /// put_locked for a caller that has just looked the key up: `existing` is what find_locked
  /// returned for it under the same lock hold (nullptr: absent), so the table is not searched
  /// again. An overwrite whose entry keeps its slab size class is done in place.
  Entry* put_existing_locked(Entry* existing, std::string_view key, uint64_t hash, std::string_view value,
                             int64_t expire_ms);
  /// Reallocates `e` for a value of new_len bytes keeping min(old,new) bytes of its value;
  /// returns the moved entry (or nullptr on OOM, leaving `e` intact).
  Entry* resize_value_locked(Entry* e, size_t new_len);
  /// Deletes `e` (a command's delete: counts as a change; expiry and eviction do not).
  void erase_locked(Entry* e);
  /// Sets or clears (0) the expiry of `e`. Returns the entry, which moves (like
  /// resize_value_locked, keeping its tags and index position) the first time an entry created
  /// without a TTL gets one.
  Entry* set_expire_locked(Entry* e, int64_t expire_ms);
  /// Records a use of `e`: moves it to the most-recently-used end (LRU policies) or marks it
  /// visited (allkeys-sieve).
  void touch_locked(Entry* e);

  /// Delete up to `max_checks` sampled volatile keys that are expired; returns deleted count.
  size_t active_expire_locked(int64_t now_ms, size_t max_checks);
  /// Evict until used_bytes() <= budget, nothing evictable is left or max_victims were evicted;
  /// returns evicted count.
  size_t evict_to_budget_locked(size_t budget, int64_t now_ms, const Entry* keep = nullptr,
                                size_t max_victims = SIZE_MAX);
  /// The cron's table upkeep: shrink a table left mostly empty, move up to `buckets` buckets of
  /// a running grow or shrink, and publish the changed bytes.
  void table_step_locked(size_t buckets);
  /// Remove everything.
  void clear_locked();
  /// HashTable::reserve for `keys` keys (an empty shard about to be filled by a snapshot load).
  void reserve_locked(size_t keys);

  /// HashTable::prefetch_bucket / prefetch_head on this shard's table; no lock needed.
  void prefetch_bucket(uint64_t hash) const { table_.prefetch_bucket(hash); }
  const Entry* prefetch_head(uint64_t hash, bool stale_reads_safe) const {
    return table_.prefetch_head(hash, stale_reads_safe);
  }
  /// The third hint, for a request on `key` whose chain head `e` came from prefetch_head: when
  /// `e` holds the key, its policy-list neighbours (the lines a use of it, an LRU move to the
  /// front, writes); otherwise the next entry of the chain (a table holds up to two entries a
  /// bucket). `e` may be stale: it is read only where the arena is readable, and what it says
  /// is only compared or prefetched.
  void prefetch_use(const Entry* e, std::string_view key) const;

  size_t size_locked() const { return table_.size(); }
  /// Appends to `out` at most `max` entries in key order, those after `*after` when given (all
  /// from the first otherwise), expired or invalidated ones included (filter with
  /// visible_locked). Returns true when no entry follows: a snapshot walks a shard in slices
  /// this way, taking the lock once a slice, and sees each key at most once.
  bool collect_ordered_locked(const std::string* after, size_t max, std::vector<Entry*>& out) const {
    return index_.collect_prefix({}, after, max, out);
  }
  /// Writes to this shard's keys so far (sets, deletes, expiry changes, keys removed by
  /// INVALIDATE or FLUSH), for INFO's rdb_changes_since_last_save and the save points. Expiry
  /// and eviction are not changes, as in Redis. Readable without the lock.
  uint64_t changes() const { return changes_.load(std::memory_order_relaxed); }
  size_t volatile_count_locked() const { return ttl_.size(); }
  HashTable& table_locked() { return table_; }
  ShardStats& stats_locked() { return stats_; }
  /// Counters by key family (key_families.h).
  KeyFamilies& families_locked() { return families_; }

  /// Memory held for data: entries (slab class sizes, plus malloc-rounded external blocks),
  /// table slots, volatile list, key index, tags.
  size_t used_bytes() const {
    return budget_.entry_bytes() + table_.slot_bytes() + volatile_bytes() + index_.bytes() + tags_.bytes();
  }

  // Invalidation (shard_invalidation.cpp). See invalidation.h for marks.
  /// False when `e` is expired or invalidated by a running call (KEYS, SCAN, RANDOMKEY use it).
  bool visible_locked(const Entry* e, int64_t now_ms) const;
  /// Attaches tags to `e`, a value just written (SET ... TAGS); its memory counts in used_bytes().
  void attach_tags_locked(Entry* e, std::span<const std::string_view> tags);
  /// The tags `e` carries.
  std::vector<std::string> tags_of_locked(const Entry* e) const { return tags_.tags_of(e); }
  /// Installs a call's mark: from now on its matching entries are absent here.
  ShardMark* add_mark_locked(std::shared_ptr<const InvalidationSpec> spec, int64_t start_ms);
  /// Removes a mark whose reclamation is done; returns the entries it removed.
  uint64_t remove_mark_locked(ShardMark* m);
  /// Reclaims entries dead under `m`, visiting at most about `budget` entries; true when done.
  bool reclaim_step_locked(ShardMark& m, ReclaimCursor& c, size_t budget);
  size_t mark_count_locked() const { return inval_.count(); }
  const KeyIndex& key_index_locked() const { return index_; }
  const TagIndex& tag_index_locked() const { return tags_; }
  /// Key and value bytes alone (MEMORY STATS dataset.bytes); the rest of used_bytes() is overhead.
  size_t payload_bytes() const { return budget_.payload_bytes(); }
  /// Bytes of the volatile (TTL) list.
  size_t volatile_bytes() const { return ttl_.bytes(); }
  /// What one key accounts for (MEMORY USAGE): its allocation, its share of the table's slots
  /// and of the key index, and its volatile-list slot if it has a TTL.
  size_t key_footprint_locked(const Entry* e) const;

  /// This shard's share of maxmemory, and the whole budget (a single value larger than the
  /// share may still be stored, alone in its shard, if it fits the whole budget).
  void set_budget(size_t bytes, size_t total = 0) {
    budget_.set_limits(bytes, total);
    publish_used();
  }
  /// used_bytes() as of the end of the last change, readable without the lock (other shards
  /// sum these to see whether the whole store has room).
  size_t used_bytes_relaxed() const { return budget_.published(); }
  /// The store this shard belongs to: when the policy cannot free room in this shard
  /// (noeviction, volatile-* without volatile keys), a write may use room left in the store.
  void set_store(Store* st) { store_ = st; }
  /// The slab arena heap this shard's entries come from (SlabArena::kHeaps).
  void set_slab_heap(unsigned heap) { slab_heap_ = heap; }
  size_t budget() const { return budget_.share(); }
  void set_policy(EvictionPolicy p) { budget_.set_policy(p); }
  EvictionPolicy policy() const { return budget_.policy(); }

  /// Bytes an entry for key_len+val_len bytes accounts for: its slab block and, when key and
  /// value do not fit one, its malloc-rounded external block.
  static size_t entry_alloc_size(size_t key_len, size_t val_len, bool ttl = false);

 private:
  Entry* alloc_entry(std::string_view key, size_t val_len, bool ttl);
  void free_entry(Entry* e);
  size_t entry_bytes_of(const Entry* e) const;
  Entry* relocate_locked(Entry* e, size_t new_len, bool ttl);
  bool fits_in_place(const Entry* e, size_t val_len, int64_t expire_ms) const;
  Entry* overwrite_in_place_locked(Entry* e, std::string_view value, int64_t expire_ms);
  bool make_room_locked(size_t need, int64_t now_ms, const Entry* keep);
  size_t growth_on_insert_locked(std::string_view key) const;
  void publish_used();
  Entry* pick_victim_locked(int64_t now_ms);
  Entry* volatile_lru_victim_locked();
  void unlink_locked(Entry* e);
  void unlink_but_index_locked(Entry* e);
  /// Tells the store's RemovalObserver (if any) that `e` is being removed by the store itself.
  void note_removed_locked(const Entry* e);
  /// erase_locked without counting a change (lazy and active expiry, eviction, reaping).
  void remove_locked(Entry* e);
  Entry* apply_expire_locked(Entry* e, int64_t expire_ms);
  /// Only ever written under the lock: a plain load and store, no locked instruction.
  void count_change_locked(uint64_t n = 1) { changes_.store(changes_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  /// xorshift64*: cheap, per shard, no global state.
  uint64_t next_rand() {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 2685821657736338717ULL;
  }
  // Invalidation helpers (shard_invalidation.cpp).
  void reap_locked(Entry* e, ShardMark& m);
  void credit_locked(const Entry* e, ShardMark& m);
  void note_moved_locked(const Entry* from, Entry* to);
  void forget_locked(const Entry* e);
  bool reclaim_pattern_locked(const KeyPattern& p, ReclaimCursor& c, size_t& budget);
  bool reclaim_tag_locked(std::string_view tag, ReclaimCursor& c, size_t& budget);

  std::mutex mu_;
  SlabArena& arena_;
  unsigned slab_heap_ = 0;     // which of the arena's heaps this shard allocates from
  char* base_;                 // arena_.base(): handle -> entry
  HashTable table_;
  RecencyList recency_;
  TtlIndex ttl_;
  Budget budget_;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  ShardStats stats_;
  KeyFamilies families_;
  KeyIndex index_;
  TagIndex tags_;
  InvalidationState inval_{tags_};
  std::vector<Entry*> batch_, dead_;               // scratch for reclaim steps
  std::atomic<uint64_t> changes_{0};      // count_change_locked
  Store* store_ = nullptr;
};

}  // namespace shardcache::store
