// daemon/store/key_families.h: per-shard counters by key family (the key's first segment up to
// ':'): hits, misses, sets, invalidated keys, and the keys and entry bytes the family holds now.
// One small open-addressed table per shard, updated under the shard's lock (no global state on
// the hot path); Store::key_families() merges the shards' tables and keeps the top N.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace shardcache::store {

/// Counters of one family (or of a shard's overflow).
struct FamilyCounters {
  uint64_t hits = 0, misses = 0, sets = 0, invalidated = 0;
  int64_t keys = 0;   ///< keys of the family in the keyspace now
  int64_t bytes = 0;  ///< their entries' allocations (slab blocks and external blocks)

  void add(const FamilyCounters& o) {
    hits += o.hits; misses += o.misses; sets += o.sets; invalidated += o.invalidated;
    keys += o.keys; bytes += o.bytes;
  }
  /// Lookups + writes: how the top N are chosen.
  uint64_t activity() const { return hits + misses + sets; }
};

class KeyFamilies {
 public:
  /// The family of keys without ':' (or starting with it).
  static constexpr std::string_view kNone = "(none)";
  /// The row that sums the families beyond the top N (and a shard's overflow).
  static constexpr std::string_view kOther = "(other)";
  /// Longer first segments are cut to this many bytes.
  static constexpr size_t kMaxName = 32;
  /// Distinct families one shard tracks; more are counted in its overflow row.
  static constexpr size_t kMaxTracked = 64;

  /// The family name of `key` (a view into it, or kNone), cut to kMaxName bytes.
  static std::string_view family_of(std::string_view key) {
    size_t p = key.find(':');
    if (p == std::string_view::npos || p == 0) return kNone;
    return key.substr(0, p < kMaxName ? p : kMaxName);
  }

  /// The counters of `key`'s family (created on first use; the overflow row when full).
  FamilyCounters& of(std::string_view key);
  /// Calls fn(name, counters) for every tracked family, then fn(kOther, overflow) if it was used.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (!slots_) return;
    for (size_t i = 0; i < kSlots; ++i)
      if (slots_[i].len) fn(std::string_view(slots_[i].name, slots_[i].len), slots_[i].c);
    if (overflow_used_) fn(kOther, overflow_);
  }
  /// CONFIG RESETSTAT: traffic counters to zero; keys and bytes stay.
  void reset_stats();

 private:
  static constexpr size_t kSlots = 128;  // a power of two, twice kMaxTracked
  struct Slot {
    uint64_t hash = 0;
    FamilyCounters c;
    uint8_t len = 0;  // 0 = free
    char name[kMaxName];
  };
  static uint64_t hash_name(std::string_view n);
  std::unique_ptr<Slot[]> slots_;  // allocated on first use
  size_t used_ = 0;
  FamilyCounters overflow_;
  bool overflow_used_ = false;
};

}  // namespace shardcache::store
