// daemon/store/handles.h: entries and their 32-bit slab handles (slab.h), for the parts of a
// shard that link entries by handle (the recency list, the TTL index). Handle 0 means none.
#pragma once
#include <cstddef>
#include <cstdint>

#include "daemon/store/entry.h"
#include "daemon/store/slab.h"

namespace shardcache::store {

/// Handle <-> entry for one arena base. Plain arithmetic, no check: both sides must be blocks
/// of the arena (at() of 0 is the base itself, never an entry).
struct Handles {
  char* base = nullptr;

  Entry* at(uint32_t h) const { return reinterpret_cast<Entry*>(base + size_t{h} * SlabArena::kGranule); }
  uint32_t of(const Entry* e) const {
    return static_cast<uint32_t>((reinterpret_cast<const char*>(e) - base) / SlabArena::kGranule);
  }
};

}  // namespace shardcache::store
