// daemon/server/client_timeout.cpp: the cron's idle-client checks (see client_timeout.h).
#include "daemon/server/client_timeout.h"

#include <algorithm>
#include <climits>

namespace shardcache::server {

void close_idle_clients(state::ServerState& state, int64_t now_ms) {
  const uint64_t timeout = state.config.timeout.load(std::memory_order_relaxed);
  if (timeout == 0) return;
  const auto max_idle_ms = static_cast<int64_t>(std::min<uint64_t>(timeout, INT64_MAX / 2000) * 1000);
  for (const auto& c : state.clients.snapshot()) {
    if (!c->if_idle) continue;  // HTTP connections have their own idle timeout
    if (now_ms - c->last_interaction_ms.load(std::memory_order_relaxed) > max_idle_ms)
      c->if_idle(state::ClientState::IdleAction::Close, max_idle_ms);
  }
}

void trim_idle_clients(state::ServerState& state, int64_t now_ms, uint64_t empty_bytes) {
  for (const auto& c : state.clients.snapshot()) {
    if (!c->if_idle || c->mem.load(std::memory_order_relaxed) <= empty_bytes) continue;
    if (now_ms - c->last_interaction_ms.load(std::memory_order_relaxed) > kTrimIdleMs)
      c->if_idle(state::ClientState::IdleAction::Trim, kTrimIdleMs);
  }
}

}  // namespace shardcache::server
