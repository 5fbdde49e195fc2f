// daemon/store/shard.cpp: entry lifecycle, LRU, volatile list, eviction and expiry for one shard.
// Every entry is also in the key index (and the tag index when tagged); while an invalidation
// runs, lookups treat its dead entries as absent and reclaim them (shard_invalidation.cpp).
#include "daemon/store/shard.h"

#include "daemon/store/alloc.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace shardcache::store {

namespace {
uint64_t next_rand(uint64_t& s) {  // xorshift64*: cheap, per shard, no global state
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ULL;
}
}  // namespace

Shard::~Shard() { clear_locked(); }

size_t Shard::entry_alloc_size(size_t key_len, size_t val_len) {
  return alloc_rounded_size(sizeof(Entry) + key_len + val_len);
}

size_t Shard::key_footprint_locked(const Entry* e) const {
  size_t n = table_.size();
  size_t slots = n ? (table_.slot_bytes() + n - 1) / n : 0;
  // The key index (INVALIDATE's prefix index) is shared per key too; tags are not included.
  size_t index_share = n ? (index_.bytes() + n - 1) / n : 0;
  return alloc_usable_size(e) + slots + index_share + (e->vol_idx != kNotVolatile ? sizeof(Entry*) : 0);
}

Entry* Shard::alloc_entry(std::string_view key, uint64_t hash, size_t val_len) {
  void* p = std::malloc(sizeof(Entry) + key.size() + val_len);
  if (!p) throw std::bad_alloc();
  auto* e = static_cast<Entry*>(p);
  e->next = e->lru_prev = e->lru_next = nullptr;
  e->expire_ms = 0;
  e->hash = hash;
  e->key_len = static_cast<uint32_t>(key.size());
  e->val_len = static_cast<uint32_t>(val_len);
  e->vol_idx = kNotVolatile;
  e->type = ValueType::String;
  std::memcpy(e->data(), key.data(), key.size());
  entry_bytes_ += malloc_usable_size(p);
  payload_bytes_ += key.size() + val_len;
  return e;
}

void Shard::free_entry(Entry* e) {
  entry_bytes_ -= malloc_usable_size(e);
  payload_bytes_ -= e->key_len + e->val_len;
  std::free(e);
}

void Shard::lru_link_front(Entry* e) {
  e->lru_prev = nullptr;
  e->lru_next = lru_head_;
  if (lru_head_) lru_head_->lru_prev = e;
  lru_head_ = e;
  if (!lru_tail_) lru_tail_ = e;
}

void Shard::lru_unlink(Entry* e) {
  if (e->lru_prev) e->lru_prev->lru_next = e->lru_next; else lru_head_ = e->lru_next;
  if (e->lru_next) e->lru_next->lru_prev = e->lru_prev; else lru_tail_ = e->lru_prev;
  e->lru_prev = e->lru_next = nullptr;
}

void Shard::touch_locked(Entry* e) {
  if (lru_head_ == e) return;
  lru_unlink(e);
  lru_link_front(e);
}

void Shard::volatile_add(Entry* e) {
  e->vol_idx = static_cast<uint32_t>(volatile_.size());
  volatile_.push_back(e);
}

void Shard::volatile_remove(Entry* e) {
  uint32_t i = e->vol_idx;
  if (i == kNotVolatile) return;
  Entry* last = volatile_.back();
  volatile_[i] = last;
  last->vol_idx = i;
  volatile_.pop_back();
  e->vol_idx = kNotVolatile;
}

void Shard::set_expire_locked(Entry* e, int64_t expire_ms) {
  if (expire_ms != 0 && e->vol_idx == kNotVolatile) volatile_add(e);
  if (expire_ms == 0 && e->vol_idx != kNotVolatile) volatile_remove(e);
  e->expire_ms = expire_ms;
}

Entry* Shard::find_locked(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = table_.find(key, hash);
  if (e && !marks_.empty()) {
    if (ShardMark* m = killer_locked(e)) {
      reap_locked(e, *m);
      return nullptr;
    }
  }
  if (e && e->expired(now_ms)) {
    erase_locked(e);
    ++stats_.expired;
    return nullptr;
  }
  return e;
}

Entry* Shard::lookup_locked(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = find_locked(key, hash, now_ms);
  if (e) {
    ++stats_.hits;
    touch_locked(e);
  } else {
    ++stats_.misses;
  }
  return e;
}

void Shard::unlink_but_index_locked(Entry* e) {
  table_.remove(e);
  lru_unlink(e);
  volatile_remove(e);
  forget_locked(e);
}

void Shard::unlink_locked(Entry* e) {
  index_.erase(e);
  unlink_but_index_locked(e);
}

void Shard::erase_locked(Entry* e) {
  unlink_locked(e);
  free_entry(e);
}

bool Shard::make_room_locked(size_t need, int64_t now_ms, const Entry* keep) {
  if (budget_ == 0 || used_bytes() + need <= budget_) return true;
  if (policy_ == EvictionPolicy::NoEviction) return false;
  if (budget_ < need) {
    // A value larger than the shard's share (e.g. 10 MB with 256mb over 64 shards): Redis would
    // store it, so empty this shard for it as long as it fits the whole budget.
    if (need > total_budget_) return false;
    evict_to_budget_locked(0, now_ms, keep);
    return true;
  }
  evict_to_budget_locked(budget_ - need, now_ms, keep);
  return used_bytes() + need <= budget_;
}

