// daemon/cluster/cluster_state.cpp: installing a topology and freeing the replaced ones late.
#include "daemon/cluster/cluster_state.h"

#include <algorithm>

#include "daemon/cluster/topology.h"

namespace shardcache::cluster {

ClusterState::ClusterState() = default;
ClusterState::~ClusterState() = default;

void ClusterState::install(std::unique_ptr<Topology> t, int64_t now_ms) {
  constexpr int64_t kKeepMs = 60'000;
  std::lock_guard g(mu_);
  std::erase_if(retired_, [&](const auto& r) { return now_ms - r.first > kKeepMs; });
  current_.store(t.get(), std::memory_order_release);
  if (owned_) retired_.emplace_back(now_ms, std::move(owned_));
  owned_ = std::move(t);
  generation_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace shardcache::cluster
