// client/src/near_cache.h: the near cache's store: an LRU map key -> value bounded in entries
// and bytes, with per-entry expiry, and "in flight" tickets so that a GET whose key is
// invalidated (or the whole cache flushed) before its reply is stored never stores that reply.
// Thread-safe (one mutex). Depends on the standard library only (the unit tests compile it in).
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shardcache/near_cache.h"

namespace shardcache::detail {

class NearCache {
 public:
  using Clock = std::chrono::steady_clock;
  /// A GET in flight: taken before the request is sent, handed back to finish().
  struct Ticket {
    std::string key;
    uint64_t epoch = 0;
  };

  explicit NearCache(NearCacheOptions o) : opts_(o) {}

  /// The live value of `key`, moved to the LRU front; nullopt when absent or expired.
  /// Does not count hits or misses (the caller does, see count_hit / count_miss).
  std::optional<std::string> lookup(std::string_view key, Clock::time_point now = Clock::now());
  /// True when an entry (maybe expired) exists: lets the caller skip the drain on a sure miss.
  bool contains(std::string_view key);

  /// Registers a GET of `key` about to be sent.
  Ticket begin(std::string_view key);
  /// The GET's outcome: stores `value` (expiring after `ttl`, none when ttl <= 0) unless the key
  /// was invalidated or the cache flushed since begin(), or `store` is false. Always ends the
  /// ticket. True when stored.
  bool finish(const Ticket& t, const std::optional<std::string>& value, std::chrono::milliseconds ttl, bool store,
              Clock::time_point now = Clock::now());

  /// Drops `key` (an invalidation push, or a write through this client).
  void invalidate(std::string_view key);
  /// Drops everything (null invalidation, disconnect, breaker open, clear()).
  void flush();

  void count_hit();
  void count_miss();
  void count_drain_timeout();
  NearCacheStats stats();
  const NearCacheOptions& options() const { return opts_; }

 private:
  struct Entry;
  using Lru = std::list<std::string>;  // keys, most recently used first
  struct Entry {
    std::string value;
    Clock::time_point expires{};  // epoch = never
    Lru::iterator pos;
    size_t cost = 0;
  };
  struct InFlight {
    uint32_t count = 0;
    uint64_t last_invalidation = 0;
  };
  static size_t cost_of(std::string_view key, std::string_view value) { return key.size() + value.size() + 64; }
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);
  void evict_locked();

  NearCacheOptions opts_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> map_;
  Lru lru_;
  size_t bytes_ = 0;
  std::unordered_map<std::string, InFlight> inflight_;
  uint64_t epoch_ = 0;
  uint64_t flush_epoch_ = 0;
  NearCacheStats st_;
};

}  // namespace shardcache::detail
