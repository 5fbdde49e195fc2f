// daemon/store/hash_table.cpp: incremental-rehash chained table over slab handles (see
// hash_table.h).
#include "daemon/store/hash_table.h"

#include <xxhash.h>

namespace shardcache::store {

namespace {
constexpr size_t kInitialBuckets = 16;
}

BucketPool::~BucketPool() {
  for (auto [p, n] : spare_) free_zeroed(p, n * sizeof(uint32_t));
}

uint32_t* BucketPool::take(size_t n) {
  for (size_t i = 0; i < spare_.size(); ++i)
    if (spare_[i].second == n) {
      uint32_t* p = spare_[i].first;
      spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(i));
      return p;  // released pages read back as zeros
    }
  return static_cast<uint32_t*>(alloc_zeroed(n * sizeof(uint32_t)));
}

void BucketPool::give(uint32_t* p, size_t n) {
  if (!p) return;
  if (!zeroed_is_mapped(n * sizeof(uint32_t))) return free_zeroed(p, n * sizeof(uint32_t));
  release_zeroed_pages(p, n * sizeof(uint32_t));
  spare_.emplace_back(p, n);
}

void Buckets::assign(size_t n) {
  reset();
  p_ = pool_.take(n);
  n_ = n;
}

void Buckets::reset() {
  pool_.give(p_, n_);
  p_ = nullptr;
  n_ = 0;
}

HashTable::HashTable() : base_(SlabArena::instance().base()) {
  t_[0].assign(kInitialBuckets);
  publish_view();
}

void HashTable::publish_view() {
  auto w = reinterpret_cast<uintptr_t>(t_[0].begin());
  uint64_t log2 = static_cast<uint64_t>(__builtin_ctzll(t_[0].size()));
  view_.store((log2 << 56) | (w & ((uint64_t{1} << 48) - 1)), std::memory_order_relaxed);
}

// The bucket is read with a relaxed atomic load while its owner may write it under the shard
// lock, and the array may just have been replaced by a finished rehash or a FLUSHALL (the view
// is one resize old): a stale handle only makes a useless prefetch (prefetches never fault).
// The replaced array is still mapped: page-sized arrays stay in the table's BucketPool, smaller
// ones were freed to jemalloc, which keeps freed memory mapped (the caller checked
// allocator_retains_freed_memory()). Sanitizer builds (no jemalloc) never get here.
const Entry* HashTable::prefetch_head(uint64_t hash, bool stale_reads_safe) const {
  if (!stale_reads_safe) return nullptr;
  auto [slots, mask] = view();
  if (!slots) return nullptr;
  uint32_t h = __atomic_load_n(slots + (hash & mask), __ATOMIC_RELAXED);
  if (!h) return nullptr;
  const char* e = base_ + size_t{h} * SlabArena::kGranule;
  prefetch_entry_lines(e);
  return reinterpret_cast<const Entry*>(e);
}

uint64_t HashTable::key_hash(const Entry* e) { return XXH3_64bits(e->key_data(), e->klen()); }

uint64_t HashTable::rev(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
  return (v >> 32) | (v << 32);
}

Entry* HashTable::find(std::string_view key, uint64_t hash) {
  if (rehashing()) rehash_step(1);
  uint64_t b = slot(hash);
  for (int i = 0; i < 2; ++i) {
    const auto& t = t_[i];
    if (t.empty()) continue;
    for (uint32_t h = t[b & (t.size() - 1)]; h;) {
      Entry* e = at(h);
      if (e->klen() == key.size() && std::memcmp(e->key_data(), key.data(), key.size()) == 0) return e;
      h = e->next;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void HashTable::insert(Entry* e, uint64_t hash) {
  maybe_grow();
  auto& t = rehashing() ? t_[1] : t_[0];
  uint32_t& head = t[slot(hash) & (t.size() - 1)];
  e->next = head;
  head = handle(e);
  ++size_;
}

// The link (bucket or a chain's next field) that points at e, or nullptr.
uint32_t* HashTable::link_to(Entry* e, uint64_t hash) {
  uint32_t target = handle(e);
  uint64_t b = slot(hash);
  for (auto& t : t_) {
    if (t.empty()) continue;
    for (uint32_t* link = &t[b & (t.size() - 1)]; *link; link = &at(*link)->next)
      if (*link == target) return link;
  }
  return nullptr;
}

void HashTable::replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  if (uint32_t* link = link_to(old_e, hash)) {
    new_e->next = old_e->next;
    *link = handle(new_e);
  }
}

void HashTable::remove(Entry* e) {
  if (uint32_t* link = link_to(e, key_hash(e))) {
    *link = e->next;
    --size_;
  }
}

void HashTable::maybe_grow() {
  if (rehashing()) {
    rehash_step(1);
    return;
  }
  if (size_ >= t_[0].size() * kMaxLoad) {
    t_[1].assign(t_[0].size() * 2);
    rehash_idx_ = 0;
  }
}

void HashTable::reserve(size_t n) {
  if (size_ != 0 || rehashing()) return;
  size_t target = kInitialBuckets;
  while (target * kMaxLoad < n) target *= 2;
  if (target <= t_[0].size()) return;
  t_[0].assign(target);
  publish_view();
}

bool HashTable::maybe_shrink() {
  if (rehashing() || t_[0].size() <= kInitialBuckets || size_ * 8 >= t_[0].size()) return false;
  size_t target = kInitialBuckets;
  while (target < size_) target *= 2;
  if (target >= t_[0].size()) return false;
  t_[1].assign(target);
  rehash_idx_ = 0;
  return true;
}

void HashTable::rehash_step(size_t buckets) {
  if (!rehashing()) return;
  auto& from = t_[0];
  auto& to = t_[1];
  size_t empty_visits = buckets * 10;
  while (buckets > 0 && rehash_idx_ < from.size()) {
    uint32_t h = from[rehash_idx_];
    if (!h) {
      ++rehash_idx_;
      if (--empty_visits == 0) return;
      continue;
    }
    while (h) {
      Entry* e = at(h);
      uint32_t next = e->next;
      uint32_t& head = to[slot(key_hash(e)) & (to.size() - 1)];
      e->next = head;
      head = h;
      h = next;
    }
    from[rehash_idx_++] = 0;
    --buckets;
  }
  if (rehash_idx_ >= from.size()) {
    from.swap(to);
    publish_view();
    to.reset();
    rehash_idx_ = 0;
  }
}

Entry* HashTable::random_chain(uint64_t rnd) const {
  if (size_ == 0) return nullptr;
  // Probe from a random bucket; bounded by the table size, which is >= size_.
  for (int i = 0; i < 2; ++i) {
    const auto& t = t_[i];
    if (t.empty()) continue;
    size_t mask = t.size() - 1;
    for (size_t k = 0; k <= mask; ++k) {
      uint32_t h = t[(rnd + k) & mask];
      if (h) return at(h);
    }
  }
  return nullptr;
}

void HashTable::clear() {
  t_[0].assign(kInitialBuckets);
  publish_view();
  t_[1].reset();
  rehash_idx_ = 0;
  size_ = 0;
}

}  // namespace shardcache::store
