// daemon/store/shard.cpp: entry lifecycle (slab blocks, external blocks for big items), writes,
// lookups, expiry and eviction for one shard, keeping its parts (shard.h) in step: every entry is
// in the table, the policy list and the key index, in the TTL index when it has a TTL and in the
// tag index when tagged. Victim choice is in eviction.cpp. While an invalidation runs, lookups
// treat its dead entries as absent and reclaim them (shard_invalidation.cpp).
#include "daemon/store/shard.h"

#include "daemon/store/alloc.h"
#include "daemon/store/store.h"

#include <algorithm>
#include <cstdlib>

namespace shardcache::store {

Shard::Shard() : arena_(SlabArena::instance()), base_(arena_.base()), recency_(base_), ttl_(base_) {}

Shard::~Shard() { clear_locked(); }

size_t Shard::entry_alloc_size(size_t key_len, size_t val_len, bool ttl) {
  bool external = false;
  size_t block = Entry::block_bytes(key_len, val_len, ttl, SlabArena::kMaxBlock, external);
  return SlabArena::rounded(block) + (external ? alloc_rounded_size(key_len + val_len) : 0);
}

size_t Shard::entry_bytes_of(const Entry* e) const {
  return arena_.block_size(e) + (e->external() ? alloc_usable_size(e->external_block()) : 0);
}

size_t Shard::key_footprint_locked(const Entry* e) const {
  size_t n = table_.size();
  size_t slots = n ? (table_.slot_bytes() + n - 1) / n : 0;
  // The key index (INVALIDATE's prefix index) is shared per key too; tags are not included.
  size_t index_share = n ? (index_.bytes() + n - 1) / n : 0;
  return entry_bytes_of(e) + slots + index_share + (TtlIndex::contains(e) ? sizeof(uint32_t) : 0);
}

// A new entry holding `key` and room for val_len value bytes; nullptr if memory is exhausted.
Entry* Shard::alloc_entry(std::string_view key, size_t val_len, bool ttl) {
  bool external = false;
  size_t block = Entry::block_bytes(key.size(), val_len, ttl, SlabArena::kMaxBlock, external);
  auto* e = static_cast<Entry*>(arena_.alloc(block, slab_heap_));
  if (!e) return nullptr;
  e->init(key.size(), val_len, ttl, external);
  if (external) {
    char* p = static_cast<char*>(std::malloc(key.size() + val_len));
    if (!p) {
      arena_.free(e);
      return nullptr;
    }
    e->set_external_block(p);
  }
  std::memcpy(e->key_data(), key.data(), key.size());
  size_t bytes = entry_bytes_of(e);
  budget_.add_entry(bytes, key.size() + val_len);
  FamilyCounters& fam = families_.of(key);
  ++fam.keys;
  fam.bytes += static_cast<int64_t>(bytes);
  return e;
}

void Shard::free_entry(Entry* e) {
  size_t bytes = entry_bytes_of(e);
  budget_.remove_entry(bytes, e->klen() + e->vlen());
  FamilyCounters& fam = families_.of(e->key());
  --fam.keys;
  fam.bytes -= static_cast<int64_t>(bytes);
  if (e->external()) std::free(e->external_block());
  arena_.free(e);
}

void Shard::prefetch_use(const Entry* e, std::string_view key) const {
  const char* p = reinterpret_cast<const char*>(e);
  const size_t readable = arena_.readable_bytes();
  if (p < base_ || static_cast<size_t>(p - base_) + sizeof(Entry) > readable) return;
  // The header's fields as one racy snapshot; a torn or stale one only spoils a hint.
  const uint8_t flags = __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
  const uint8_t klen = __atomic_load_n(&e->klen8, __ATOMIC_RELAXED);
  const size_t key_off = sizeof(Entry) + ((flags & Entry::kTtl) ? 12 : 0);
  bool mine = true;  // unknown (long or external layout): assume so, as the chain's first
  if (!(flags & (Entry::kLong | Entry::kExternal))) {
    mine = klen == key.size() && static_cast<size_t>(p - base_) + key_off + klen <= readable &&
           std::memcmp(p + key_off, key.data(), key.size()) == 0;
  }
  if (mine) {
    uint32_t newer = __atomic_load_n(&e->newer, __ATOMIC_RELAXED);
    uint32_t older = __atomic_load_n(&e->older, __ATOMIC_RELAXED);
    if (newer) __builtin_prefetch(base_ + size_t{newer} * SlabArena::kGranule, 1);
    if (older) __builtin_prefetch(base_ + size_t{older} * SlabArena::kGranule, 1);
    return;
  }
  if (uint32_t next = __atomic_load_n(&e->next, __ATOMIC_RELAXED)) {
    prefetch_entry_lines(base_ + size_t{next} * SlabArena::kGranule);
  }
}

void Shard::touch_locked(Entry* e) {
  if (budget_.policy() == EvictionPolicy::AllKeysSieve) RecencyList::mark_visited(e);
  else recency_.move_to_newest(e);
}

Entry* Shard::set_expire_locked(Entry* e, int64_t expire_ms) {
  count_change_locked();
  return apply_expire_locked(e, expire_ms);
}

Entry* Shard::apply_expire_locked(Entry* e, int64_t expire_ms) {
  if (expire_ms != 0 && !e->has_ttl_block()) {
    // EXPIRE is not refused for memory: make what room the policy can, then move.
    size_t grow = entry_alloc_size(e->klen(), e->vlen(), true) - entry_bytes_of(e);
    make_room_locked(grow, 0, e);
    if (Entry* n = relocate_locked(e, e->vlen(), true)) e = n;
    else return e;  // the arena is exhausted: keep the key without its TTL
  }
  if (expire_ms != 0 && !TtlIndex::contains(e)) ttl_.add(e);
  if (expire_ms == 0 && TtlIndex::contains(e)) ttl_.remove(e);
  if (e->has_ttl_block()) e->set_expire(expire_ms);
  publish_used();
  return e;
}

// A copy of e with a value of new_len bytes (the first min(old, new) kept) and a TTL block if
// `ttl` or e has one, in e's place in the table, the recency list, the TTL index, the key
// index, its tags and the fresh sets of running invalidations.
Entry* Shard::relocate_locked(Entry* e, size_t new_len, bool ttl) {
  ttl = ttl || e->has_ttl_block();
  Entry* n = alloc_entry(e->key(), new_len, ttl);
  if (!n) return nullptr;
  std::memcpy(n->value_data(), e->value_data(), std::min<size_t>(e->vlen(), new_len));
  n->flags |= e->flags & Entry::kVisited;
  table_.replace(e, n);
  index_.replace(e, n);
  note_moved_locked(e, n);  // the same value keeps its tags and freshness
  recency_.replace(e, n);
  if (e->has_ttl_block()) {
    n->set_expire(e->expire());
    ttl_.replace(e, n);
  }
  free_entry(e);
  return n;
}

Entry* Shard::find_locked(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = table_.find(key, hash);
  if (e && inval_.active()) {
    if (ShardMark* m = inval_.killer(e)) {
      reap_locked(e, *m);
      return nullptr;
    }
  }
  if (e && e->expired(now_ms)) {
    note_removed_locked(e);
    remove_locked(e);
    ++stats_.expired;
    return nullptr;
  }
  return e;
}

Entry* Shard::lookup_locked(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = find_locked(key, hash, now_ms);
  FamilyCounters& fam = families_.of(key);
  if (e) {
    ++stats_.hits;
    ++fam.hits;
    touch_locked(e);
  } else {
    ++stats_.misses;
    ++fam.misses;
  }
  return e;
}

void Shard::unlink_but_index_locked(Entry* e) {
  table_.remove(e);
  recency_.unlink(e);
  ttl_.remove(e);
  forget_locked(e);
}

void Shard::unlink_locked(Entry* e) {
  index_.erase(e);
  unlink_but_index_locked(e);
}

void Shard::erase_locked(Entry* e) {
  count_change_locked();
  remove_locked(e);
}

void Shard::note_removed_locked(const Entry* e) {
  if (!store_) return;
  if (RemovalObserver* o = store_->observer()) [[unlikely]] o->removed(e->key());
}

void Shard::remove_locked(Entry* e) {
  unlink_locked(e);
  free_entry(e);
  publish_used();
}

// Frees room for `need` more bytes as budget_.plan() says (see Budget::Step). allkeys-*
// policies keep every shard within its share; the others (noeviction, volatile-* without
// volatile keys) may use room left in the whole store, as Redis refuses only when
// used_memory > maxmemory.
bool Shard::make_room_locked(size_t need, int64_t now_ms, const Entry* keep) {
  Budget::Plan plan = budget_.plan(used_bytes(), need);
  // Within the share: fine, unless other shards borrowed and the store as a whole is full.
  auto store_allows = [&] {
    return budget_.evicts_all() || !store_ || store_->borrowed_bytes() == 0 || store_->has_room(need, *this);
  };
  switch (plan.step) {
    case Budget::Step::Unlimited: return true;
    case Budget::Step::WithinShare: return store_allows();
    case Budget::Step::Refuse: return false;
    case Budget::Step::EvictAll:
      evict_to_budget_locked(0, now_ms, keep);
      return true;
    case Budget::Step::EvictTo:
      evict_to_budget_locked(plan.target, now_ms, keep);
      if (used_bytes() <= plan.target) return store_allows();
      break;
    case Budget::Step::Borrow: break;
  }
  return !budget_.evicts_all() && store_ && store_->has_room(need, *this);
}

void Shard::table_step_locked(size_t buckets) {
  table_.maybe_shrink();
  if (!table_.rehashing()) return;
  table_.rehash_step(buckets);
  publish_used();
}

void Shard::reserve_locked(size_t keys) {
  table_.reserve(keys);
  publish_used();
}

void Shard::publish_used() {
  int64_t delta = budget_.publish(used_bytes());
  if (delta != 0 && store_) store_->add_borrowed(delta);
}

// Bytes the table and the key index may grow by for one more key (counted before it happens).
// The index's is its worst case (a leaf split) whatever leaf the key falls in, so that a full
// store refuses every new key alike, not only those whose leaf happens to be full.
size_t Shard::growth_on_insert_locked(std::string_view key) const {
  return table_.growth_on_insert() + index_.insert_reserve(key.size());
}

Entry* Shard::put_locked(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_ms) {
  Entry* old = table_.find(key, hash);
  if (old && inval_.active()) {
    if (ShardMark* m = inval_.killer(old)) {  // invalidated: this write creates the key anew
      reap_locked(old, *m);
      old = nullptr;
    }
  }
  return put_existing_locked(old, key, hash, value, expire_ms);
}

Entry* Shard::put_existing_locked(Entry* old, std::string_view key, uint64_t hash, std::string_view value,
                                  int64_t expire_ms) {
  if (old && fits_in_place(old, value.size(), expire_ms)) {
    // Same size class: no allocation, and the table, key index and tags keep their entry.
    // make_room_locked(0) still refuses writes under noeviction when the store is full.
    if (!make_room_locked(0, 0, nullptr)) return nullptr;
    ++families_.of(key).sets;
    return overwrite_in_place_locked(old, value, expire_ms);
  }
  size_t ceiling = std::max(budget_.share(), used_bytes());  // over budget: this write pays for itself
  size_t need = entry_alloc_size(key.size(), value.size(), expire_ms != 0);
  if (old) need = need > entry_bytes_of(old) ? need - entry_bytes_of(old) : 0;
  else need += growth_on_insert_locked(key);  // table growth, a leaf split
  if (expire_ms && (!old || !TtlIndex::contains(old))) need += ttl_.growth_on_add();
  size_t before = table_.size();
  if (!make_room_locked(need, 0, nullptr)) return nullptr;
  if (old && table_.size() != before) old = table_.find(key, hash);  // eviction may have removed it
  Entry* e = alloc_entry(key, value.size(), expire_ms != 0);
  if (!e) return nullptr;
  ++families_.of(key).sets;
  if (!value.empty()) std::memcpy(e->value_data(), value.data(), value.size());
  if (old) {
    table_.replace(old, e, hash);
    index_.replace(old, e);
    recency_.unlink(old);
    ttl_.remove(old);
    forget_locked(old);  // an overwrite drops the old value's tags
    free_entry(old);
  } else {
    table_.insert(e, hash);
    index_.insert(e);
  }
  recency_.push_newest(e);
  if (expire_ms) e = apply_expire_locked(e, expire_ms);  // e has its TTL block: it does not move
  if (inval_.active()) inval_.note_created(e);
  if (budget_.limited() && used_bytes() > ceiling) evict_to_budget_locked(ceiling, 0, e);  // growth past the estimate
  count_change_locked();
  publish_used();
  return e;
}

// True when a value of val_len bytes (and expire_ms) fits e's slab block as it is: e's key and
// value are inline, it already has a TTL block if one is needed, the header keeps its form and
// the size class is the same (an entry that kept a TTL block after PERSIST keeps it here too).
bool Shard::fits_in_place(const Entry* e, size_t val_len, int64_t expire_ms) const {
  if (e->external() || (expire_ms != 0 && !e->has_ttl_block())) return false;
  size_t klen = e->klen();
  if (Entry::needs_long(klen, val_len) != Entry::needs_long(klen, e->vlen())) return false;
  bool ttl = e->has_ttl_block(), ext_new = false, ext_old = false;
  size_t want = Entry::block_bytes(klen, val_len, ttl, SlabArena::kMaxBlock, ext_new);
  size_t have = Entry::block_bytes(klen, e->vlen(), ttl, SlabArena::kMaxBlock, ext_old);
  return !ext_new && SlabArena::rounded(want) == SlabArena::rounded(have);
}

// The overwrite put_existing_locked would do by moving to a new block, done in e's own block:
// the new value, the old value's tags dropped, a fresh use at the front of the policy list
// (SIEVE's visited bit cleared, as for a new entry) and the new expiry.
Entry* Shard::overwrite_in_place_locked(Entry* e, std::string_view value, int64_t expire_ms) {
  budget_.resize_payload(e->vlen(), value.size());
  e->set_vlen(static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memmove(e->value_data(), value.data(), value.size());  // value may alias e
  forget_locked(e);
  e->flags &= static_cast<uint8_t>(~Entry::kVisited);
  recency_.move_to_newest(e);
  if (expire_ms != 0 || TtlIndex::contains(e)) apply_expire_locked(e, expire_ms);  // never moves here
  else if (e->has_ttl_block()) e->set_expire(0);
  if (inval_.active()) inval_.note_created(e);
  count_change_locked();
  publish_used();
  return e;
}

Entry* Shard::resize_value_locked(Entry* e, size_t new_len) {
  size_t need = entry_alloc_size(e->klen(), new_len, e->has_ttl_block());
  size_t have = entry_bytes_of(e);
  if (need > have) {
    if (!make_room_locked(need - have, 0, e)) return nullptr;
  }
  Entry* n = relocate_locked(e, new_len, false);
  if (!n) return nullptr;
  touch_locked(n);  // a write is a use
  count_change_locked();
  publish_used();
  return n;
}

size_t Shard::evict_to_budget_locked(size_t budget, int64_t now_ms, const Entry* keep, size_t max_victims) {
  size_t n = 0;
  while (used_bytes() > budget && n < max_victims) {
    Entry* victim = pick_victim_locked(now_ms);
    if (!victim || victim == keep) break;
    if (ShardMark* m = !inval_.active() ? nullptr : inval_.killer(victim)) {
      reap_locked(victim, *m);  // already invalidated: counts for the invalidation, not as evicted
      continue;
    }
    note_removed_locked(victim);
    remove_locked(victim);
    ++stats_.evicted;
    ++n;
  }
  return n;
}

size_t Shard::active_expire_locked(int64_t now_ms, size_t max_checks) {
  size_t deleted = 0;
  for (size_t i = 0; i < max_checks && !ttl_.empty(); ++i) {
    Entry* e = ttl_.sample(next_rand());
    if (e->expired(now_ms)) {
      if (ShardMark* m = !inval_.active() ? nullptr : inval_.killer(e)) {
        reap_locked(e, *m);  // counts as expired or invalidated by the mark's start time
      } else {
        note_removed_locked(e);
        remove_locked(e);
        ++stats_.expired;
      }
      ++deleted;
    }
  }
  return deleted;
}

void Shard::clear_locked() {
  count_change_locked(table_.size());
  recency_.clear([this](Entry* e) { free_entry(e); });
  table_.clear();
  index_.clear();
  tags_.clear();
  inval_.clear_fresh();
  ttl_.clear();
  publish_used();
}

}  // namespace shardcache::store
