// base/hash_slot.cpp: CRC16 (table built at compile time) and the hash tag rule.
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

}  // namespace

uint16_t crc16(const char* buf, size_t len) {
  uint16_t crc = 0;
  for (size_t i = 0; i < len; ++i)
    crc = static_cast<uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ static_cast<unsigned char>(buf[i])) & 0xff]);
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
