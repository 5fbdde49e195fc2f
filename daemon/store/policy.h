// daemon/store/policy.h: eviction policy names (Redis's maxmemory-policy values plus ours) and
// their parsing, shared by the flags, CONFIG SET and the tests.
#pragma once
#include <optional>
#include <span>
#include <string_view>

namespace shardcache::store {

/// Eviction policy names follow Redis's maxmemory-policy; AllKeysSieve is SIEVE (Zhang et al.,
/// NSDI 2024): FIFO order, a visited bit set on reads, and a hand that spares visited keys once.
enum class EvictionPolicy { AllKeysLru, VolatileLru, AllKeysRandom, VolatileRandom, VolatileTtl, NoEviction, AllKeysSieve };

/// Every accepted name, in the order error messages list them.
std::span<const std::string_view> policy_names();
/// The policy for a name (case-insensitive), or nullopt.
std::optional<EvictionPolicy> policy_from_name(std::string_view name);
/// The canonical name of a policy.
std::string_view policy_name(EvictionPolicy p);

}  // namespace shardcache::store
