// daemon/state/auth_failures.cpp: failed-authentication counting and log pacing (auth_failures.h).
#include "daemon/state/auth_failures.h"

namespace shardcache::state {

std::optional<std::string> AuthFailures::record(std::string_view peer_addr, std::string_view how, int64_t now_ms) {
  total_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard g(mu_);
  if (now_ms - last_log_ms_ < 1000) {
    ++suppressed_;
    return std::nullopt;
  }
  std::string line = "authentication failed (" + std::string(how) + ") from " + std::string(peer_addr);
  if (suppressed_)
    line += " (" + std::to_string(suppressed_) + " more failed authentications not logged in the last second)";
  last_log_ms_ = now_ms;
  suppressed_ = 0;
  return line;
}

}  // namespace shardcache::state
