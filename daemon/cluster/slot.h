// daemon/cluster/slot.h: the hash slot names the cluster code uses; the CRC16 and hash tag
// rule live in base/hash_slot.h (shared with libshardcache's cluster client).
#pragma once
#include "base/hash_slot.h"

namespace shardcache::cluster {

inline constexpr unsigned kSlots = base::kHashSlots;
using base::crc16;
using base::key_hash_slot;

}  // namespace shardcache::cluster
