// daemon/cluster/cluster_state.h: the cluster mode of one daemon: whether it is on (fixed at
// start-up, as Redis's cluster-enabled), the file it reads, and the topology in force. A new
// topology (SIGHUP) replaces the old one with one atomic store; readers take the pointer for
// the span of one command. A replaced topology is freed only when it has been out of use for
// a minute (no command holds one that long), so readers need no lock. Std only.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace shardcache::cluster {

struct Topology;  // topology.h: kept out of this header, which every layer above state/ includes

class ClusterState {
 public:
  /// cluster-enabled: set once before the server starts; read on every command (one branch).
  bool enabled = false;
  /// cluster-config-file, resolved against `dir` (set at start-up).
  std::string config_path;

  /// The topology in force (null until the first install).
  const Topology* topology() const { return current_.load(std::memory_order_acquire); }
  /// Puts `t` in force; a pass then drops the keys of slots this node does not own.
  /// `now_ms`: any monotonic clock in milliseconds (for freeing replaced topologies).
  void install(std::unique_ptr<Topology> t, int64_t now_ms);
  /// How many installs so far (INFO, tests).
  uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }

  /// Keys dropped because their slot is not this node's (INFO cluster_dropped_keys).
  std::atomic<uint64_t> dropped_keys{0};
  /// The drop pass (state::cluster_drop_step walks it; only that one thread uses these): a pass
  /// over the whole keyspace is owed while drop_done_gen != generation(). A pass that sees a
  /// newer generation starts over.
  uint64_t drop_walk_gen = 0, drop_done_gen = 0;
  size_t drop_shard = 0;       ///< the shard the walk is in
  std::string drop_after;      ///< the last key seen in it
  bool drop_has_after = false; ///< false: start of the shard

  ClusterState();
  ~ClusterState();
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

 private:
  std::atomic<const Topology*> current_{nullptr};
  std::atomic<uint64_t> generation_{0};
  std::mutex mu_;
  std::unique_ptr<Topology> owned_;
  std::vector<std::pair<int64_t, std::unique_ptr<Topology>>> retired_;  ///< (retired at, topology)
};

}  // namespace shardcache::cluster
