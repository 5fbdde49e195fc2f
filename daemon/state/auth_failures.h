// daemon/state/auth_failures.h: the count of failed authentications (RESP AUTH, HELLO AUTH,
// REST tokens) and the rate limit on logging them.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace shardcache::state {

/// Counts failed authentications (RESP AUTH, HELLO AUTH, REST bad token) and decides which to
/// log: at most one line per second, carrying how many were not logged since the last line.
class AuthFailures {
 public:
  /// Counts one failure at `now_ms`; returns the warning line to log, or nullopt when suppressed.
  std::optional<std::string> record(std::string_view peer_addr, std::string_view how, int64_t now_ms);
  /// Failures since start (or CONFIG RESETSTAT).
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  void reset() { total_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> total_{0};
  std::mutex mu_;
  int64_t last_log_ms_ = INT64_MIN / 2;
  uint64_t suppressed_ = 0;
};

}  // namespace shardcache::state
