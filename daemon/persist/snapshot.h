// daemon/persist/snapshot.h: writes the keyspace to an RDB file without stopping it. Encoder
// threads take shards one at a time and walk each in key order in slices of a few hundred
// entries, taking the shard's lock once a slice (so no client waits longer than one slice's
// encoding), and append what they encoded to the file under one mutex that also keeps the
// running CRC-64. The file is written as temp-<pid>.rdb beside the target, fsynced, renamed over
// it and the directory fsynced: a crash at any point leaves the previous snapshot whole.
//
// What a snapshot holds: every key that exists, unchanged, for the whole save, with its value,
// expiry and tags. A key written while the save runs is saved with its old or its new value, or
// not at all when it was created behind the walk: not Redis's point-in-time fork, but each key
// is whole and appears at most once (see docs/architecture.md, "Warm restart").
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "daemon/store/store.h"

namespace shardcache::persist {

struct SnapshotOptions {
  std::string path;              ///< the snapshot file (dir/dbfilename)
  bool compress = true;          ///< rdbcompression
  bool checksum = true;          ///< rdbchecksum: else the trailer is 0
  unsigned threads = 2;          ///< encoder threads
  size_t slice = 256;            ///< entries encoded per shard-lock hold
  bool background = false;       ///< lower the encoder threads' priority (BGSAVE), so clients come first
  std::vector<std::pair<std::string, std::string>> aux;  ///< AUX fields written after the header
};

/// Counters a running save publishes (INFO current_save_keys_processed) and its cancel switch.
struct SnapshotProgress {
  std::atomic<uint64_t> keys{0};
  std::atomic<bool> cancel{false};
};

struct SnapshotResult {
  bool ok = false;
  std::string error;             ///< why it failed, e.g. "Write error saving DB on disk: No space left on device"
  uint64_t keys = 0;             ///< keys written
  uint64_t bytes = 0;            ///< file size
};

/// Writes `store` to o.path as described above. Safe to call while clients use the store.
SnapshotResult write_snapshot(store::Store& store, const SnapshotOptions& o, SnapshotProgress* progress = nullptr);

}  // namespace shardcache::persist
