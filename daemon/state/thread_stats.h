// daemon/state/thread_stats.h: the counters each io thread keeps on its own cache lines (no
// sharing on the hot path): commands, connections, network bytes, client buffer bytes, and per
// command call counts and latency histograms (recorded by the dispatcher's execute()).
// stats_snapshot() (server_stats.h) sums them for INFO and /metrics.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shardcache::state {

/// Upper bounds (microseconds) of the latency histogram buckets; a last bucket holds the rest.
inline constexpr std::array<uint64_t, 12> kLatencyBucketsUs = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000, 100000, 1000000};

/// Counters for one command.
struct CommandCounters {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> nanos{0};                                   ///< total time spent
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> buckets{};  ///< not cumulative
};

/// Counters for every command of the table, indexed by the command's position in the table.
class CommandStats {
 public:
  /// More rows than any table will have; commands past it are counted in the last row.
  static constexpr size_t kCapacity = 512;

  /// Records one call of command `index` that took `nanos` nanoseconds.
  void record(size_t index, uint64_t nanos) {
    CommandCounters& c = rows_[index < kCapacity ? index : kCapacity - 1];
    c.calls.fetch_add(1, std::memory_order_relaxed);
    c.nanos.fetch_add(nanos, std::memory_order_relaxed);
    size_t b = 0;  // first bucket whose bound is >= the latency (Prometheus "le")
    while (b < kLatencyBucketsUs.size() && nanos > kLatencyBucketsUs[b] * 1000) ++b;
    c.buckets[b].fetch_add(1, std::memory_order_relaxed);
  }
  const CommandCounters& row(size_t index) const { return rows_[index < kCapacity ? index : kCapacity - 1]; }
  /// CONFIG RESETSTAT.
  void reset() {
    for (auto& r : rows_) {
      r.calls = 0;
      r.nanos = 0;
      for (auto& b : r.buckets) b = 0;
    }
  }

 private:
  std::array<CommandCounters, kCapacity> rows_{};
};

/// Per-io-thread counters (own cache line: no false sharing between io threads).
struct alignas(64) ThreadStats {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};           ///< RESP connections accepted (HTTP counts its own)
  std::atomic<uint64_t> rejected_connections{0};  ///< refused by maxclients (RESP and HTTP)
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> clients_mem{0};     ///< buffer bytes of this thread's clients (commands/client_memory.h)
  CommandStats per_command;                 ///< calls and latency by command (/metrics)
  /// CONFIG RESETSTAT (clients_mem is a gauge and stays).
  void reset() {
    commands = 0; connections = 0; rejected_connections = 0; net_input_bytes = 0; net_output_bytes = 0;
    per_command.reset();
  }
};

}  // namespace shardcache::state
