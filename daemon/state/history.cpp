// daemon/state/history.cpp: sampling and reading the dashboard's history ring (see history.h).
#include "daemon/state/history.h"

#include <algorithm>

#include "daemon/state/server_state.h"

namespace shardcache::state {

void History::maybe_sample(ServerState& s, int64_t mono_ms) {
  if (last_mono_ != 0 && mono_ms - last_mono_ < kIntervalMs) return;
  sample(s, mono_ms);
}

void History::sample(ServerState& s, int64_t mono_ms) {
  constexpr size_t kRows = CommandStats::kCapacity;
  std::vector<uint64_t> calls(kRows, 0);
  HistogramData all;  // the io threads' raw counters (RESETSTAT does not lower them)
  uint64_t commands = 0;
  for (const auto& ts : s.thread_stats) {
    commands += ts->commands.load(std::memory_order_relaxed);
    all.add(ts->per_command.all());
    for (size_t i = 0; i < kRows; ++i) calls[i] += ts->per_command.row(i).calls.load(std::memory_order_relaxed);
  }
  store::StoreStats st = s.store.stats();
  const bool first = last_mono_ == 0;
  const double secs = first ? 1.0 : static_cast<double>(mono_ms - last_mono_) / 1000.0;
  // A counter lower than last time was reset (CONFIG RESETSTAT): count from zero.
  auto delta = [](uint64_t now, uint64_t before) { return now >= before ? now - before : now; };

  HistoryPoint p;
  p.t_ms = store::unix_ms();
  p.hits = st.hits;
  p.misses = st.misses;
  p.used_bytes = st.used_bytes;
  p.maxmemory = s.store.maxmemory();
  p.clients = s.clients.count();
  if (!first) {
    p.ops = static_cast<uint64_t>(static_cast<double>(delta(commands, last_commands_)) / secs + 0.5);
    p.evicted = delta(st.evicted, last_evicted_);
    p.expired = delta(st.expired, last_expired_);
    p.invalidated = delta(st.invalidated, last_invalidated_);
    HistogramData second = all;  // the calls of this second alone
    second.subtract(last_all_);
    if (last_all_.counts.empty()) second = all;
    p.p50_us = (second.value_at_percentile(50.0) + 999) / 1000;
    p.p99_us = (second.value_at_percentile(99.0) + 999) / 1000;
    std::vector<std::pair<uint16_t, uint32_t>> busy;
    for (size_t i = 0; i < kRows; ++i)
      if (uint64_t d = delta(calls[i], last_calls_[i]))
        busy.emplace_back(static_cast<uint16_t>(i), static_cast<uint32_t>(std::min<uint64_t>(d, UINT32_MAX)));
    size_t keep = std::min(busy.size(), HistoryPoint::kTopCommands);
    std::partial_sort(busy.begin(), busy.begin() + static_cast<std::ptrdiff_t>(keep), busy.end(),
                      [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < keep; ++i) p.cmds[i] = busy[i];
    p.n_cmds = static_cast<uint8_t>(keep);
  }
  last_mono_ = mono_ms;
  last_commands_ = commands;
  last_evicted_ = st.evicted;
  last_expired_ = st.expired;
  last_invalidated_ = st.invalidated;
  last_calls_ = std::move(calls);
  last_all_ = std::move(all);
  if (first) return;  // the first sample only sets the baseline

  std::lock_guard g(mu_);
  if (ring_.empty()) ring_.resize(kPoints);
  ring_[next_] = p;
  next_ = (next_ + 1) % kPoints;
  count_ = std::min(count_ + 1, kPoints);
}

std::vector<HistoryPoint> History::points(int64_t since_ms) const {
  std::lock_guard g(mu_);
  std::vector<HistoryPoint> out;
  out.reserve(count_);
  for (size_t i = 0; i < count_; ++i) {
    const HistoryPoint& p = ring_[(next_ + kPoints - count_ + i) % kPoints];
    if (p.t_ms > since_ms) out.push_back(p);
  }
  return out;
}

}  // namespace shardcache::state
