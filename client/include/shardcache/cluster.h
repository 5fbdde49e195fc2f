// shardcache/cluster.h: shardcache::ClusterClient, the client of a shardcached (or Redis)
// cluster: the slot map from CLUSTER SLOTS, one pipelined connection per node, MOVED (the map
// is updated and refreshed) and ASK (ASKING, then the command) followed transparently, hash
// tags, INVALIDATE / INVALIDATETAG summed over every master; and ClusterCache, the cache-aside
// helpers of cache.h with a circuit breaker, single-flight and fallback per node.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shardcache/cache.h"
#include "shardcache/client.h"
#include "shardcache/options.h"
#include "shardcache/result.h"
#include "shardcache/value.h"

namespace shardcache {

/// A node's address as CLUSTER SLOTS and redirections give it.
struct NodeAddress {
  std::string host;
  uint16_t port = 0;
  /// "host:port" (brackets around IPv6).
  std::string to_string() const;
  /// Parses "host:port" (or "[v6]:port").
  static std::optional<NodeAddress> parse(std::string_view s);
  bool operator==(const NodeAddress& o) const { return host == o.host && port == o.port; }
};

/// A -MOVED or -ASK error reply, parsed: "MOVED 3999 127.0.0.1:6381".
struct Redirection {
  bool ask = false;  ///< ASK (one command, no map change) rather than MOVED
  unsigned slot = 0;
  NodeAddress node;
  /// The redirection in an error text, or nullopt when it is not a well-formed MOVED / ASK.
  static std::optional<Redirection> parse(std::string_view error);
};

/// Which master serves each of the 16384 hash slots.
class SlotMap {
 public:
  static constexpr unsigned kSlots = 16384;
  /// The hash slot of a key (CRC16 of the key or of its {hash tag}, modulo 16384).
  static unsigned key_slot(std::string_view key);
  /// Reads a CLUSTER SLOTS reply: [[start, end, [host, port, id...], replicas...]...]. An empty
  /// host means `queried_host` (the node the reply came from), as Redis documents.
  static Result<SlotMap> from_cluster_slots(const Value& reply, std::string_view queried_host);

  SlotMap();
  /// The owner of `slot`, or nullptr when no node serves it.
  const NodeAddress* owner(unsigned slot) const;
  /// Gives `slot` to `node` (what a MOVED reply says).
  void assign(unsigned slot, const NodeAddress& node);
  /// Every master serving at least one slot, in order of first appearance.
  std::vector<NodeAddress> masters() const;
  /// Slots with an owner.
  unsigned covered() const;

 private:
  std::vector<NodeAddress> nodes_;
  std::vector<int16_t> owner_;  // index into nodes_, -1: none
};

/// Settings of a ClusterClient.
struct ClusterOptions {
  /// Where to read the slot map from at first ("host:port"); any one node that answers is enough.
  std::vector<std::string> seeds = {"127.0.0.1:7000"};
  /// Settings of each node's connection: credentials, timeouts, protocol, pool_size (1: one
  /// pipelined connection per node), io_threads. host and port are ignored.
  ClientOptions node;
  /// Redirections (MOVED, ASK, TRYAGAIN) followed for one command before giving up.
  unsigned max_redirects = 5;
  /// The map is also re-read when it is older than this at a call (0: only after MOVED, a
  /// transport error or CLUSTERDOWN).
  std::chrono::milliseconds refresh_interval{60000};
  /// Two full refreshes are at least this far apart (a burst of MOVED replies costs one
  /// CLUSTER SLOTS; each MOVED still updates its slot at once).
  std::chrono::milliseconds min_refresh_interval{100};

  ClusterOptions() { node.pool_size = 1; }
  /// Options from seed URLs, e.g. "redis://:pw@10.0.0.1:7000?timeout=200": the first URL's
  /// credentials and options apply to every node; each URL's host:port becomes a seed.
  static Result<ClusterOptions> from_urls(const std::vector<std::string>& urls);
};

/// Counters of a ClusterClient since construction.
struct ClusterStats {
  uint64_t moved = 0;       ///< MOVED replies followed
  uint64_t ask = 0;         ///< ASK replies followed
  uint64_t tryagain = 0;    ///< TRYAGAIN replies retried
  uint64_t refreshes = 0;   ///< slot maps read (CLUSTER SLOTS that succeeded)
  uint64_t refresh_failures = 0;  ///< refreshes where no node answered
};

namespace detail {
class ClusterCore;
}

/// Thread-safe client of a cluster, with the calls of Client. Keys are routed by hash slot; a
/// multi-key call goes to its first key's node, so keys of different slots get the server's
/// CROSSSLOT error (use a {hash tag} to keep keys together). Keyless calls (ping, generic
/// commands such as INFO) go to one master. Reads the map lazily (at the first call).
class ClusterClient {
 public:
  explicit ClusterClient(ClusterOptions opts = {});
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  const ClusterOptions& options() const;

