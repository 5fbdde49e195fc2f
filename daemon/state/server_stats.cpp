// daemon/state/server_stats.cpp: the stats snapshot, instantaneous ops sampling and the server
// cron tick (see server_stats.h).
#include "daemon/state/server_stats.h"

#include <chrono>

#include "daemon/state/server_state.h"

namespace shardcache::state {

void OpsSampler::sample(uint64_t total, int64_t now_ms) {
  std::lock_guard g(mu_);
  if (last_ms_ == 0 || total < last_total_) {  // first sample, or counters were reset
    last_ms_ = now_ms;
    last_total_ = total;
    return;
  }
  int64_t dt = now_ms - last_ms_;
  if (dt < 100) return;
  rates_[idx_] = (total - last_total_) * 1000 / static_cast<uint64_t>(dt);
  idx_ = (idx_ + 1) % kSamples;
  last_ms_ = now_ms;
  last_total_ = total;
}

uint64_t OpsSampler::per_sec() const {
  std::lock_guard g(mu_);
  uint64_t sum = 0;
  for (uint64_t r : rates_) sum += r;
  return sum / kSamples;
}

void OpsSampler::reset() {
  std::lock_guard g(mu_);
  rates_.fill(0);
  idx_ = 0;
  last_ms_ = 0;
  last_total_ = 0;
}

StatsSnapshot stats_snapshot(const ServerState& s) {
  StatsSnapshot t;
  for (const auto& ts : s.thread_stats) {
    t.commands += ts->commands.load(std::memory_order_relaxed);
    t.connections += ts->connections.load(std::memory_order_relaxed);
    t.rejected_connections += ts->rejected_connections.load(std::memory_order_relaxed);
    t.net_input_bytes += ts->net_input_bytes.load(std::memory_order_relaxed);
    t.net_output_bytes += ts->net_output_bytes.load(std::memory_order_relaxed);
    t.clients_mem += ts->clients_mem.load(std::memory_order_relaxed);
  }
  return t;
}

namespace {
CommandStatsSnapshot raw_command_stats(const ServerState& s) {
  CommandStatsSnapshot snap;
  for (const auto& ts : s.thread_stats) snap.add(ts->per_command);
  return snap;
}
}  // namespace

CommandStatsSnapshot command_stats(const ServerState& s) {
  CommandStatsSnapshot snap = raw_command_stats(s);
  std::lock_guard g(s.command_stats_mu);
  snap.subtract(s.command_stats_base);
  return snap;
}

void reset_command_stats(ServerState& s) {
  CommandStatsSnapshot now = raw_command_stats(s);
  std::lock_guard g(s.command_stats_mu);
  s.command_stats_base = std::move(now);
}

uint64_t total_commands(const ServerState& s) {
  uint64_t n = 0;
  for (const auto& ts : s.thread_stats) n += ts->commands.load(std::memory_order_relaxed);
  return n;
}

void server_cron(ServerState& s) {
  using namespace std::chrono;
  int64_t now = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  s.ops.sample(total_commands(s), now);
  s.history.maybe_sample(s, now);
  if (s.persister) s.persister->cron();
}

}  // namespace shardcache::state
