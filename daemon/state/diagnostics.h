// daemon/state/diagnostics.h: the server-wide records behind Redis's diagnosis commands: error
// replies by prefix (INFO errorstats), the slow log (SLOWLOG) and the latency monitor's event
// series (LATENCY LATEST/HISTORY/DOCTOR). They are written only off the fast path (an error
// reply, a call slower than a threshold), so each takes a mutex.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardcache::state {

/// Error replies counted by their prefix (the first word: "ERR", "WRONGTYPE", ...), as Redis's
/// afterErrorReply does.
class ErrorStats {
 public:
  /// At most this many distinct prefixes are kept (later new ones count in total() only).
  static constexpr size_t kMaxPrefixes = 128;
  /// Counts one error reply with message `msg` ("ERR unknown command ...").
  void record(std::string_view msg);
  /// total_error_replies.
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  /// (prefix, count), sorted by prefix.
  std::vector<std::pair<std::string, uint64_t>> by_prefix() const;
  /// CONFIG RESETSTAT.
  void reset();
  /// The prefix Redis counts `msg` under: its first word when a space comes within 32 bytes, else "ERR".
  static std::string_view prefix(std::string_view msg);

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> counts_;
  std::atomic<uint64_t> total_{0};
};

/// One SLOWLOG entry (Redis's slowlogEntry).
struct SlowLogEntry {
  uint64_t id = 0;
  int64_t time = 0;                ///< unix seconds when it was logged
  uint64_t duration_us = 0;
  std::vector<std::string> argv;   ///< trimmed as Redis does (slowlogCreateEntry)
  std::string peer;                ///< client address ip:port
  std::string name;                ///< client name ("" = none)
};

/// The slow log: the newest entries first, at most slowlog-max-len of them.
class SlowLog {
 public:
  static constexpr size_t kMaxArgc = 32;     ///< SLOWLOG_ENTRY_MAX_ARGC
  static constexpr size_t kMaxString = 128;  ///< SLOWLOG_ENTRY_MAX_STRING
  /// Adds an entry (argv trimmed here) and drops the oldest past `max_len`.
  void push(std::span<const std::string_view> argv, uint64_t duration_us, int64_t now_s, std::string peer,
            std::string name, uint64_t max_len);
  /// The newest `count` entries (all when count < 0).
  std::vector<SlowLogEntry> newest(long long count) const;
  size_t size() const;
  void reset();
  /// Drops the oldest entries past `max_len` (CONFIG SET slowlog-max-len).
  void trim(uint64_t max_len);

 private:
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  ///< front = newest
  uint64_t next_id_ = 0;
};

/// Redis's latency monitor: per event ("command", "fast-command"), the worst latency (ms) of
/// each second, for the last 160 seconds that had one, and the all-time maximum.
class LatencyMonitor {
 public:
  static constexpr size_t kSamples = 160;  ///< LATENCY_TS_LEN
  struct Sample {
    int64_t time = 0;  ///< unix seconds; 0 = unused slot
    uint64_t latency_ms = 0;
  };
  struct Series {
    std::array<Sample, kSamples> samples{};
    size_t idx = 0;
    uint64_t max = 0;
  };
  /// latencyAddSample.
  void add(std::string_view event, uint64_t latency_ms, int64_t now_s);
  /// (event, series) for every event with samples, in the order first seen.
  std::vector<std::pair<std::string, Series>> all() const;
  /// The series of `event`; false when it has none.
  bool get(std::string_view event, Series& out) const;
  /// Forgets `event` (case-insensitive), or every event when empty; returns how many.
  size_t reset(std::string_view event);

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Series>> events_;
};

}  // namespace shardcache::state
