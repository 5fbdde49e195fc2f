// client/src/cluster_cache.cpp: ClusterCache: one Cache per cluster node, each over a backend
// that reads and writes through the ClusterClient (redirections followed) and invalidates on its
// own node only, so a node's outage opens only that node's breaker and queues only its replays.
#include <spdlog/spdlog.h>

#include "shardcache/cluster.h"

namespace shardcache {
namespace {

class NodeBackend final : public CacheBackend {
 public:
  NodeBackend(ClusterClient& c, NodeAddress node) : c_(c), node_(std::move(node)) {}
  Result<std::optional<std::string>> get(std::string_view key) override { return c_.get(key); }
  Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl) override {
    SetOptions o;
    if (ttl.count() > 0) o.ex = ttl;
    auto r = c_.set(key, value, o);
    if (!r) return r.error();
    return Status();
  }
  Result<long long> invalidate(const std::vector<std::string>& patterns) override {
    return c_.invalidate_on(node_, KeyList(patterns));
  }

 private:
  ClusterClient& c_;
  NodeAddress node_;
};

}  // namespace

ClusterCache::ClusterCache(ClusterClient& client, CacheOptions opts) : client_(&client), opts_(std::move(opts)) {}
ClusterCache::~ClusterCache() = default;

Cache& ClusterCache::node(const NodeAddress& addr) {
  std::lock_guard g(mu_);
  auto& c = caches_[addr.to_string()];
  if (!c) c = std::make_unique<Cache>(std::make_shared<NodeBackend>(*client_, addr), opts_);
  return *c;
}

Cache& ClusterCache::for_key(std::string_view key) {
  if (auto a = client_->node_for(key)) return node(*a);
  // No map yet (no node answered): the first seed's Cache takes the failure and bypasses.
  auto seed = client_->options().seeds.empty() ? std::nullopt : NodeAddress::parse(client_->options().seeds[0]);
  return node(seed ? *seed : NodeAddress{"?", 0});
}

Result<long long> ClusterCache::invalidate(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return Error{ErrorCode::InvalidArgument, "invalidate: no patterns"};
  auto masters = client_->masters();
  if (masters.empty()) return Error{ErrorCode::Unavailable, "cluster: no slot map; invalidation not sent"};
  long long sum = 0;
  std::optional<Error> first;
  for (auto& a : masters) {
    auto r = node(a).invalidate(patterns);
    if (r) sum += *r;
    else if (!first) first = Error{r.error().code, a.to_string() + ": " + r.error().message};
  }
  if (first) return *first;
  return sum;
}

CacheStats ClusterCache::stats() const {
  CacheStats sum;
  for (auto& [addr, s] : node_stats()) {
    sum.hits += s.hits, sum.misses += s.misses, sum.sets += s.sets, sum.loads += s.loads;
    sum.bypassed += s.bypassed, sum.errors += s.errors, sum.coalesced += s.coalesced;
  }
  return sum;
}

std::map<std::string, CacheStats> ClusterCache::node_stats() const {
  std::lock_guard g(mu_);
  std::map<std::string, CacheStats> out;
  for (auto& [addr, c] : caches_) out[addr] = c->stats();
  return out;
}

}  // namespace shardcache
