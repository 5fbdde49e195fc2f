// daemon/persist/loader.h: loads an RDB snapshot into the store at start-up, on every core. The
// file is mapped; one thread walks it item by item without decoding values (checking its
// structure and, at the end, its CRC-64) and hands out segments of a few MB that begin at a key;
// the other threads decode the segments and insert their keys, each taking only the one
// shard lock a key needs. Any error (truncation, corruption, a bad checksum, a key of another
// type when they are refused) empties the store again and names the offset: a half-loaded
// keyspace never serves. Keys whose expiry passed are not loaded; a snapshot larger than
// maxmemory loads what fits, the policy evicting as for any write.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "daemon/store/store.h"

namespace shardcache::persist {

struct LoadOptions {
  std::string path;
  bool skip_unsupported_types = true;  ///< false: a key of another type is an error
  unsigned threads = 2;                ///< decoding/inserting threads (the walker is one more)
};

struct LoadResult {
  bool ok = false;
  bool missing = false;                ///< no file: nothing loaded, not an error
  std::string error;                   ///< with the byte offset, e.g. "... at offset 1234: unexpected end of file"
  uint64_t loaded = 0;                 ///< keys in the store afterwards came from here
  uint64_t expired = 0;                ///< keys skipped because their expiry had passed
  uint64_t evicted = 0;                ///< keys evicted to stay within maxmemory while loading
  uint64_t tagged = 0;                 ///< keys whose tags were restored
  std::map<std::string, uint64_t> skipped_types;  ///< keys of other types walked over, by type name
  uint64_t file_bytes = 0;
  int version = 0;                     ///< the file's RDB version
  std::string redis_ver;               ///< its redis-ver AUX field, if any
};

/// Loads o.path into `store`, which should be empty. Not for use while clients are served.
LoadResult load_snapshot(store::Store& store, const LoadOptions& o);

/// Redis's name for an RDB value type ("hash", "list", "zset", ...), for the warning line.
std::string rdb_type_name(uint8_t type);

}  // namespace shardcache::persist
