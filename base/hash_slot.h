// base/hash_slot.h: Redis Cluster's key -> hash slot mapping, shared by the daemon's cluster
// routing and libshardcache's cluster client: CRC16-CCITT (XMODEM, as Redis's crc16.c) of the
// key, or of its {hash tag}, modulo 16384 (Redis's keyHashSlot).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardcache::base {

inline constexpr unsigned kHashSlots = 16384;

/// CRC16-CCITT, XMODEM variant (polynomial 0x1021, initial value 0), as Redis's crc16().
uint16_t crc16(const char* buf, size_t len);

/// The hash slot of `key`: when the key holds a '{' followed later by a '}' with at least one
/// byte between them, only the bytes between the first '{' and the first '}' after it count;
/// otherwise the whole key (Redis's keyHashSlot).
unsigned key_hash_slot(std::string_view key);

}  // namespace shardcache::base
