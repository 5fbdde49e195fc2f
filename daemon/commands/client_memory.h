// daemon/commands/client_memory.h: what client connections' buffers cost and the limits on it.
// Front ends publish each connection's buffer bytes here (summed per io thread);
// maxmemory-clients closes the clients using the most when the sum is over it (Redis 7's client
// eviction); OutputLimit applies client-output-buffer-limit to one connection's output buffer.
#pragma once
#include <cstdint>
#include <string>

#include "daemon/commands/context.h"

namespace shardcache::commands {

/// Sets `c`'s published buffer bytes to `bytes` and moves its io thread's sum by the change.
/// Inline: front ends call it after every batch of requests.
inline void publish_client_memory(ClientState& c, uint64_t bytes) {
  if (c.mem.load(std::memory_order_relaxed) == bytes) return;
  const uint64_t old = c.mem.exchange(bytes, std::memory_order_relaxed);
  if (c.mem_sum) c.mem_sum->fetch_add(bytes - old, std::memory_order_relaxed);  // wraps: a signed change
}

/// Sum of every client's published buffer bytes (INFO mem_clients_normal).
uint64_t clients_memory(const ServerState& s);

/// When maxmemory-clients is set and the clients' memory is over it, closes the clients using
/// the most (skipping CLIENT NO-EVICT ones) until the sum is under it, logging each as Redis
/// does. Returns at once when under the limit or another thread is evicting. Inline: front
/// ends call it after every batch of requests, and maxmemory-clients is usually 0.
void evict_clients_over(ServerState& s, uint64_t limit);
inline void evict_clients_if_needed(ServerState& s) {
  const uint64_t limit = s.config.maxmemory_clients_bytes();
  if (limit != 0) evict_clients_over(s, limit);
}

/// client-output-buffer-limit for one connection (normal class: this server has no replicas
/// and no pub/sub). Keeps the soft-limit timing between checks.
class OutputLimit {
 public:
  /// Bytes from which check() can say anything but "fine" (the smaller nonzero limit), or
  /// UINT64_MAX when the class has no limits: callers check only above it.
  static uint64_t threshold(const Config& cfg);
  /// True when `bytes` of output must close the client: at or over the hard limit, or at or
  /// over the soft limit for longer than soft-seconds (counted from the first check over it).
  bool over(const Config& cfg, uint64_t bytes, int64_t now_ms);
  /// When the output first went over the soft limit (unix ms; 0: it is not over it).
  int64_t soft_since_ms() const { return soft_since_ms_; }

 private:
  int64_t soft_since_ms_ = 0;
};

/// Logs (Redis's line) and counts a client closed by client-output-buffer-limit.
void note_output_limit_close(ServerState& s, const ClientState& c);

/// `c`'s CLIENT LIST line without the newline (log lines). Defined with CLIENT LIST.
std::string client_description(const ClientState& c, int64_t now_ms);

}  // namespace shardcache::commands
