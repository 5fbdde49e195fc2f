// daemon/store/policy.cpp: policy names <-> EvictionPolicy (see policy.h).
#include "daemon/store/policy.h"

#include "base/ascii.h"

#include <array>
#include <cctype>
#include <utility>

namespace shardcache::store {
namespace {

constexpr std::array<std::pair<std::string_view, EvictionPolicy>, 7> kPolicies = {{
    // Redis 7.0's order (config.c maxmemory_policy_enum, without the LFU policies), which the
    // CONFIG SET error lists; then shardcached's own.
    {"volatile-lru", EvictionPolicy::VolatileLru},
    {"volatile-random", EvictionPolicy::VolatileRandom},
    {"volatile-ttl", EvictionPolicy::VolatileTtl},
    {"allkeys-lru", EvictionPolicy::AllKeysLru},
    {"allkeys-random", EvictionPolicy::AllKeysRandom},
    {"noeviction", EvictionPolicy::NoEviction},
    {"allkeys-sieve", EvictionPolicy::AllKeysSieve},
}};

constexpr auto kNames = [] {
  std::array<std::string_view, kPolicies.size()> n{};
  for (size_t i = 0; i < kPolicies.size(); ++i) n[i] = kPolicies[i].first;
  return n;
}();

}  // namespace

std::span<const std::string_view> policy_names() { return kNames; }

std::optional<EvictionPolicy> policy_from_name(std::string_view name) {
  for (auto& [n, p] : kPolicies)
    if (base::iequals(n, name)) return p;
  return std::nullopt;
}

std::string_view policy_name(EvictionPolicy p) {
  for (auto& [n, q] : kPolicies)
    if (q == p) return n;
  return "allkeys-lru";
}

}  // namespace shardcache::store
