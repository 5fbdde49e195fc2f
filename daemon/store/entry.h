// daemon/store/entry.h: one cached item: key, value bytes, expiry and LRU links in a single
// malloc'd block. Only the store touches entries; commands see them through Shard's API.
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shardcache::store {

inline constexpr uint32_t kNotVolatile = UINT32_MAX;

/// Value kinds. Only strings exist today; TYPE and WRONGTYPE use this.
enum class ValueType : uint8_t { String = 0 };

/// A key and its value, laid out as [header][key bytes][value bytes].
struct Entry {
  Entry* next;          ///< hash-chain link
  Entry* lru_prev;      ///< towards the most recently used end
  Entry* lru_next;      ///< towards the least recently used end
  int64_t expire_ms;    ///< absolute unix ms; 0 = no expiry
  uint64_t hash;        ///< XXH3-64 of the key
  uint32_t key_len;
  uint32_t val_len;
  uint32_t vol_idx;     ///< index in the shard's volatile list, or kNotVolatile
  ValueType type;
  // The key bytes, then the value bytes, follow the header in the same block.

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_len}; }
  std::string_view value() const { return {data() + key_len, val_len}; }
  char* value_data() { return data() + key_len; }
  bool expired(int64_t now_ms) const { return expire_ms != 0 && expire_ms <= now_ms; }
};

}  // namespace shardcache::store
