// daemon/commands/cluster.cpp: Redis Cluster mode: the routing check the dispatcher runs before
// every command when cluster-enabled is yes (Redis 7.0's getNodeByQuery and
// clusterRedirectClient: MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN), the CLUSTER
// subcommands with Redis 7.0's reply shapes, and ASKING / READONLY / READWRITE.
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/cluster/slot.h"
#include "daemon/cluster/topology.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/commands/watch.h"

namespace shardcache::commands {

namespace {

using cluster::kNone;
using cluster::kSlots;
using cluster::NodeIndex;
using cluster::Topology;

constexpr std::string_view kErrDisabled = "ERR This instance has cluster support disabled";

/// What the keys of a request found (getNodeByQuery's locals).
struct Route {
  const Topology* t;
  std::string_view first = {};
  int slot = -1;
  NodeIndex owner = kNone;
  bool multiple = false, migrating = false, importing = false;
  int missing = 0, existing = 0;
  std::string_view error = {};  ///< set: the request fails with this error
};

bool key_exists(CmdContext& ctx, std::string_view key) {
  store::Store& st = ctx.store();
  const uint64_t h = store::Store::hash(key);
  store::Shard& sh = st.shard_for(h);
  if (ctx.all_locked) return sh.find_locked(key, h, store::unix_ms()) != nullptr;
  std::lock_guard g(sh.mutex());
  return sh.find_locked(key, h, store::unix_ms()) != nullptr;
}

/// One key of the request; false once the request has failed.
bool add_key(CmdContext& ctx, Route& r, std::string_view key) {
  const int slot = static_cast<int>(cluster::key_hash_slot(key));
  if (r.slot < 0) {
    r.first = key;
    r.slot = slot;
    if (r.t->local[static_cast<size_t>(slot)]) {  // ours, no migration: the common case
      r.owner = r.t->myself;
      return true;
    }
    r.owner = r.t->owner[static_cast<size_t>(slot)];
    if (r.owner == kNone) return r.error = "CLUSTERDOWN Hash slot not served", false;
    if (r.owner == r.t->myself && r.t->migrating_to[static_cast<size_t>(slot)] != kNone) r.migrating = true;
    else if (r.t->importing_from[static_cast<size_t>(slot)] != kNone) r.importing = true;
  } else if (key != r.first) {
    if (slot != r.slot) return r.error = "CROSSSLOT Keys in request don't hash to the same slot", false;
    r.multiple = true;
  }
  if (r.migrating || r.importing) (key_exists(ctx, key) ? r.existing : r.missing)++;
  return true;
}

/// The keys of one call, as its row's key specs place them.
bool add_call(CmdContext& ctx, Route& r, const CommandSpec& spec, Args args) {
  if (spec.keys.empty()) return true;
  const KeySpec& k = spec.keys.front();
  if (spec.keys.size() == 1 && k.keyword.empty() && k.keynumidx < 0 && k.lastkey == 0) {  // one key at a fixed place
    return static_cast<size_t>(k.index) >= args.size() || add_key(ctx, r, args[static_cast<size_t>(k.index)]);
  }
  thread_local std::vector<std::pair<size_t, size_t>> pos;
  pos.clear();
  if (!key_positions(spec, args, pos)) return true;  // the command reports its own syntax error
  for (const auto& [i, n] : pos)
    if (!add_key(ctx, r, args[i])) return false;
  return true;
}

/// Writes the redirection or error for a finished Route; true when this node serves it.
bool decide(CmdContext& ctx, Route& r, bool asking, ReplySink& out) {
  if (!r.error.empty()) return out.error(r.error), false;
  if (r.slot < 0) return true;  // no key: served here
  if (!r.t->ok()) return out.error("CLUSTERDOWN The cluster is down"), false;
  const Topology& t = *r.t;
  auto redirect = [&](std::string_view kind, NodeIndex n) {
    const cluster::Node& node = t.nodes[static_cast<size_t>(n)];
    out.error(std::string(kind) + ' ' + std::to_string(r.slot) + ' ' + node.ip + ':' + std::to_string(node.port));
    return false;
  };
  if (r.migrating && r.missing) {
    if (r.existing) return out.error("TRYAGAIN Multiple keys request during rehashing of slot"), false;
    return redirect("ASK", t.migrating_to[static_cast<size_t>(r.slot)]);
  }
  if (r.importing && asking) {
    if (r.multiple && r.missing) return out.error("TRYAGAIN Multiple keys request during rehashing of slot"), false;
    return true;
  }
  (void)ctx;
  if (r.owner != t.myself) return redirect("MOVED", r.owner);
  return true;
}

}  // namespace

bool cluster_route(CmdContext& ctx, const CommandSpec& spec, Args args, ReplySink& out) {
  ClientState& c = ctx.client;
  const bool asking = c.cluster_flags & ClientState::kAsking;
  static const CommandSpec* const exec = command_table().find("exec");
  const bool is_exec = &spec == exec;
  // Redis clears ASKING after each command outside MULTI (ASKING's own handler sets it again).
  if (!c.in_multi || is_exec) c.cluster_flags &= static_cast<uint8_t>(~ClientState::kAsking);
  Route r{ctx.server.cluster.topology()};
  if (!r.t) return true;
  if (is_exec) {
    if (!c.in_multi) return true;  // EXEC answers its own error
    for (const auto& q : c.queued) {
      std::vector<std::string_view> views(q.begin(), q.end());
      const Args qa(views.data(), views.size());
      const CommandSpec* qs = command_table().lookup(qa);
      if (qs && !add_call(ctx, r, *qs, qa)) break;
    }
    if (decide(ctx, r, asking, out)) return true;
    c.clear_multi();  // Redis's discardTransaction
    unwatch_all(ctx.server, c);
    return false;
  }
  if (spec.keys.empty()) return true;
  add_call(ctx, r, spec, args);
  if (decide(ctx, r, asking, out)) return true;
  if (c.in_multi) c.multi_dirty = true;  // Redis's flagTransaction: EXEC answers EXECABORT
  return false;
}

bool cluster_route_calls(CmdContext& ctx, std::span<const Call> calls, ReplySink& out) {
  Route r{ctx.server.cluster.topology()};
  if (!r.t) return true;
  for (const Call& call : calls)
    if (!add_call(ctx, r, *call.spec, call.args)) break;
  return decide(ctx, r, false, out);
}

namespace {

const Topology* enabled_topology(CmdContext& ctx, ReplySink& out) {
  const Topology* t = ctx.server.cluster.enabled ? ctx.server.cluster.topology() : nullptr;
  if (!t) out.error(kErrDisabled);
  return t;
}

/// Walks every live key of `slot` (one shard lock per slice of 1024 keys): counts them, and
/// appends up to `max` of them to `keys` when given. O(N) in the keys of the whole node.
size_t scan_slot(CmdContext& ctx, unsigned slot, size_t max, std::vector<std::string>* keys) {
  store::Store& st = ctx.store();
  size_t n = 0;
  std::vector<store::Entry*> batch;
  std::string after;
  const int64_t now = store::unix_ms();
  for (size_t i = 0; i < st.shard_count(); ++i) {
    store::Shard& sh = st.shard(i);
    bool has_after = false, end = false;
    while (!end) {
      std::lock_guard g(sh.mutex());
      batch.clear();
      end = sh.collect_ordered_locked(has_after ? &after : nullptr, 1024, batch);
      if (!batch.empty()) after.assign(batch.back()->key()), has_after = true;
      for (const store::Entry* e : batch) {
        if (cluster::key_hash_slot(e->key()) != slot || !sh.visible_locked(e, now)) continue;
        ++n;
        if (keys && keys->size() < max) keys->emplace_back(e->key());
      }
      if (keys && keys->size() >= max && max != SIZE_MAX) return n;
    }
  }
  return n;
}

void node_reply(const cluster::Node& n, ReplySink& out) {  // Redis's addNodeToNodeReply (endpoint type ip)
  out.array(4);
  out.bulk(n.ip);
  out.integer(n.port);
  out.bulk(n.id);
  out.map(n.hostname.empty() ? 0 : 1);
  if (!n.hostname.empty()) out.bulk("hostname"), out.bulk(n.hostname);
}

void ClusterInfo(CmdContext& ctx, Args, ReplySink& out) {
  const Topology* t = enabled_topology(ctx, out);
  if (!t) return;
  unsigned fail = 0, pfail = 0;
  for (NodeIndex o : t->owner) {
    if (o == kNone) continue;
    const uint16_t f = t->nodes[static_cast<size_t>(o)].flags;
    fail += (f & cluster::kFail) != 0;
    pfail += !(f & cluster::kFail) && (f & cluster::kPfail);
  }
  std::string s;
  s += "cluster_state:" + std::string(t->ok() ? "ok" : "fail") + "\r\n";
  s += "cluster_slots_assigned:" + std::to_string(t->assigned) + "\r\n";
  s += "cluster_slots_ok:" + std::to_string(t->assigned - fail - pfail) + "\r\n";
  s += "cluster_slots_pfail:" + std::to_string(pfail) + "\r\n";
  s += "cluster_slots_fail:" + std::to_string(fail) + "\r\n";
  s += "cluster_known_nodes:" + std::to_string(t->nodes.size()) + "\r\n";
  s += "cluster_size:" + std::to_string(t->size()) + "\r\n";
  s += "cluster_current_epoch:" + std::to_string(t->current_epoch) + "\r\n";
  s += "cluster_my_epoch:" + std::to_string(t->me().config_epoch) + "\r\n";
  s += "cluster_stats_messages_sent:0\r\n";
  s += "cluster_stats_messages_received:0\r\n";
  s += "total_cluster_links_buffer_limit_exceeded:0\r\n";
  out.verbatim(s);
}

void ClusterSlots(CmdContext& ctx, Args, ReplySink& out) {
  const Topology* t = enabled_topology(ctx, out);
  if (!t) return;
  struct Range { unsigned a, b; NodeIndex n; };
  std::vector<Range> ranges;
  for (unsigned s = 0; s < kSlots; ++s) {
    const NodeIndex o = t->owner[s];
    if (o == kNone) continue;
    if (!ranges.empty() && ranges.back().n == o && ranges.back().b + 1 == s) ranges.back().b = s;
    else ranges.push_back({s, s, o});
  }
  out.array(ranges.size());
  for (const Range& r : ranges) {
    out.array(3);
    out.integer(r.a);
    out.integer(r.b);
    node_reply(t->nodes[static_cast<size_t>(r.n)], out);
  }
}

void ClusterShards(CmdContext& ctx, Args, ReplySink& out) {
  const Topology* t = enabled_topology(ctx, out);
  if (!t) return;
  out.array(t->nodes.size());  // every node is a master: one shard each
  for (size_t i = 0; i < t->nodes.size(); ++i) {
    const cluster::Node& n = t->nodes[i];
    const auto ranges = t->ranges_of(static_cast<NodeIndex>(i));
    out.map(2);
    out.bulk("slots");
    out.array(ranges.size() * 2);
    for (const auto& [a, b] : ranges) out.integer(a), out.integer(b);
    out.bulk("nodes");
    out.array(1);
    out.map(n.hostname.empty() ? 7 : 8);
    out.bulk("id"), out.bulk(n.id);
    out.bulk("port"), out.integer(n.port);
    out.bulk("ip"), out.bulk(n.ip);
    out.bulk("endpoint"), out.bulk(n.ip);
    if (!n.hostname.empty()) out.bulk("hostname"), out.bulk(n.hostname);
    out.bulk("role"), out.bulk("master");
    out.bulk("replication-offset"), out.integer(0);
    out.bulk("health"), out.bulk(n.flags & cluster::kFail ? "fail" : "online");
  }
}

void ClusterNodes(CmdContext& ctx, Args, ReplySink& out) {
  if (const Topology* t = enabled_topology(ctx, out)) out.verbatim(t->nodes_description());
}

void ClusterMyid(CmdContext& ctx, Args, ReplySink& out) {
  if (const Topology* t = enabled_topology(ctx, out)) out.bulk(t->me().id);
}

void ClusterKeyslot(CmdContext& ctx, Args args, ReplySink& out) {
  if (enabled_topology(ctx, out)) out.integer(cluster::key_hash_slot(args[2]));
}

void ClusterCountkeysinslot(CmdContext& ctx, Args args, ReplySink& out) {
  if (!enabled_topology(ctx, out)) return;
  auto slot = parse_ll(args[2]);
  if (!slot) return out.error(kErrNotInt);
  if (*slot < 0 || *slot >= kSlots) return out.error("ERR Invalid slot");
  out.integer(static_cast<long long>(scan_slot(ctx, static_cast<unsigned>(*slot), 0, nullptr)));
}

void ClusterGetkeysinslot(CmdContext& ctx, Args args, ReplySink& out) {
  if (!enabled_topology(ctx, out)) return;
  auto slot = parse_ll(args[2]);
  if (!slot) return out.error(kErrNotInt);
  auto max = parse_ll(args[3]);
  if (!max) return out.error(kErrNotInt);
  if (*slot < 0 || *slot >= kSlots || *max < 0) return out.error("ERR Invalid slot or number of keys");
  std::vector<std::string> keys;
  if (*max > 0) scan_slot(ctx, static_cast<unsigned>(*slot), static_cast<size_t>(*max), &keys);
  out.array(keys.size());
  for (const auto& k : keys) out.bulk(k);
}

void ClusterCountFailureReports(CmdContext& ctx, Args args, ReplySink& out) {
  const Topology* t = enabled_topology(ctx, out);
  if (!t) return;
  if (t->find(args[2]) == kNone) return out.error("ERR Unknown node " + std::string(args[2]));
  out.integer(0);  // no gossip: no failure reports
}

void ClusterHelp(CmdContext& ctx, Args, ReplySink& out) {
  if (enabled_topology(ctx, out)) subcommand_help(*command_table().find("cluster"), out);
}

void CmdAsking(CmdContext& ctx, Args, ReplySink& out) {
  if (!ctx.server.cluster.enabled) return out.error(kErrDisabled);
  ctx.client.cluster_flags |= ClientState::kAsking;
  out.simple("OK");
}

void CmdReadonly(CmdContext& ctx, Args, ReplySink& out) {
  if (!ctx.server.cluster.enabled) return out.error(kErrDisabled);
  ctx.client.cluster_flags |= ClientState::kReadonlyClient;
  out.simple("OK");
}

void CmdReadwrite(CmdContext& ctx, Args, ReplySink& out) {
  if (!ctx.server.cluster.enabled) return out.error(kErrDisabled);
  ctx.client.cluster_flags &= static_cast<uint8_t>(~ClientState::kReadonlyClient);
  out.simple("OK");
}

}  // namespace

void register_cluster(CommandTable& t) {
  const char* g = "cluster";
  t.add({.name = "cluster", .arity = -2, .group = g, .since = "3.0.0", .complexity = "Depends on subcommand.",
         .summary = "Cluster mode: the topology this node was given and the slot of a key."});
  const auto sub = [&](CommandSpec spec) {
    spec.flags |= kStale;
    spec.group = g;
    t.add_sub("cluster", std::move(spec));
  };
  sub({.name = "info", .arity = 2, .handler = ClusterInfo, .since = "3.0.0", .complexity = "O(1)",
       .tips = "nondeterministic_output", .summary = "Returns the cluster's state: slots assigned, nodes, epochs."});
  sub({.name = "slots", .arity = 2, .handler = ClusterSlots, .since = "3.0.0",
       .complexity = "O(N) where N is the total number of Cluster nodes", .tips = "nondeterministic_output",
       .summary = "Returns the slot ranges and the node (ip, port, id) serving each."});
  sub({.name = "shards", .arity = 2, .handler = ClusterShards, .since = "7.0.0",
       .complexity = "O(N) where N is the total number of cluster nodes", .tips = "nondeterministic_output",
       .summary = "Returns each shard's slot ranges and node."});
  sub({.name = "nodes", .arity = 2, .handler = ClusterNodes, .since = "3.0.0",
       .complexity = "O(N) where N is the total number of Cluster nodes", .tips = "nondeterministic_output",
       .summary = "Returns the topology in the cluster config file's format (every link shown connected)."});
  sub({.name = "myid", .arity = 2, .handler = ClusterMyid, .since = "3.0.0", .complexity = "O(1)",
       .summary = "Returns this node's id."});
  sub({.name = "keyslot", .arity = 3, .handler = ClusterKeyslot, .since = "3.0.0",
       .complexity = "O(N) where N is the number of bytes in the key", .syntax = "key",
       .summary = "Returns the hash slot of a key."});
  sub({.name = "countkeysinslot", .arity = 3, .handler = ClusterCountkeysinslot, .since = "3.0.0",
       .complexity = "O(N) where N is the number of keys this node holds (Redis: O(1))", .syntax = "slot",
       .summary = "Returns the number of keys this node holds in a slot."});
  sub({.name = "getkeysinslot", .arity = 4, .handler = ClusterGetkeysinslot, .since = "3.0.0",
       .complexity = "O(N) where N is the number of keys this node holds (Redis: O(log(N)))",
       .tips = "nondeterministic_output", .syntax = "slot count",
       .summary = "Returns up to count keys this node holds in a slot."});
  sub({.name = "count-failure-reports", .arity = 3, .flags = kAdmin, .handler = ClusterCountFailureReports,
       .since = "3.0.0", .complexity = "O(N) where N is the number of failure reports", .tips = "nondeterministic_output",
       .syntax = "node-id", .summary = "Returns the failure reports about a node: always 0 (there is no gossip)."});
  sub({.name = "help", .arity = 2, .flags = kLoading, .handler = ClusterHelp, .since = "5.0.0", .complexity = "O(1)",
       .summary = "Lists the subcommands."});
  t.add({.name = "asking", .arity = 1, .flags = kFast, .acl = kAclConnection, .handler = CmdAsking, .group = g,
         .since = "3.0.0", .complexity = "O(1)",
         .summary = "Lets the next command use a slot this node is importing (after an -ASK redirection)."});
  t.add({.name = "readonly", .arity = 1, .flags = kFast | kLoading | kStale, .acl = kAclConnection, .handler = CmdReadonly,
         .group = g, .since = "3.0.0", .complexity = "O(1)",
         .summary = "Accepted for cluster clients; there are no replicas, so reads and writes go to the slot's owner."});
  t.add({.name = "readwrite", .arity = 1, .flags = kFast | kLoading | kStale, .acl = kAclConnection, .handler = CmdReadwrite,
         .group = g, .since = "3.0.0", .complexity = "O(1)", .summary = "Undoes READONLY."});
}

}  // namespace shardcache::commands