Entry* Shard::put_locked(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_ms) {
  Entry* old = table_.find(key, hash);
  if (old && !marks_.empty()) {
    if (ShardMark* m = killer_locked(old)) {  // invalidated: this write creates the key anew
      reap_locked(old, *m);
      old = nullptr;
    }
  }
  size_t need = entry_alloc_size(key.size(), value.size());
  if (old) need = need > malloc_usable_size(old) ? need - malloc_usable_size(old) : 0;
  else need += KeyIndex::insert_reserve(key.size());  // a new key may split an index leaf
  if (!make_room_locked(need, 0, nullptr)) return nullptr;
  old = table_.find(key, hash);  // eviction may have removed it
  Entry* e = alloc_entry(key, hash, value.size());
  if (!value.empty()) std::memcpy(e->value_data(), value.data(), value.size());
  if (old) {
    table_.replace(old, e);
    index_.replace(old, e);
    lru_unlink(old);
    volatile_remove(old);
    forget_locked(old);  // an overwrite drops the old value's tags
    free_entry(old);
  } else {
    table_.insert(e);
    index_.insert(e);
  }
  lru_link_front(e);
  if (expire_ms) set_expire_locked(e, expire_ms);
  if (!marks_.empty()) note_created_locked(e);
  if (budget_ && used_bytes() > budget_) evict_to_budget_locked(budget_, 0, e);  // index/table growth
  return e;
}

Entry* Shard::resize_value_locked(Entry* e, size_t new_len) {
  size_t need = entry_alloc_size(e->key_len, new_len);
  size_t have = malloc_usable_size(e);
  if (need > have) {
      if (!make_room_locked(need - have, 0, e)) return nullptr;
  }
  Entry* n = alloc_entry(e->key(), e->hash, new_len);
  std::memcpy(n->value_data(), e->value_data(), std::min<size_t>(e->val_len, new_len));
  table_.replace(e, n);
  index_.replace(e, n);
  note_moved_locked(e, n);  // the same value keeps its tags and freshness
  lru_unlink(e);
  lru_link_front(n);
  int64_t exp = e->expire_ms;
  volatile_remove(e);
  free_entry(e);
  if (exp) set_expire_locked(n, exp);
  return n;
}

Entry* Shard::pick_victim_locked(int64_t now_ms) {
  switch (policy_) {
    case EvictionPolicy::AllKeysLru: return lru_tail_;
    case EvictionPolicy::AllKeysRandom: {
      Entry* chain = table_.random_chain(next_rand(rng_));
      return chain;
    }
    case EvictionPolicy::VolatileRandom:
      return volatile_.empty() ? nullptr : volatile_[next_rand(rng_) % volatile_.size()];
    case EvictionPolicy::VolatileTtl: {
      // Sample like Redis (5 keys) and take the soonest to expire.
      Entry* best = nullptr;
      for (int i = 0; i < 5 && !volatile_.empty(); ++i) {
        Entry* c = volatile_[next_rand(rng_) % volatile_.size()];
        if (!best || c->expire_ms < best->expire_ms) best = c;
      }
      return best;
    }
    case EvictionPolicy::VolatileLru:
      for (Entry* e = lru_tail_; e; e = e->lru_prev)
        if (e->expire_ms != 0) return e;
      return nullptr;
    case EvictionPolicy::NoEviction: return nullptr;
  }
  (void)now_ms;
  return nullptr;
}

size_t Shard::evict_to_budget_locked(size_t budget, int64_t now_ms, const Entry* keep) {
  size_t n = 0;
  while (used_bytes() > budget) {
    Entry* victim = pick_victim_locked(now_ms);
    if (!victim || victim == keep) break;
    if (ShardMark* m = marks_.empty() ? nullptr : killer_locked(victim)) {
      reap_locked(victim, *m);  // already invalidated: counts for the invalidation, not as evicted
      continue;
    }
    erase_locked(victim);
    ++stats_.evicted;
    ++n;
  }
  return n;
}

size_t Shard::active_expire_locked(int64_t now_ms, size_t max_checks) {
  size_t deleted = 0;
  for (size_t i = 0; i < max_checks && !volatile_.empty(); ++i) {
    Entry* e = volatile_[next_rand(rng_) % volatile_.size()];
    if (e->expired(now_ms)) {
      if (ShardMark* m = marks_.empty() ? nullptr : killer_locked(e)) {
        reap_locked(e, *m);  // counts as expired or invalidated by the mark's start time
      } else {
        erase_locked(e);
        ++stats_.expired;
      }
      ++deleted;
    }
  }
  return deleted;
}

void Shard::clear_locked() {
  for (Entry* e = lru_head_; e;) {
    Entry* next = e->lru_next;
    free_entry(e);
    e = next;
  }
  lru_head_ = lru_tail_ = nullptr;
  table_.clear();
  index_.clear();
  tags_.clear();
  for (auto& m : marks_) m->fresh.clear();
  std::vector<Entry*>().swap(volatile_);
}

}  // namespace shardcache::store
