// daemon/state/history.cpp: sampling and reading the dashboard's history ring (see history.h).
#include "daemon/state/history.h"

#include <algorithm>
#include <cmath>

#include "daemon/state/server_state.h"

namespace shardcache::state {

uint64_t histogram_percentile_us(const std::vector<uint64_t>& counts, const uint64_t* upper_us, size_t bounds, double p) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return upper_us[i < bounds ? i : bounds - 1];
  }
  return upper_us[bounds - 1];
}

void History::maybe_sample(ServerState& s, int64_t mono_ms) {
  if (last_mono_ != 0 && mono_ms - last_mono_ < kIntervalMs) return;
  sample(s, mono_ms);
}

void History::sample(ServerState& s, int64_t mono_ms) {
  constexpr size_t kRows = CommandStats::kCapacity;
  constexpr size_t kBuckets = kLatencyBucketsUs.size() + 1;
  std::vector<uint64_t> calls(kRows, 0), buckets(kBuckets, 0);
  uint64_t commands = 0;
  for (const auto& ts : s.thread_stats) {
    commands += ts->commands.load(std::memory_order_relaxed);
    for (size_t i = 0; i < kRows; ++i) {
      const CommandCounters& row = ts->per_command.row(i);
      uint64_t n = row.calls.load(std::memory_order_relaxed);
      if (n == 0) continue;
      calls[i] += n;
      for (size_t b = 0; b < kBuckets; ++b) buckets[b] += row.buckets[b].load(std::memory_order_relaxed);
    }
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
    std::vector<uint64_t> dbuckets(kBuckets);
    for (size_t b = 0; b < kBuckets; ++b) dbuckets[b] = delta(buckets[b], last_buckets_[b]);
    p.p50_us = histogram_percentile_us(dbuckets, kLatencyBucketsUs.data(), kLatencyBucketsUs.size(), 0.50);
    p.p99_us = histogram_percentile_us(dbuckets, kLatencyBucketsUs.data(), kLatencyBucketsUs.size(), 0.99);
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
  last_buckets_ = std::move(buckets);
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
