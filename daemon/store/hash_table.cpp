// daemon/store/hash_table.cpp: incremental-rehash chained table (see hash_table.h).
#include "daemon/store/hash_table.h"

namespace shardcache::store {

namespace {
constexpr size_t kInitialBuckets = 16;
}

HashTable::HashTable() { t_[0].assign(kInitialBuckets, nullptr); }

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
  for (int i = 0; i < 2; ++i) {
    const auto& t = t_[i];
    if (t.empty()) continue;
    for (Entry* e = t[slot(hash) & (t.size() - 1)]; e; e = e->next)
      if (e->hash == hash && e->key() == key) return e;
    if (!rehashing()) break;
  }
  return nullptr;
}

void HashTable::insert(Entry* e) {
  maybe_grow();
  auto& t = rehashing() ? t_[1] : t_[0];
  Entry*& head = t[slot(e->hash) & (t.size() - 1)];
  e->next = head;
  head = e;
  ++size_;
}

void HashTable::replace(Entry* old_e, Entry* new_e) {
  for (auto& t : t_) {
    if (t.empty()) continue;
    for (Entry** link = &t[slot(old_e->hash) & (t.size() - 1)]; *link; link = &(*link)->next) {
      if (*link == old_e) {
        new_e->next = old_e->next;
        *link = new_e;
        return;
      }
    }
  }
}

void HashTable::remove(Entry* e) {
  for (auto& t : t_) {
    if (t.empty()) continue;
    for (Entry** link = &t[slot(e->hash) & (t.size() - 1)]; *link; link = &(*link)->next) {
      if (*link == e) {
        *link = e->next;
        --size_;
        return;
      }
    }
  }
}

void HashTable::maybe_grow() {
  if (rehashing()) {
    rehash_step(1);
    return;
  }
  if (size_ >= t_[0].size()) {
    t_[1].assign(t_[0].size() * 2, nullptr);
    rehash_idx_ = 0;
  }
}

void HashTable::rehash_step(size_t buckets) {
  if (!rehashing()) return;
  auto& from = t_[0];
  auto& to = t_[1];
  size_t empty_visits = buckets * 10;
  while (buckets > 0 && rehash_idx_ < from.size()) {
    Entry* e = from[rehash_idx_];
    if (!e) {
      ++rehash_idx_;
      if (--empty_visits == 0) return;
      continue;
    }
    while (e) {
      Entry* next = e->next;
      Entry*& head = to[slot(e->hash) & (to.size() - 1)];
      e->next = head;
      head = e;
      e = next;
    }
    from[rehash_idx_++] = nullptr;
    --buckets;
  }
  if (rehash_idx_ >= from.size()) {
    from.swap(to);
    std::vector<Entry*>().swap(to);
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
      Entry* e = t[(rnd + k) & mask];
      if (e) return e;
    }
  }
  return nullptr;
}

void HashTable::clear() {
  t_[0].assign(kInitialBuckets, nullptr);
  std::vector<Entry*>().swap(t_[1]);
  rehash_idx_ = 0;
  size_ = 0;
}

}  // namespace shardcache::store
