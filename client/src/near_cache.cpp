// client/src/near_cache.cpp: the near cache's LRU store, expiry, and in-flight tickets
// (see near_cache.h and docs/architecture.md "Near cache").
#include "client/src/near_cache.h"

namespace shardcache::detail {

void NearCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.cost;
  lru_.erase(it->second.pos);
  map_.erase(it);
}

void NearCache::evict_locked() {
  while (!lru_.empty() && ((opts_.max_entries && map_.size() > opts_.max_entries) ||
                           (opts_.max_bytes && bytes_ > opts_.max_bytes))) {
    auto it = map_.find(lru_.back());
    erase_locked(it);
    ++st_.evictions;
  }
}

std::optional<std::string> NearCache::lookup(std::string_view key, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return std::nullopt;
  if (it->second.expires != Clock::time_point{} && now >= it->second.expires) {
    erase_locked(it);
    ++st_.expirations;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.pos);
  return it->second.value;
}

bool NearCache::contains(std::string_view key) {
  std::lock_guard lk(mu_);
  return map_.find(std::string(key)) != map_.end();
}

NearCache::Ticket NearCache::begin(std::string_view key) {
  std::lock_guard lk(mu_);
  ++inflight_[std::string(key)].count;
  return Ticket{std::string(key), epoch_};
}

bool NearCache::finish(const Ticket& t, const std::optional<std::string>& value, std::chrono::milliseconds ttl,
                       bool store, Clock::time_point now) {
  std::lock_guard lk(mu_);
  bool valid = flush_epoch_ <= t.epoch;
  if (auto f = inflight_.find(t.key); f != inflight_.end()) {
    if (f->second.last_invalidation > t.epoch) valid = false;
    if (--f->second.count == 0) inflight_.erase(f);
  }
  if (!store || !value) return false;
  if (!valid) {
    ++st_.discarded;
    return false;
  }
  if (opts_.max_ttl.count() > 0 && (ttl.count() <= 0 || ttl > opts_.max_ttl)) ttl = opts_.max_ttl;
  const size_t cost = cost_of(t.key, *value);
  if (opts_.max_bytes && cost > opts_.max_bytes) return false;  // would evict everything and still not fit
  if (auto it = map_.find(t.key); it != map_.end()) erase_locked(it);
  lru_.push_front(t.key);
  Entry e;
  e.value = *value;
  e.expires = ttl.count() > 0 ? now + ttl : Clock::time_point{};
  e.pos = lru_.begin();
  e.cost = cost;
  map_.emplace(t.key, std::move(e));
  bytes_ += cost;
  evict_locked();
  return true;
}

void NearCache::invalidate(std::string_view key) {
  std::lock_guard lk(mu_);
  std::string k(key);
  if (auto it = map_.find(k); it != map_.end()) {
    erase_locked(it);
    ++st_.invalidations;
  }
  if (auto f = inflight_.find(k); f != inflight_.end()) f->second.last_invalidation = ++epoch_;
}

void NearCache::flush() {
  std::lock_guard lk(mu_);
  map_.clear();
  lru_.clear();
  bytes_ = 0;
  flush_epoch_ = ++epoch_;
  ++st_.flushes;
}

void NearCache::count_hit() {
  std::lock_guard lk(mu_);
  ++st_.hits;
}
void NearCache::count_miss() {
  std::lock_guard lk(mu_);
  ++st_.misses;
}
void NearCache::count_drain_timeout() {
  std::lock_guard lk(mu_);
  ++st_.drain_timeouts;
}

NearCacheStats NearCache::stats() {
  std::lock_guard lk(mu_);
  NearCacheStats s = st_;
  s.entries = map_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace shardcache::detail
