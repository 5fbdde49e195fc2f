// daemon/state/cluster_drop.h: dropping, in bounded steps on the cron thread, the keys of slots
// this node does not own after a topology change (cluster mode only). Routing answers MOVED
// for those slots before any command reads them, so the pass only gives the memory back.
#pragma once
#include <cstddef>

namespace shardcache::state {

struct ServerState;

/// One step of the drop pass: visits at most about `budget` entries (one shard lock held per
/// slice of at most 256), deleting those whose slot the topology in force gives to another node
/// or to none. Does nothing with cluster mode off or when no pass is owed. Returns keys dropped.
size_t cluster_drop_step(ServerState& s, size_t budget);

}  // namespace shardcache::state
