// shardcache/circuit_breaker.h: the circuit breaker of the cache-aside helpers. After a cache
// failure the cache is skipped for a backoff period (doubling per failed probe, capped), then
// one probe call is let through; its success closes the breaker again.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace shardcache {

/// Settings of a CircuitBreaker.
struct BreakerOptions {
  unsigned failure_threshold = 1;                 ///< consecutive failures that open the breaker
  std::chrono::milliseconds base_backoff{1000};   ///< first open period
  std::chrono::milliseconds max_backoff{30000};   ///< cap of the doubling open period
};

/// Thread-safe breaker: Closed (use the cache) → Open (skip it until a deadline) → HalfOpen
/// (one probe in flight) → Closed on success, or Open with twice the backoff on failure.
class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  using Options = BreakerOptions;
  enum class State { Closed, Open, HalfOpen };
  /// What a report changed, so the caller can log transitions once.
  enum class Transition { None, Opened, Reopened, Recovered };

  explicit CircuitBreaker(Options o = {}, std::function<Clock::time_point()> now = &Clock::now);

  /// May this call use the cache now? Closed: yes. Open: no until the backoff has passed;
  /// then the first caller becomes the probe (HalfOpen) and the others still get no.
  bool allow();
  /// Reports that a cache operation worked.
  Transition record_success();
  /// Reports that a cache operation failed (connection, timeout, protocol, server error).
  Transition record_failure();

  State state() const;
  /// The current (or next) open period.
  std::chrono::milliseconds backoff() const;
  /// How many times the breaker went from Closed to Open.
  uint64_t times_opened() const;

 private:
  Options opts_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  State state_ = State::Closed;
  unsigned failures_ = 0;
  std::chrono::milliseconds backoff_;
  Clock::time_point open_until_{};
  Clock::time_point probe_started_{};
  uint64_t opened_ = 0;
};

}  // namespace shardcache