  Result<std::string> ping();
  Result<std::optional<std::string>> get(std::string_view key);
  Result<SetReply> set(std::string_view key, std::string_view value, const SetOptions& opts = {});
  Result<long long> del(KeyList keys);
  Result<std::vector<std::optional<std::string>>> mget(KeyList keys);
  Status mset(const std::vector<std::pair<std::string, std::string>>& pairs);
  Result<long long> incr(std::string_view key);
  Result<long long> incrby(std::string_view key, long long by);
  Result<long long> decr(std::string_view key);
  Result<long long> decrby(std::string_view key, long long by);
  Result<bool> expire(std::string_view key, std::chrono::seconds ttl);
  Result<bool> pexpire(std::string_view key, std::chrono::milliseconds ttl);
  Result<long long> ttl(std::string_view key);
  Result<long long> pttl(std::string_view key);
  Result<bool> persist(std::string_view key);
  Result<long long> exists(KeyList keys);
  /// INVALIDATE on every master; the sum of the keys removed. Fails if any master fails.
  Result<long long> invalidate(KeyList patterns);
  /// INVALIDATETAG on every master; the sum of the keys removed.
  Result<long long> invalidate_tags(KeyList tags);
  /// INVALIDATE on one node only (ClusterCache's per-node replay uses it).
  Result<long long> invalidate_on(const NodeAddress& node, KeyList patterns);

  /// Any command, routed by its first argument after the name (the key of most commands);
  /// commands without keys (PING, INFO, CLUSTER, CONFIG, DBSIZE, ...) go to one master.
  template <class... A>
  Result<Value> command(const A&... args) { return command(std::vector<std::string>{detail::to_arg(args)...}); }
  Result<Value> command(const std::vector<std::string>& args);
  /// A command sent to one given node (no redirection followed).
  Result<Value> command_on(const NodeAddress& node, const std::vector<std::string>& args);

  /// Reads CLUSTER SLOTS now (from the known masters, then the seeds).
  Status refresh();
  /// The node serving `key` in the current map (reading the map first if there is none).
  std::optional<NodeAddress> node_for(std::string_view key);
  /// The masters of the current map (reading the map first if there is none).
  std::vector<NodeAddress> masters();
  ClusterStats stats() const;

 private:
  std::unique_ptr<detail::ClusterCore> core_;
};

/// The cache-aside helpers of Cache over a cluster: one Cache per node (its own circuit breaker,
/// single-flight, counters and invalidation replay), chosen by the key's slot. A node that is
/// down only sends its own slots to the loaders (no error reaches the caller); keys of the other
/// nodes keep hitting. Thread-safe; share one per process.
class ClusterCache {
 public:
  explicit ClusterCache(ClusterClient& client, CacheOptions opts = {});
  ~ClusterCache();
  ClusterCache(const ClusterCache&) = delete;
  ClusterCache& operator=(const ClusterCache&) = delete;

  /// Cache::with_cache on the key's node.
  template <class F>
  auto with_cache(std::string_view key, std::chrono::seconds ttl, F&& loader) -> std::decay_t<std::invoke_result_t<F&>> {
    return for_key(key).with_cache(key, ttl, std::forward<F>(loader));
  }
  /// Cache::with_cache_info on the key's node.
  template <class F>
  auto with_cache_info(std::string_view key, std::chrono::seconds ttl, F&& loader) {
    return for_key(key).with_cache_info(key, ttl, std::forward<F>(loader));
  }
  /// As Cache::with_cache_param. The ClusterCache must outlive it.
  template <class KeyFn, class F>
  auto with_cache_param(KeyFn key_fn, std::chrono::seconds ttl, F loader) {
    return [this, key_fn = std::move(key_fn), ttl, loader = std::move(loader)](const auto& param) {
      return with_cache(key_fn(param), ttl, [&] { return loader(param); });
    };
  }

  /// INVALIDATE on every master through its node's Cache (a node that is down keeps the patterns
  /// and replays them when it is back); the sum of keys removed, or the first node's error.
  Result<long long> invalidate(const std::vector<std::string>& patterns);

  /// Counters summed over the nodes.
  CacheStats stats() const;
  /// Counters per node ("host:port" -> stats).
  std::map<std::string, CacheStats> node_stats() const;
  /// The Cache (and its breaker) of one node, created on first use.
  Cache& node(const NodeAddress& addr);
  /// The Cache of the node serving `key` (the first seed's while no map can be read).
  Cache& for_key(std::string_view key);

 private:
  ClusterClient* client_;
  CacheOptions opts_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Cache>> caches_;
};

}  // namespace shardcache
