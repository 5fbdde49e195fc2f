// shardcache/near_cache.h: settings and counters of libshardcache's near cache, an opt-in
// in-process LRU copy of values read with Client::get (and so Cache::with_cache), kept
// coherent by the server's CLIENT TRACKING invalidation pushes (RESP3).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace shardcache {

/// ClientOptions::near_cache. Off by default.
struct NearCacheOptions {
  bool enabled = false;                          ///< turn the near cache on (needs RESP3 and CLIENT TRACKING)
  size_t max_entries = 10000;                    ///< LRU bound in entries (0 = no entry bound)
  size_t max_bytes = 64u << 20;                  ///< LRU bound in bytes of keys + values + 64 per entry (0 = none)
  std::chrono::milliseconds max_ttl{0};          ///< cap on an entry's life (0 = the key's own TTL only)
};

/// Counters of the near cache since the Client was built, and its current size.
struct NearCacheStats {
  uint64_t hits = 0;           ///< Client::get calls served from the near cache
  uint64_t misses = 0;         ///< Client::get calls that went to the server (near cache on)
  uint64_t evictions = 0;      ///< entries dropped by the LRU bounds
  uint64_t invalidations = 0;  ///< entries dropped by an invalidation (push, or a write through this Client)
  uint64_t expirations = 0;    ///< entries dropped because their TTL passed
  uint64_t flushes = 0;        ///< whole-cache drops (disconnect, null invalidation, breaker open, clear())
  uint64_t discarded = 0;      ///< replies not stored: their key was invalidated while the GET was in flight
  uint64_t drain_timeouts = 0; ///< near hits refused because pending pushes were not read in time
  size_t entries = 0;          ///< entries now
  size_t bytes = 0;            ///< bytes now (as counted for max_bytes)
  double hit_ratio() const { return hits + misses ? double(hits) / double(hits + misses) : 0.0; }
};

}  // namespace shardcache
