// daemon/state/command_stats.h: per-command statistics (Redis's INFO commandstats and
// latencystats, LATENCY HISTOGRAM, /metrics histograms). Each io thread owns one CommandStats
// and is the only writer of its counters: a call adds to them with relaxed load + store (no
// locked instruction, no sharing between threads). Readers (INFO, LATENCY, /metrics) merge
// every thread's rows into a CommandStatsSnapshot (server_stats.h: command_stats()).
//
// Latencies go into a log-linear histogram of nanoseconds: values below 32 ns exactly, above
// that 16 linear sub-buckets per power of two (a bucket is at most 1/16 = 6.25 % wide), up to
// 2^40 ns (about 18 minutes; longer calls count in the last bucket). Every power of two of
// nanoseconds is a bucket edge, so Redis's LATENCY HISTOGRAM points (1024 ns * 2^k) are exact.
#pragma once
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace shardcache::state {

/// Adds `d` to a counter only the calling thread writes (readers on other threads load it).
inline void bump(std::atomic<uint64_t>& a, uint64_t d = 1) {
  a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
}

/// Bucket arithmetic of the latency histograms (values in nanoseconds).
struct LatencyBuckets {
  static constexpr unsigned kSubBits = 4;                 ///< 16 sub-buckets per power of two
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kMaxBits = 40;                ///< values are capped at 2^40 - 1 ns
  static constexpr uint64_t kMaxValue = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kCount = (kMaxBits - kSubBits) * kSub + kSub;  ///< 592

  /// The bucket of value `v` (capped at kMaxValue).
  static constexpr size_t index(uint64_t v) {
    if (v > kMaxValue) v = kMaxValue;
    if (v < 2 * kSub) return static_cast<size_t>(v);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned shift = msb - kSubBits;
    return (msb - kSubBits + 1) * kSub + ((v >> shift) & (kSub - 1));
  }
  /// Smallest value of bucket `i`.
  static constexpr uint64_t lower(size_t i) {
    if (i < 2 * kSub) return i;
    const size_t group = i / kSub, sub = i % kSub;
    return (kSub + sub) << (group - 1);
  }
  /// Largest value of bucket `i`.
  static constexpr uint64_t upper(size_t i) {
    if (i < 2 * kSub) return i;
    return lower(i) + (uint64_t{1} << (i / kSub - 1)) - 1;
  }
};
static_assert(LatencyBuckets::index(LatencyBuckets::kMaxValue) == LatencyBuckets::kCount - 1);
static_assert(LatencyBuckets::lower(LatencyBuckets::index(1024)) == 1024);
static_assert(LatencyBuckets::upper(LatencyBuckets::index(1023)) == 1023);

/// One thread's histogram (single writer).
struct LatencyHistogram {
  std::array<std::atomic<uint64_t>, LatencyBuckets::kCount> counts{};
  void record(uint64_t nanos) { bump(counts[LatencyBuckets::index(nanos)]); }
};

/// A merged histogram (plain numbers): counts by bucket, with Redis's percentile.
struct HistogramData {
  std::vector<uint64_t> counts;  ///< LatencyBuckets::kCount entries, or empty = no calls recorded
  uint64_t total = 0;

  void add(const LatencyHistogram& h);
  void subtract(const HistogramData& base);
  /// The value (ns) at or below which `pct` percent of the recorded calls fall: the highest
  /// value of the bucket holding that rank (hdr_value_at_percentile); 0 with no calls.
  uint64_t value_at_percentile(double pct) const;
  /// Calls of at most `nanos` ns, counting whole buckets whose highest value is <= nanos.
  uint64_t count_at_or_below(uint64_t nanos) const;
};

/// Counters for one command (or subcommand) row on one thread.
struct CommandCounters {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> nanos{0};     ///< total time spent running it
  std::atomic<uint64_t> rejected{0};  ///< refused before running (arity, NOAUTH, MISCONF, ...)
  std::atomic<uint64_t> failed{0};    ///< ran and replied with an error
  /// Allocated by the owning thread at the command's first timed call (latency-tracking yes).
  std::atomic<LatencyHistogram*> hist{nullptr};
};

/// One thread's counters for every row of the command table, plus all commands together.
class CommandStats {
 public:
  /// More rows than any table will have; commands past it are counted in the last row.
  static constexpr size_t kCapacity = 512;

  CommandStats();
  ~CommandStats();
  CommandStats(const CommandStats&) = delete;
  CommandStats& operator=(const CommandStats&) = delete;

  /// One call of row `index` that took `nanos` ns; `failed`: it replied with an error;
  /// `track`: latency-tracking is on (the histograms get the call).
  void record(size_t index, uint64_t nanos, bool failed, bool track) {
    CommandCounters& c = rows_[clamp(index)];
    bump(c.calls);
    bump(c.nanos, nanos);
    if (failed) [[unlikely]] bump(c.failed);
    if (!track) [[unlikely]] return;
    LatencyHistogram* h = c.hist.load(std::memory_order_relaxed);
    if (!h) [[unlikely]] h = allocate(c);
    h->record(nanos);
    all_.record(nanos);
  }
  /// A call of row `index` refused before it ran (Redis's rejected_calls).
  void reject(size_t index) { bump(rows_[clamp(index)].rejected); }
  const CommandCounters& row(size_t index) const { return rows_[clamp(index)]; }
  /// Every command of this thread together (latency-tracking yes).
  const LatencyHistogram& all() const { return all_; }

 private:
  static size_t clamp(size_t i) { return i < kCapacity ? i : kCapacity - 1; }
  LatencyHistogram* allocate(CommandCounters& c);
  std::array<CommandCounters, kCapacity> rows_{};
  LatencyHistogram all_;
};

/// One row of a snapshot: a command's counters summed over the io threads.
struct CommandRowData {
  uint64_t calls = 0, nanos = 0, rejected = 0, failed = 0;
  HistogramData hist;  ///< empty when no call of it was timed
};

/// Every io thread's command counters summed, minus what CONFIG RESETSTAT cleared.
struct CommandStatsSnapshot {
  std::vector<CommandRowData> rows;  ///< by command table index (CommandStats::kCapacity rows)
  HistogramData all;                 ///< all commands together
  void add(const CommandStats& s);
  void subtract(const CommandStatsSnapshot& base);
};

}  // namespace shardcache::state
