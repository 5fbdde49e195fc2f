// daemon/store/hash_table.h: chained hash table of Entry* that grows incrementally (two tables,
// one bucket moved per operation, like Redis's dict), with Redis's reverse-binary SCAN cursor so
// a full scan returns every key present throughout, even while the table grows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/store/entry.h"

namespace shardcache::store {

class HashTable {
 public:
  HashTable();
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  /// The entry with this key, or nullptr.
  Entry* find(std::string_view key, uint64_t hash);
  /// Insert an entry whose key is not present.
  void insert(Entry* e);
  /// Replace `old_e` (present) by `new_e` with the same key, in place in its chain.
  void replace(Entry* old_e, Entry* new_e);
  /// Unlink `e` (present). Does not free it.
  void remove(Entry* e);

  size_t size() const { return size_; }
  /// Bytes held by the bucket arrays.
  size_t slot_bytes() const { return (t_[0].size() + t_[1].size()) * sizeof(Entry*); }
  bool rehashing() const { return !t_[1].empty(); }
  /// Bytes the bucket arrays would grow by if one more entry were inserted now.
  size_t growth_on_insert() const {
    return (!rehashing() && size_ >= t_[0].size()) ? t_[0].size() * 2 * sizeof(Entry*) : 0;
  }

  /// Move up to `buckets` buckets to the new table (called per operation and by a cron step).
  void rehash_step(size_t buckets);

  /// Visit the buckets for `cursor` (Redis dictScan); returns the next cursor (0 = done).
  template <typename Fn>
  uint64_t scan(uint64_t cursor, Fn&& fn);

  /// A pseudo-random non-empty bucket's chain head (for RANDOMKEY and random eviction).
  Entry* random_chain(uint64_t rnd) const;

  /// Call fn(Entry*) for every entry; fn must not modify the table.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& t : t_)
      for (Entry* e : t)
        for (; e; e = e->next) fn(e);
  }

  /// Drop every bucket (entries are the caller's to free first).
  void clear();

 private:
  static uint64_t rev(uint64_t v);
  /// Bucket bits are the hash's low bits; Store::shard_index takes the top bits, so the two
  /// never overlap (sharing them would crowd every key of a shard into 1/S of its buckets).
  static uint64_t slot(uint64_t hash) { return hash; }
  void maybe_grow();
  std::vector<Entry*> t_[2];
  size_t rehash_idx_ = 0;
  size_t size_ = 0;
};

template <typename Fn>
uint64_t HashTable::scan(uint64_t v, Fn&& fn) {
  if (size_ == 0) return 0;
  auto emit = [&](const std::vector<Entry*>& t, uint64_t idx) {
    for (Entry* e = t[idx]; e;) {
      Entry* next = e->next;  // fn may not delete, but keep the walk robust
      fn(e);
      e = next;
    }
  };
  if (!rehashing()) {
    uint64_t m0 = t_[0].size() - 1;
    emit(t_[0], v & m0);
    v |= ~m0;
    v = rev(v);
    ++v;
    return rev(v);
  }
  const std::vector<Entry*>* small = &t_[0];
  const std::vector<Entry*>* large = &t_[1];
  if (small->size() > large->size()) std::swap(small, large);
  uint64_t m0 = small->size() - 1, m1 = large->size() - 1;
  emit(*small, v & m0);
  do {
    emit(*large, v & m1);
    v |= ~m1;
    v = rev(v);
    ++v;
    v = rev(v);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace shardcache::store
