// daemon/cluster/topology.h: one node's view of a Redis Cluster as written in its cluster
// config file (Redis's nodes.conf, the CLUSTER NODES format): the nodes, which node owns each
// of the 16384 slots, the slots migrating to / importing from another node, and the epochs.
// The topology is static: an operator writes the file; parse_nodes_conf reads it and
// nodes_description writes it back (CLUSTER NODES). Standard library and base/ only.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cluster/slot.h"

namespace shardcache::cluster {

/// Node flags, in the order CLUSTER NODES lists them (Redis's redisNodeFlagsTable).
enum NodeFlag : uint16_t {
  kMyself = 1 << 0, kMaster = 1 << 1, kSlave = 1 << 2, kPfail = 1 << 3, kFail = 1 << 4,
  kHandshake = 1 << 5, kNoaddr = 1 << 6, kNofailover = 1 << 7,
};

/// One line of the file.
struct Node {
  std::string id;        ///< 40 lowercase hex digits
  std::string ip;
  int port = 0, cport = 0;
  std::string hostname;  ///< empty = none
  uint16_t flags = 0;
  uint64_t ping_sent = 0, pong_received = 0, config_epoch = 0;
};

/// Index of a node in Topology::nodes; kNone for no node.
using NodeIndex = int16_t;
inline constexpr NodeIndex kNone = -1;

struct Topology {
  std::vector<Node> nodes;  ///< in the file's order
  NodeIndex myself = kNone;
  std::array<NodeIndex, kSlots> owner;           ///< kNone: unassigned
  std::array<NodeIndex, kSlots> migrating_to;    ///< set only for slots of myself (`[slot->-id]`)
  std::array<NodeIndex, kSlots> importing_from;  ///< `[slot-<-id]`
  /// 1 for a slot this node owns with no migrating or importing mark: routing's fast path
  /// (one byte of a 16 KB array instead of three 32 KB ones).
  std::array<uint8_t, kSlots> local;
  uint64_t current_epoch = 0, last_vote_epoch = 0;
  unsigned assigned = 0;                         ///< slots with an owner

  Topology() { owner.fill(kNone), migrating_to.fill(kNone), importing_from.fill(kNone), local.fill(0); }
  bool owns(unsigned slot) const { return owner[slot] == myself; }
  /// cluster_state:ok: every slot has an owner (Redis's default cluster-require-full-coverage).
  bool ok() const { return assigned == kSlots; }
  const Node& me() const { return nodes[static_cast<size_t>(myself)]; }
  /// The node called `id`, or kNone.
  NodeIndex find(std::string_view id) const;
  /// Masters serving at least one slot (CLUSTER INFO cluster_size).
  unsigned size() const;
  /// A node's slots as [start, end] ranges, ascending.
  std::vector<std::pair<unsigned, unsigned>> ranges_of(NodeIndex n) const;
  /// CLUSTER NODES: one line per node, as Redis's clusterGenNodesDescription (which is also
  /// the file's format, without the vars line). Every link shows "connected".
  std::string nodes_description() const;
};

/// The result of reading a file: a topology, or why not (`line`: 1-based, 0 = whole file).
struct ParseResult {
  std::unique_ptr<Topology> topology;
  std::string error;
  int line = 0;
};

/// Parses nodes.conf text as Redis 7.0's clusterLoadConfig, stricter where Redis would panic
/// or where shardcached has no support: replicas (the `slave` flag or a master id) are refused,
/// and exactly one node must be `myself`.
ParseResult parse_nodes_conf(std::string_view text);
/// Reads and parses the file at `path` (a missing or unreadable file is an error).
ParseResult load_nodes_conf(const std::string& path);

/// Whether `id` is a node id: 40 characters 0-9 a-f (Redis's verifyClusterNodeId).
bool valid_node_id(std::string_view id);

}  // namespace shardcache::cluster
