// daemon/state/cluster_drop.cpp: the drop pass over every shard in key order (KeyIndex slices).
#include "daemon/state/cluster_drop.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/cluster/slot.h"
#include "daemon/cluster/topology.h"
#include "daemon/state/server_state.h"

namespace shardcache::state {

size_t cluster_drop_step(ServerState& s, size_t budget) {
  cluster::ClusterState& c = s.cluster;
  if (!c.enabled) return 0;
  const uint64_t gen = c.generation();
  if (gen == c.drop_done_gen) return 0;
  if (gen != c.drop_walk_gen) {  // a new topology: start over
    c.drop_walk_gen = gen;
    c.drop_shard = 0;
    c.drop_has_after = false;
    c.drop_after.clear();
  }
  const cluster::Topology* t = c.topology();
  if (!t) return 0;
  size_t dropped = 0, visited = 0;
  std::vector<store::Entry*> batch;
  std::string key;
  const int64_t now = store::unix_ms();
  while (visited < budget && c.drop_shard < s.store.shard_count()) {
    store::Shard& sh = s.store.shard(c.drop_shard);
    std::lock_guard g(sh.mutex());
    batch.clear();
    const bool end = sh.collect_ordered_locked(c.drop_has_after ? &c.drop_after : nullptr,
                                               std::min<size_t>(256, budget - visited), batch);
    visited += batch.size() + 1;
    if (!batch.empty()) {
      c.drop_after.assign(batch.back()->key());
      c.drop_has_after = true;
    }
    for (store::Entry* e : batch) {
      if (t->owns(cluster::key_hash_slot(e->key()))) continue;
      // As a DEL would: find_locked reaps an expired or invalidated entry itself (the running
      // INVALIDATE keeps its count); a live one is erased.
      key.assign(e->key());
      if (store::Entry* live = sh.find_locked(key, store::Store::hash(key), now)) {
        if (s.tracking.active()) s.tracking.invalidate(key, 0);
        sh.erase_locked(live);
        ++dropped;
      }
    }
    if (end) {
      ++c.drop_shard;
      c.drop_has_after = false;
    }
  }
  if (c.drop_shard >= s.store.shard_count()) c.drop_done_gen = c.drop_walk_gen;
  c.dropped_keys.fetch_add(dropped, std::memory_order_relaxed);
  return dropped;
}

}  // namespace shardcache::state
