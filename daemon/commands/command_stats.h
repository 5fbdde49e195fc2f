// daemon/commands/command_stats.h: per-io-thread, per-command call counters and latency
// histograms, recorded by the dispatcher's execute() and summed by /metrics. Each io thread owns
// one (inside ThreadStats), so the counters never share a cache line between threads.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shardcache::commands {

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

}  // namespace shardcache::commands
