// daemon/state/command_stats.cpp: merging and reading the per-command counters and latency
// histograms (see command_stats.h).
#include "daemon/state/command_stats.h"

#include <algorithm>
#include <cmath>

namespace shardcache::state {

void HistogramData::add(const LatencyHistogram& h) {
  if (counts.empty()) counts.assign(LatencyBuckets::kCount, 0);
  for (size_t i = 0; i < LatencyBuckets::kCount; ++i) {
    const uint64_t n = h.counts[i].load(std::memory_order_relaxed);
    counts[i] += n;
    total += n;
  }
}

void HistogramData::subtract(const HistogramData& base) {
  if (base.counts.empty() || counts.empty()) return;
  total = 0;
  for (size_t i = 0; i < LatencyBuckets::kCount; ++i) {
    counts[i] = counts[i] >= base.counts[i] ? counts[i] - base.counts[i] : 0;
    total += counts[i];
  }
  if (total == 0) counts.clear();
}

uint64_t HistogramData::value_at_percentile(double pct) const {
  if (total == 0) return 0;
  pct = std::clamp(pct, 0.0, 100.0);
  // hdr_value_at_percentile: the rank is ceil(pct% of the count), at least 1.
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(pct / 100.0 * static_cast<double>(total))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return LatencyBuckets::upper(i);
  }
  return LatencyBuckets::kMaxValue;
}

uint64_t HistogramData::count_at_or_below(uint64_t nanos) const {
  uint64_t n = 0;
  for (size_t i = 0; i < counts.size() && LatencyBuckets::upper(i) <= nanos; ++i) n += counts[i];
  return n;
}

CommandStats::CommandStats() = default;

CommandStats::~CommandStats() {
  for (auto& r : rows_) delete r.hist.load(std::memory_order_relaxed);
}

LatencyHistogram* CommandStats::allocate(CommandCounters& c) {
  auto* h = new LatencyHistogram();
  c.hist.store(h, std::memory_order_release);  // readers load it with acquire
  return h;
}

void CommandStatsSnapshot::add(const CommandStats& s) {
  if (rows.empty()) rows.resize(CommandStats::kCapacity);
  for (size_t i = 0; i < CommandStats::kCapacity; ++i) {
    const CommandCounters& c = s.row(i);
    CommandRowData& r = rows[i];
    r.calls += c.calls.load(std::memory_order_relaxed);
    r.nanos += c.nanos.load(std::memory_order_relaxed);
    r.rejected += c.rejected.load(std::memory_order_relaxed);
    r.failed += c.failed.load(std::memory_order_relaxed);
    if (const LatencyHistogram* h = c.hist.load(std::memory_order_acquire)) r.hist.add(*h);
  }
  all.add(s.all());
}

void CommandStatsSnapshot::subtract(const CommandStatsSnapshot& base) {
  if (base.rows.empty()) return;
  auto sub = [](uint64_t a, uint64_t b) { return a >= b ? a - b : 0; };
  for (size_t i = 0; i < rows.size() && i < base.rows.size(); ++i) {
    CommandRowData& r = rows[i];
    const CommandRowData& b = base.rows[i];
    r.calls = sub(r.calls, b.calls);
    r.nanos = sub(r.nanos, b.nanos);
    r.rejected = sub(r.rejected, b.rejected);
    r.failed = sub(r.failed, b.failed);
    r.hist.subtract(b.hist);
  }
  all.subtract(base.all);
}

}  // namespace shardcache::state
