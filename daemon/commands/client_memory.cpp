// daemon/commands/client_memory.cpp: client buffer accounting, maxmemory-clients eviction and
// the client-output-buffer-limit check (see client_memory.h).
#include "daemon/commands/client_memory.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace shardcache::commands {

uint64_t clients_memory(const ServerState& s) {
  uint64_t sum = 0;
  for (const auto& ts : s.thread_stats) sum += ts->clients_mem.load(std::memory_order_relaxed);
  return sum;
}

void evict_clients_over(ServerState& s, uint64_t limit) {
  uint64_t total = clients_memory(s);
  if (total <= limit) return;
  std::unique_lock lock(s.evict_mu, std::try_to_lock);
  if (!lock) return;
  auto all = s.clients.snapshot();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a->mem.load(std::memory_order_relaxed) > b->mem.load(std::memory_order_relaxed);
  });
  const int64_t now = store::unix_ms();
  for (const auto& c : all) {
    if (total <= limit) break;
    if (c->no_evict.load(std::memory_order_relaxed) || !c->kill) continue;
    // Its bytes leave the sum now, so the next check does not pick another victim for them.
    const uint64_t m = c->mem.exchange(0, std::memory_order_relaxed);
    if (m == 0) continue;
    if (c->mem_sum) c->mem_sum->fetch_sub(m, std::memory_order_relaxed);
    total = total > m ? total - m : 0;
    spdlog::info("Evicting client: {}", client_description(*c, now));
    s.evicted_clients.fetch_add(1, std::memory_order_relaxed);
    c->kill();
  }
}

uint64_t OutputLimit::threshold(const Config& cfg) {
  const auto& l = cfg.obuf_limits[static_cast<int>(ObufClass::Normal)];
  const uint64_t hard = l.hard.load(std::memory_order_relaxed), soft = l.soft.load(std::memory_order_relaxed);
  uint64_t t = UINT64_MAX;
  if (hard) t = hard;
  if (soft) t = std::min(t, soft);
  return t;
}

bool OutputLimit::over(const Config& cfg, uint64_t bytes, int64_t now_ms) {
  const auto& l = cfg.obuf_limits[static_cast<int>(ObufClass::Normal)];
  const uint64_t hard = l.hard.load(std::memory_order_relaxed), soft = l.soft.load(std::memory_order_relaxed);
  if (hard && bytes >= hard) return true;
  if (!soft || bytes < soft) {
    soft_since_ms_ = 0;
    return false;
  }
  if (soft_since_ms_ == 0) {
    soft_since_ms_ = now_ms;
    return false;
  }
  return now_ms - soft_since_ms_ > static_cast<int64_t>(l.soft_seconds.load(std::memory_order_relaxed)) * 1000;
}

void note_output_limit_close(ServerState& s, const ClientState& c) {
  s.obuf_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
               client_description(c, store::unix_ms()));
}

}  // namespace shardcache::commands
