// daemon/state/server_stats.h: the server-wide statistics: one snapshot of the per-io-thread
// counters that INFO and /metrics both read, Redis's instantaneous_ops_per_sec (the command
// total sampled every 100 ms, averaged over the last 16 samples), and the cron's bookkeeping
// tick that samples it.
#pragma once
#include <array>
#include <cstdint>
#include <mutex>

#include "daemon/state/command_stats.h"

namespace shardcache::state {

struct ServerState;

/// Rate of a growing counter, as Redis's trackInstantaneousMetric computes it.
class OpsSampler {
 public:
  /// Records `total` at `now_ms`; ignored when less than 100 ms passed since the last sample.
  void sample(uint64_t total, int64_t now_ms);
  /// Mean rate per second over the retained samples.
  uint64_t per_sec() const;
  /// Forgets every sample (CONFIG RESETSTAT).
  void reset();

 private:
  static constexpr size_t kSamples = 16;
  mutable std::mutex mu_;
  std::array<uint64_t, kSamples> rates_{};
  size_t idx_ = 0;
  int64_t last_ms_ = 0;
  uint64_t last_total_ = 0;
};

/// The io threads' counters summed (ThreadStats), as INFO stats and /metrics report them.
struct StatsSnapshot {
  uint64_t commands = 0;              ///< total_commands_processed
  uint64_t connections = 0;           ///< total_connections_received (RESP)
  uint64_t rejected_connections = 0;  ///< refused by maxclients
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t clients_mem = 0;           ///< buffer bytes of every client (mem_clients_normal)
};

/// Sums every io thread's counters (relaxed loads: each counter is exact, the set is not one instant).
StatsSnapshot stats_snapshot(const ServerState& s);

/// Every io thread's per-command counters and latency histograms summed, minus what the last
/// CONFIG RESETSTAT cleared: rows by command table index (CommandTable::index_of), `all` =
/// every command together; HistogramData::value_at_percentile gives p50/p99/... in ns.
/// INFO commandstats/latencystats, LATENCY HISTOGRAM and /metrics read it.
CommandStatsSnapshot command_stats(const ServerState& s);

/// CONFIG RESETSTAT for the per-command counters: what command_stats() reports starts again
/// from zero (the io threads' own counters are never written by another thread).
void reset_command_stats(ServerState& s);

/// Total commands processed, summed over the io threads.
uint64_t total_commands(const ServerState& s);

/// One cron tick of server-level bookkeeping (after Store::cron_step): samples the ops rate
/// on the monotonic clock and runs the persister's save points.
void server_cron(ServerState& s);

}  // namespace shardcache::state
