// daemon/state/thread_stats.h: the counters each io thread keeps on its own cache lines (no
// sharing on the hot path): commands, connections, network bytes, client buffer bytes, and the
// per-command counters and latency histograms (command_stats.h; recorded by the dispatcher).
// stats_snapshot() and command_stats() (server_stats.h) sum them for INFO, LATENCY and /metrics.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "daemon/state/command_stats.h"

namespace shardcache::state {

/// Per-io-thread counters (own cache line: no false sharing between io threads).
struct alignas(64) ThreadStats {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};           ///< RESP connections accepted (HTTP counts its own)
  std::atomic<uint64_t> rejected_connections{0};  ///< refused by maxclients (RESP and HTTP)
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> clients_mem{0};     ///< buffer bytes of this thread's clients (commands/client_memory.h)
  CommandStats per_command;                 ///< calls, errors and latency by command
  /// CONFIG RESETSTAT (clients_mem is a gauge and stays; per_command is reset by a baseline:
  /// server_stats.h reset_command_stats).
  void reset() {
    commands = 0; connections = 0; rejected_connections = 0; net_input_bytes = 0; net_output_bytes = 0;
  }
};

}  // namespace shardcache::state
