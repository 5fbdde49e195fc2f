// daemon/store/ttl_index.h: a shard's keys with a TTL, for active expiry and the volatile-*
// policies: a dense array of handles that samples uniformly in O(1). Each entry keeps its own
// slot number (Entry::vol_idx, in its TTL block), so removal swaps the last slot into the hole.
// The index does not own entries. Not thread-safe: the owning shard's mutex guards it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "daemon/store/alloc.h"
#include "daemon/store/entry.h"
#include "daemon/store/handles.h"

namespace shardcache::store {

class TtlIndex {
 public:
  explicit TtlIndex(char* arena_base) : h_{arena_base} {}

  /// Whether `e` is in the index (it has a TTL block and a slot).
  static bool contains(const Entry* e) { return e->vol_idx() != kNotVolatile; }

  /// Adds `e`, which has a TTL block and is not in the index.
  void add(Entry* e) {
    e->set_vol_idx(static_cast<uint32_t>(slots_.size()));
    slots_.push_back(h_.of(e));
  }
  /// Removes `e` when it is in the index.
  void remove(Entry* e) {
    uint32_t i = e->vol_idx();
    if (i == kNotVolatile) return;
    Entry* last = h_.at(slots_.back());
    slots_[i] = h_.of(last);
    last->set_vol_idx(i);
    slots_.pop_back();
    e->set_vol_idx(kNotVolatile);
  }
  /// `to`, a TTL-block copy of `from`, takes its slot (if any).
  void replace(const Entry* from, Entry* to) {
    uint32_t i = from->vol_idx();
    to->set_vol_idx(i);
    if (i != kNotVolatile) slots_[i] = h_.of(to);
  }
  /// The entry in slot r % size(); the index must not be empty.
  Entry* sample(uint64_t r) const { return h_.at(slots_[r % slots_.size()]); }

  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }
  /// Bytes of the array, allocator-rounded.
  size_t bytes() const { return slots_.capacity() ? alloc_rounded_size(slots_.capacity() * sizeof(uint32_t)) : 0; }
  /// What adding one more entry allocates: the grown array's bytes when the array is full, else 0.
  size_t growth_on_add() const {
    if (slots_.size() != slots_.capacity()) return 0;
    return alloc_rounded_size((slots_.capacity() ? slots_.capacity() * 2 : 1) * sizeof(uint32_t));
  }
  /// Forgets every entry and frees the array (entries keep their stale slot numbers).
  void clear() { std::vector<uint32_t>().swap(slots_); }

 private:
  Handles h_;
  std::vector<uint32_t> slots_;  // handles; slots_[e->vol_idx()] == handle of e
};

}  // namespace shardcache::store
