// daemon/store/entry.h: one cached item in one slab block: a 16-byte header (32-bit chain and
// policy-list links, flags, short lengths), then optional long lengths, an optional TTL block,
// then the key and value bytes. Entries whose bytes exceed a slab block keep key and value in a
// malloc'd block and a pointer to it. key_len, val_len and expire_ms read like the plain fields
// they used to be (zero-size members that decode the header). Only the store creates or changes
// entries; commands see them through Shard's API.
#pragma once
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace shardcache::store {

inline constexpr uint32_t kNotVolatile = UINT32_MAX;

/// Value kinds. Only strings exist today; TYPE and WRONGTYPE use this.
enum class ValueType : uint8_t { String = 0 };

struct Entry;
namespace entry_detail {
/// Read-only views of a header field, at offset 0 of the entry (see the static_asserts below).
struct KeyLen { operator uint32_t() const; };
struct ValLen { operator uint32_t() const; };
struct ExpireMs {
  operator int64_t() const;
  ExpireMs() = default;
  /// Never called: makes `cond ? e->expire_ms : 0` ambiguous (a compile error) where a class
  /// operand would otherwise convert to int and truncate. Write `int64_t{0}` there.
  template <typename T>
    requires std::same_as<T, int>
  ExpireMs(T) {}
};
}  // namespace entry_detail

/// Layout: [header 16][klen u32, vlen u32 if kLong][expire i64, vol_idx u32 if kTtl]
///         [key][value]                  -- inline, or
///         [char* block: key, value]     -- kExternal
struct Entry {
  [[no_unique_address]] entry_detail::KeyLen key_len;    ///< key length in bytes
  [[no_unique_address]] entry_detail::ValLen val_len;    ///< value length in bytes
  [[no_unique_address]] entry_detail::ExpireMs expire_ms;  ///< absolute unix ms; 0 = no expiry
  uint32_t next;     ///< hash-chain link (slab handle; 0 = none)
  uint32_t newer;    ///< policy list: towards the most recently inserted/used end
  uint32_t older;    ///< policy list: towards the eviction end
  uint8_t flags;
  uint8_t klen8;     ///< key length unless kLong
  uint16_t vlen16;   ///< value length unless kLong

  static constexpr uint8_t kLong = 1;      ///< 32-bit lengths follow the header
  static constexpr uint8_t kTtl = 2;       ///< the TTL block is present (expire may still be 0)
  static constexpr uint8_t kExternal = 4;  ///< key and value live in a malloc'd block
  static constexpr uint8_t kVisited = 8;   ///< SIEVE: read since the hand last passed

  /// Bytes of the slab block for an entry of this shape; sets `external` when key and value
  /// must live outside it.
  static size_t block_bytes(size_t klen, size_t vlen, bool ttl, size_t max_block, bool& external) {
    size_t fixed = 16 + (needs_long(klen, vlen) ? 8 : 0) + (ttl ? 12 : 0);
    external = fixed + klen + vlen > max_block;
    return fixed + (external ? sizeof(char*) : klen + vlen);
  }
  static bool needs_long(size_t klen, size_t vlen) { return klen > UINT8_MAX || vlen > UINT16_MAX; }

  /// Writes the header for the shape block_bytes() was asked about (links zeroed, no expiry).
  void init(size_t klen, size_t vlen, bool ttl, bool external) {
    next = newer = older = 0;
    flags = static_cast<uint8_t>((needs_long(klen, vlen) ? kLong : 0) | (ttl ? kTtl : 0) | (external ? kExternal : 0));
    klen8 = static_cast<uint8_t>(klen);
    vlen16 = static_cast<uint16_t>(vlen);
    if (flags & kLong) {
      uint32_t l[2] = {static_cast<uint32_t>(klen), static_cast<uint32_t>(vlen)};
      std::memcpy(raw() + 16, l, 8);
    }
    if (ttl) {
      set_expire(0);
      set_vol_idx(kNotVolatile);
    }
  }

  uint32_t klen() const { return (flags & kLong) ? load<uint32_t>(16) : klen8; }
  /// Changes the value length of an entry whose block already has room for it; the new length
  /// must keep the entry's short/long header form (needs_long unchanged).
  void set_vlen(uint32_t v) {
    if (flags & kLong) std::memcpy(raw() + 20, &v, sizeof v);
    else vlen16 = static_cast<uint16_t>(v);
  }
  uint32_t vlen() const { return (flags & kLong) ? load<uint32_t>(20) : vlen16; }
  bool has_ttl_block() const { return flags & kTtl; }
  bool external() const { return flags & kExternal; }
  int64_t expire() const { return has_ttl_block() ? load<int64_t>(ttl_off()) : 0; }
  /// Needs the TTL block.
  void set_expire(int64_t ms) { std::memcpy(raw() + ttl_off(), &ms, sizeof ms); }
  uint32_t vol_idx() const { return has_ttl_block() ? load<uint32_t>(ttl_off() + 8) : kNotVolatile; }
  /// Needs the TTL block.
  void set_vol_idx(uint32_t i) { std::memcpy(raw() + ttl_off() + 8, &i, sizeof i); }
  ValueType type() const { return ValueType::String; }

  /// The malloc'd block of an external entry.
  char* external_block() const { return load<char*>(data_off()); }
  void set_external_block(char* p) { std::memcpy(raw() + data_off(), &p, sizeof p); }

  char* key_data() { return external() ? external_block() : raw() + data_off(); }
  const char* key_data() const { return external() ? external_block() : raw() + data_off(); }
  std::string_view key() const { return {key_data(), klen()}; }
  std::string_view value() const { return {key_data() + klen(), vlen()}; }
  char* value_data() { return key_data() + klen(); }
  bool expired(int64_t now_ms) const {
    int64_t e = expire();
    return e != 0 && e <= now_ms;
  }

 private:
  char* raw() { return reinterpret_cast<char*>(this); }
  const char* raw() const { return reinterpret_cast<const char*>(this); }
  size_t ttl_off() const { return (flags & kLong) ? 24 : 16; }
  size_t data_off() const { return ttl_off() + (has_ttl_block() ? 12 : 0); }
  template <typename T>
  T load(size_t off) const {
    T v;
    std::memcpy(&v, raw() + off, sizeof v);
    return v;
  }
};

static_assert(sizeof(Entry) == 16);
static_assert(offsetof(Entry, key_len) == 0 && offsetof(Entry, val_len) == 0 && offsetof(Entry, expire_ms) == 0,
              "the field views find their entry at their own address");

/// Cache hint for a lookup about to read the entry at `e` (a possibly stale address: prefetches
/// never fault): the lines of its header, key and the start and end of a ~130-byte entry,
/// whatever its alignment.
inline void prefetch_entry_lines(const char* e) {
  __builtin_prefetch(e);
  __builtin_prefetch(e + 64);
  __builtin_prefetch(e + 127);
}

inline entry_detail::KeyLen::operator uint32_t() const { return reinterpret_cast<const Entry*>(this)->klen(); }
inline entry_detail::ValLen::operator uint32_t() const { return reinterpret_cast<const Entry*>(this)->vlen(); }
inline entry_detail::ExpireMs::operator int64_t() const { return reinterpret_cast<const Entry*>(this)->expire(); }

}  // namespace shardcache::store
