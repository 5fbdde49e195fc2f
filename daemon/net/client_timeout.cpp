// daemon/net/client_timeout.cpp: the cron's idle-client check (see client_timeout.h).
#include "daemon/net/client_timeout.h"

#include <algorithm>
#include <climits>

namespace shardcache::net {

void close_idle_clients(commands::ServerState& state, int64_t now_ms) {
  const uint64_t timeout = state.config.timeout.load(std::memory_order_relaxed);
  if (timeout == 0) return;
  const auto max_idle_ms = static_cast<int64_t>(std::min<uint64_t>(timeout, INT64_MAX / 2000) * 1000);
  for (const auto& c : state.clients.snapshot()) {
    if (!c->close_if_idle) continue;  // HTTP connections have their own idle timeout
    if (now_ms - c->last_interaction_ms.load(std::memory_order_relaxed) > max_idle_ms) c->close_if_idle(max_idle_ms);
  }
}

}  // namespace shardcache::net
