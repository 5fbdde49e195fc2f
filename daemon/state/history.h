// daemon/state/history.h: the dashboard's history ring: one point a second for the last 15
// minutes (commands per second overall and by command, hits and misses, latency percentiles of
// the commands run in that second (from the all-commands latency histogram, command_stats.h),
// memory against the budget, evictions, expirations,
// invalidated keys, connected clients). The cron samples it (server_cron); the HTTP front end
// reads a copy (GET /dashboard/history). Kept in the daemon so a page opened later shows the
// past 15 minutes too.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "daemon/state/command_stats.h"

namespace shardcache::state {

struct ServerState;

/// One second of history.
struct HistoryPoint {
  /// Busiest commands of the second kept by name (the rest only in `ops`).
  static constexpr size_t kTopCommands = 8;
  int64_t t_ms = 0;             ///< unix time of the sample
  uint64_t ops = 0;             ///< commands run since the previous sample, per second
  uint64_t hits = 0, misses = 0;  ///< keyspace totals (cumulative, since start or RESETSTAT)
  uint64_t p50_us = 0, p99_us = 0;  ///< latency of the commands run in the second, rounded up (0: none timed)
  uint64_t used_bytes = 0, maxmemory = 0;
  uint64_t evicted = 0, expired = 0, invalidated = 0;  ///< keys, in the second
  uint64_t clients = 0;
  /// (command table index, calls in the second), busiest first; `n_cmds` are set.
  std::array<std::pair<uint16_t, uint32_t>, kTopCommands> cmds{};
  uint8_t n_cmds = 0;
};

class History {
 public:
  static constexpr size_t kPoints = 900;  ///< 15 minutes at one point a second
  static constexpr int64_t kIntervalMs = 1000;

  /// Takes a point when a second has passed since the last one (steady clock `mono_ms`);
  /// the cron calls it at every tick.
  void maybe_sample(ServerState& s, int64_t mono_ms);
  /// The points newer than `since_ms` (unix ms; 0 = all), oldest first.
  std::vector<HistoryPoint> points(int64_t since_ms = 0) const;

 private:
  void sample(ServerState& s, int64_t mono_ms);

  mutable std::mutex mu_;
  std::vector<HistoryPoint> ring_;  // kPoints once the first sample is in
  size_t next_ = 0, count_ = 0;
  // The totals at the previous sample (the cron thread only).
  int64_t last_mono_ = 0;
  uint64_t last_commands_ = 0, last_evicted_ = 0, last_expired_ = 0, last_invalidated_ = 0;
  std::vector<uint64_t> last_calls_;  // by command table index
  HistogramData last_all_;            // every command's latency histogram (command_stats.h), summed
};

}  // namespace shardcache::state
