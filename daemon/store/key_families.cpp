// daemon/store/key_families.cpp: the per-shard family table (see key_families.h). The lookup is
// on every GET and SET, so it avoids library calls: the ':' is searched byte by byte in the
// first kMaxName + 1 bytes, and the name is compared and hashed as four zero-padded 64-bit
// words (slots hold their names zero-padded too).
#include "daemon/store/key_families.h"

namespace shardcache::store {
namespace {

/// A family name as four zero-padded little-endian words.
struct Words {
  uint64_t w[4] = {0, 0, 0, 0};
};

inline Words pack(const char* p, size_t n) {
  Words r;
  for (size_t i = 0; i < n; ++i) r.w[i >> 3] |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << ((i & 7) * 8);
  return r;
}

inline uint64_t finish(uint64_t h) {
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return (h ^ (h >> 32)) | 1;  // never 0
}

inline uint64_t mix(const Words& a, size_t len) {
  return finish((a.w[0] * 0x9E3779B97F4A7C15ULL) ^ (a.w[1] * 0xC2B2AE3D27D4EB4FULL) ^ (a.w[2] * 0x165667B19E3779F9ULL) ^
                (a.w[3] * 0x27D4EB2F165667C5ULL) ^ len);
}

inline bool same(const char* stored, const Words& a) {
  Words s;
  std::memcpy(s.w, stored, sizeof s.w);
  return s.w[0] == a.w[0] && s.w[1] == a.w[1] && s.w[2] == a.w[2] && s.w[3] == a.w[3];
}

}  // namespace

static_assert(KeyFamilies::kMaxName == sizeof(Words), "a name packs into four words");

uint64_t KeyFamilies::hash_name(std::string_view n) { return mix(pack(n.data(), n.size()), n.size()); }

FamilyCounters& KeyFamilies::of(std::string_view key) {
  // Fast path: a key of 8 bytes or more whose ':' is among its first 8 bytes (course:42,
  // student:7:...): one word load finds it (SWAR), and the name is that word masked. The hash
  // is mix() of the same name (its other words are zero), so both paths find the same slot.
  if (key.size() >= 8 && slots_) {
    uint64_t x;
    std::memcpy(&x, key.data(), 8);
    const uint64_t t = x ^ 0x3A3A3A3A3A3A3A3AULL;  // ':' bytes become 0
    const uint64_t z = (t - 0x0101010101010101ULL) & ~t & 0x8080808080808080ULL;  // lowest set bit: first 0 byte
    if (z) {
      const size_t len = static_cast<size_t>(__builtin_ctzll(z)) / 8;
      if (len > 0) {
        const uint64_t w0 = x & ((uint64_t{1} << (len * 8)) - 1);  // len <= 7
        const uint64_t h = finish((w0 * 0x9E3779B97F4A7C15ULL) ^ len);
        for (size_t i = h & (kSlots - 1), probes = 0; probes < kSlots; i = (i + 1) & (kSlots - 1), ++probes) {
          Slot& s = slots_[i];
          if (s.len == 0) break;  // not there yet: the general path inserts it
          uint64_t n0;
          std::memcpy(&n0, s.name, 8);
          if (s.hash == h && s.len == len && n0 == w0) return s.c;
        }
      }
    }
  }
  // The family: the bytes before the first ':' (family_of), found without a library call.
  const char* d = key.data();
  const size_t window = key.size() < kMaxName + 1 ? key.size() : kMaxName + 1;
  size_t p = 0;
  while (p < window && d[p] != ':') ++p;
  size_t len;
  if (p < window) {
    len = p;  // 0 (a leading ':') means (none)
  } else {
    // No ':' in the window: none at all means (none); one further on, a first segment cut to kMaxName.
    len = window == key.size() || key.find(':', window) == std::string_view::npos ? 0 : kMaxName;
  }
  if (len == 0) {
    d = kNone.data();
    len = kNone.size();
  }
  const Words name = pack(d, len);
  const uint64_t h = mix(name, len);
  if (!slots_) slots_ = std::make_unique<Slot[]>(kSlots);  // value-initialized: names zero-padded
  for (size_t i = h & (kSlots - 1), probes = 0; probes < kSlots; i = (i + 1) & (kSlots - 1), ++probes) {
    Slot& s = slots_[i];
    if (s.hash == h && s.len == len && same(s.name, name)) return s.c;
    if (s.len == 0) {
      if (used_ >= kMaxTracked) break;
      s.hash = h;
      s.len = static_cast<uint8_t>(len);
      std::memcpy(s.name, d, len);
      ++used_;
      return s.c;
    }
  }
  overflow_used_ = true;
  return overflow_;
}

void KeyFamilies::reset_stats() {
  auto reset = [](FamilyCounters& c) { c.hits = c.misses = c.sets = c.invalidated = 0; };
  if (slots_)
    for (size_t i = 0; i < kSlots; ++i) reset(slots_[i].c);
  reset(overflow_);
}

}  // namespace shardcache::store
