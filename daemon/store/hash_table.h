// daemon/store/hash_table.h: chained hash table of entries that grows incrementally (two tables,
// one bucket moved per operation, like Redis's dict), with Redis's reverse-binary SCAN cursor so
// a full scan returns every key present throughout, even while the table grows. Buckets and
// chain links are 32-bit slab handles (4 bytes a slot); an entry's hash is recomputed from its
// key when it moves between buckets (rehash) or leaves the table. The table grows when it holds
// two entries a bucket (kMaxLoad): 2 to 4 bytes of slots a key instead of 4 to 8, for about one
// more chain entry read every other lookup. Bucket arrays of 16 KB and more are whole pages from
// the OS (alloc_zeroed), without the pad page jemalloc adds to its large allocations.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/store/alloc.h"
#include "daemon/store/entry.h"
#include "daemon/store/slab.h"

namespace shardcache::store {

/// Page-mapped bucket arrays a table has replaced, kept mapped with their pages given back to
/// the OS, and reused for its next array of the same size. Other threads' prefetch hints may
/// still read a bucket of an array the table has just replaced (HashTable::prefetch_head), and
/// that read must not fault, so a mapped array is unmapped only with its table. Costs address
/// space only: at most about one array per power-of-two size the table has had.
class BucketPool {
 public:
  BucketPool() = default;
  ~BucketPool();
  BucketPool(const BucketPool&) = delete;
  BucketPool& operator=(const BucketPool&) = delete;
  /// A zeroed array of n slots (a kept one of that size if there is one).
  uint32_t* take(size_t n);
  /// Takes back an array from take(): freed if it came from the heap, kept if mapped.
  void give(uint32_t* p, size_t n);

 private:
  std::vector<std::pair<uint32_t*, size_t>> spare_;
};

/// A zeroed array of 32-bit bucket heads (alloc_zeroed: large ones are whole pages), taken from
/// and given back to its table's BucketPool.
class Buckets {
 public:
  explicit Buckets(BucketPool& pool) : pool_(pool) {}
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
  BucketPool& pool_;
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

  /// Starts moving to a smaller table when the table is under 1/8 full (after mass deletes or
  /// an INVALIDATE), as Redis's cron does: to the smallest power of two holding every entry at
  /// one a bucket (half the growth threshold, so it does not grow straight back). The move is
  /// the same incremental rehash as growing. Returns true if it started one.
  bool maybe_shrink();
  /// Move up to `buckets` buckets to the new table (called per operation and by a cron step).
  void rehash_step(size_t buckets);
  /// Sizes an empty table for `n` entries at once (a snapshot load knows its key count), so that
  /// filling it never rehashes. Does nothing to a table that holds entries or is rehashing.
  void reserve(size_t n);

  /// Lock-free hints for a lookup of `hash` that will happen soon (a pipelined request not yet
  /// run): the bucket's cache line. Never reads the table's memory, never faults.
  void prefetch_bucket(uint64_t hash) const {
    auto [slots, mask] = view();
    if (slots) __builtin_prefetch(slots + (hash & mask));
  }
  /// The second hint, once prefetch_bucket's line has had time to arrive: the first lines of the
  /// entry at the head of the key's chain. Reads the bucket without the shard lock, so only when
  /// `stale_reads_safe` (the allocator never unmaps a freed array; see the .cpp).
  /// Returns that entry (possibly stale: a hint, to be read only through Shard's prefetch
  /// helpers), or nullptr.
  const Entry* prefetch_head(uint64_t hash, bool stale_reads_safe) const;

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
  /// Publishes t_[0]'s array and size for the lock-free prefetch hints, in one word (pointer in
  /// the low 48 bits, log2 of the size above) so a reader never pairs an array with another's size.
  void publish_view();
  struct View {
    const uint32_t* slots;
    uint64_t mask;
  };
  View view() const {
    uint64_t w = view_.load(std::memory_order_relaxed);
    return {reinterpret_cast<const uint32_t*>(w & ((uint64_t{1} << 48) - 1)), (uint64_t{1} << (w >> 56)) - 1};
  }
  char* base_;
  BucketPool pool_;  // declared before t_: the arrays go back to it when t_ is destroyed
  Buckets t_[2]{Buckets(pool_), Buckets(pool_)};
  size_t rehash_idx_ = 0;
  size_t size_ = 0;
  std::atomic<uint64_t> view_{0};  // publish_view(); read by other threads without the lock
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
