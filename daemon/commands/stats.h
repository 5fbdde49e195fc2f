// daemon/commands/stats.h: server statistics the cron samples: Redis's instantaneous_ops_per_sec
// (the command total sampled every 100 ms, averaged over the last 16 samples) and the
// used-memory peak. server_cron() is what the net layer's cron thread calls each tick.
#pragma once
#include <array>
#include <cstdint>
#include <mutex>

namespace shardcache::commands {

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

/// Total commands processed, summed over the io threads.
uint64_t total_commands(ServerState& s);

/// One cron tick of server-level bookkeeping (after Store::cron_step): samples the ops rate
/// on the monotonic clock.
void server_cron(ServerState& s);

}  // namespace shardcache::commands
