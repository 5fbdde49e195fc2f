// daemon/store/hash_table.h: chained hash table of entries that grows incrementally (two tables,
// one bucket moved per operation, like Redis's dict), with Redis's reverse-binary SCAN cursor so
// a full scan returns every key present throughout, even while the table grows. Buckets and
// chain links are 32-bit slab handles (4 bytes a slot); an entry's hash is recomputed from its
// key when it moves between buckets (rehash) or leaves the table. The table grows when it holds
// two entries a bucket (kMaxLoad): 2 to 4 bytes of slots a key instead of 4 to 8, for about one
// more chain entry read every other lookup. Bucket arrays of 16 KB and more are whole pages from
// the OS (alloc_zeroed), without the pad page jemalloc adds to its large allocations.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "daemon/store/alloc.h"
#include "daemon/store/entry.h"
#include "daemon/store/slab.h"

namespace shardcache::store {

/// A zeroed array of 32-bit bucket heads (alloc_zeroed: large ones are whole pages).
class Buckets {
 public:
  Buckets() = default;
  ~Buckets() { reset(); }
  Buckets(const Buckets&) = delete;
  Buckets& operator=(const Buckets&) = delete;
  /// Replaces the array by n zeroed slots.
  void assign(size_t n);
  /// Frees the array (size 0).
  void reset();
  void swap(Buckets& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  uint32_t& operator[](size_t i) { return p_[i]; }
  uint32_t operator[](size_t i) const { return p_[i]; }
  const uint32_t* begin() const { return p_; }
  const uint32_t* end() const { return p_ + n_; }
  /// Bytes the array holds (allocator- or page-rounded).
  size_t bytes() const { return n_ ? zeroed_rounded_size(n_ * sizeof(uint32_t)) : 0; }
  /// What bytes() would be for n slots.
  static size_t bytes_for(size_t n) { return n ? zeroed_rounded_size(n * sizeof(uint32_t)) : 0; }

 private:
  uint32_t* p_ = nullptr;
  size_t n_ = 0;
};

class HashTable {
 public:
  HashTable();
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  /// The entry with this key, or nullptr.
  Entry* find(std::string_view key, uint64_t hash);
  /// Insert an entry whose key is not present (`hash` = Store::hash of its key).
  void insert(Entry* e, uint64_t hash);
  void insert(Entry* e) { insert(e, key_hash(e)); }
  /// Replace `old_e` (present) by `new_e` with the same key, in place in its chain.
  void replace(Entry* old_e, Entry* new_e, uint64_t hash);
  void replace(Entry* old_e, Entry* new_e) { replace(old_e, new_e, key_hash(old_e)); }
  /// Unlink `e` (present). Does not free it.
  void remove(Entry* e);

  size_t size() const { return size_; }
  /// Bytes held by the bucket arrays (allocator-rounded).
  size_t slot_bytes() const { return t_[0].bytes() + t_[1].bytes(); }
  bool rehashing() const { return !t_[1].empty(); }
  /// Entries a bucket the table holds before it doubles.
  static constexpr size_t kMaxLoad = 2;
  /// Bytes the bucket arrays would grow by if one more entry were inserted now.
  size_t growth_on_insert() const {
    return (!rehashing() && size_ >= t_[0].size() * kMaxLoad) ? Buckets::bytes_for(t_[0].size() * 2) : 0;
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
      for (uint32_t h : t)
        for (; h; h = at(h)->next) fn(at(h));
  }

  /// Drop every bucket (entries are the caller's to free first).
  void clear();

  /// XXH3-64 of an entry's key (the same as Store::hash).
  static uint64_t key_hash(const Entry* e);

 private:
  static uint64_t rev(uint64_t v);
  /// Bucket bits are the hash's low bits; Store::shard_index takes the top bits, so the two
  /// never overlap (sharing them would crowd every key of a shard into 1/S of its buckets).
  static uint64_t slot(uint64_t hash) { return hash; }
  Entry* at(uint32_t h) const { return reinterpret_cast<Entry*>(base_ + size_t{h} * SlabArena::kGranule); }
  uint32_t handle(const Entry* e) const {
    return static_cast<uint32_t>((reinterpret_cast<const char*>(e) - base_) / SlabArena::kGranule);
  }
  uint32_t* link_to(Entry* e, uint64_t hash);
  void maybe_grow();
  char* base_;
  Buckets t_[2];
  size_t rehash_idx_ = 0;
  size_t size_ = 0;
};

template <typename Fn>
uint64_t HashTable::scan(uint64_t v, Fn&& fn) {
  if (size_ == 0) return 0;
  auto emit = [&](const Buckets& t, uint64_t idx) {
    for (uint32_t h = t[idx]; h;) {
      Entry* e = at(h);
      h = e->next;  // fn may not delete, but keep the walk robust
      fn(e);
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
  const Buckets* small = &t_[0];
  const Buckets* large = &t_[1];
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
