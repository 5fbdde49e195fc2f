// base/hash_slot.cpp: CRC16 (tables built at compile time; eight bytes per step) and the hash
// tag rule.
#include "base/hash_slot.h"

#include <array>

namespace shardcache::base {

namespace {

constexpr std::array<uint16_t, 256> make_table() {
  std::array<uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b) crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    t[i] = crc;
  }
  return t;
}

constexpr std::array<uint16_t, 256> kTable = make_table();
static_assert(kTable[1] == 0x1021 && kTable[255] == 0x1ef0, "the XMODEM table of Redis's crc16.c");

/// Slicing-by-8: kSlice[k][x] is the register after byte x (xored into the top byte) followed by
/// k zero bytes, so eight input bytes cost eight lookups instead of eight dependent steps. The
/// 16-bit register only reaches the first two bytes of a group.
using SliceTables = std::array<std::array<uint16_t, 256>, 8>;
constexpr SliceTables make_slices() {
  SliceTables t{};
  t[0] = make_table();
  for (size_t k = 1; k < 8; ++k)
    for (unsigned x = 0; x < 256; ++x) {
      const uint16_t prev = t[k - 1][x];
      t[k][x] = static_cast<uint16_t>((prev << 8) ^ t[0][prev >> 8]);
    }
  return t;
}
constexpr SliceTables kSlice = make_slices();

}  // namespace

uint16_t crc16(const char* buf, size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(buf);
  uint16_t crc = 0;
  for (; len >= 8; p += 8, len -= 8)
    crc = static_cast<uint16_t>(kSlice[7][(crc >> 8) ^ p[0]] ^ kSlice[6][(crc & 0xff) ^ p[1]] ^ kSlice[5][p[2]] ^
                                kSlice[4][p[3]] ^ kSlice[3][p[4]] ^ kSlice[2][p[5]] ^ kSlice[1][p[6]] ^ kSlice[0][p[7]]);
  for (; len > 0; ++p, --len) crc = static_cast<uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ *p) & 0xff]);
  return crc;
}

unsigned key_hash_slot(std::string_view key) {
  const size_t s = key.find('{');
  if (s != std::string_view::npos) {
    const size_t e = key.find('}', s + 1);
    if (e != std::string_view::npos && e != s + 1) return crc16(key.data() + s + 1, e - s - 1) & (kHashSlots - 1);
  }
  return crc16(key.data(), key.size()) & (kHashSlots - 1);
}

}  // namespace shardcache::base
