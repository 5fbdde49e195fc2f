// daemon/store/shard.cpp: entry lifecycle, LRU, volatile list, eviction and expiry for one shard.
// Every entry is also in the key index (and the tag index when tagged); while an invalidation
// runs, lookups treat its dead entries as absent and reclaim them (shard_invalidation.cpp).
#include "daemon/store/shard.h"

#include "daemon/store/alloc.h"
#include "daemon/store/store.h"

#include <malloc.h>

#include <algorithm>
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
  publish_used();
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
  publish_used();
}

// Frees room for `need` more bytes. Over budget already (maxmemory was lowered), a write only
// pays for itself: the excess is the cron's to evict in bounded steps. allkeys-* policies keep
// every shard within its share. The others (noeviction, volatile-* without volatile keys) may
// use room left in the whole store, as Redis refuses only when used_memory > maxmemory.
bool Shard::make_room_locked(size_t need, int64_t now_ms, const Entry* keep) {
  if (budget_ == 0) return true;
  bool evicts_all = policy_ == EvictionPolicy::AllKeysLru || policy_ == EvictionPolicy::AllKeysRandom;
  // Within the share: fine, unless other shards borrowed and the store as a whole is full.
  auto store_allows = [&] {
    return evicts_all || !store_ || store_->borrowed_bytes() == 0 || store_->has_room(need, *this);
  };
  if (used_bytes() + need <= budget_) return store_allows();
  if (evicts_all && budget_ < need) {
    // A value larger than the shard's share (e.g. 10 MB with 256mb over 64 shards): Redis would
    // store it, so empty this shard for it as long as it fits the whole budget.
    if (need > total_budget_) return false;
    evict_to_budget_locked(0, now_ms, keep);
    return true;
  }
  if (policy_ != EvictionPolicy::NoEviction && budget_ >= need) {
    size_t target = std::max(budget_, used_bytes()) - need;
    evict_to_budget_locked(target, now_ms, keep);
    if (used_bytes() <= target) return store_allows();
  }
  return !evicts_all && store_ && store_->has_room(need, *this);
}

void Shard::publish_used() {
  size_t used = used_bytes();
  published_used_.store(used, std::memory_order_relaxed);
  size_t over = budget_ && used > budget_ ? used - budget_ : 0;
  if (over != over_share_ && store_) store_->add_borrowed(static_cast<int64_t>(over) - static_cast<int64_t>(over_share_));
  over_share_ = over;
}

// Bytes the table would grow by for one more key (counted before it happens).
size_t Shard::growth_on_insert_locked() const {
  return table_.growth_on_insert();
}

Entry* Shard::put_locked(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_ms) {
  Entry* old = table_.find(key, hash);
  if (old && !marks_.empty()) {
    if (ShardMark* m = killer_locked(old)) {  // invalidated: this write creates the key anew
      reap_locked(old, *m);
      old = nullptr;
    }
  }
  size_t ceiling = std::max(budget_, used_bytes());  // over budget: this write pays for itself
  size_t need = entry_alloc_size(key.size(), value.size());
  if (old) need = need > malloc_usable_size(old) ? need - malloc_usable_size(old) : 0;
  else need += growth_on_insert_locked() + KeyIndex::insert_reserve(key.size());  // table growth, a leaf split
  if (expire_ms && (!old || old->vol_idx == kNotVolatile) && volatile_.size() == volatile_.capacity())
    need += std::max<size_t>(1, volatile_.capacity()) * sizeof(Entry*);  // the TTL list grows
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
  if (budget_ && used_bytes() > ceiling) evict_to_budget_locked(ceiling, 0, e);  // growth past the estimate
  publish_used();
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
  publish_used();
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
      // Sample (16 keys, about what Redis's 5 samples plus its 16-candidate pool achieve)
      // and take the soonest to expire.
      Entry* best = nullptr;
      for (int i = 0; i < 16 && !volatile_.empty(); ++i) {
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

size_t Shard::evict_to_budget_locked(size_t budget, int64_t now_ms, const Entry* keep, size_t max_victims) {
  size_t n = 0;
  while (used_bytes() > budget && n < max_victims) {
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
  publish_used();
}

}  // namespace shardcache::store
