// client/src/circuit_breaker.cpp: state machine of the helpers' circuit breaker.
#include "shardcache/circuit_breaker.h"

#include <algorithm>

namespace shardcache {

CircuitBreaker::CircuitBreaker(Options o, std::function<Clock::time_point()> now)
    : opts_(o), now_(std::move(now)), backoff_(o.base_backoff) {
  opts_.failure_threshold = std::max(1u, opts_.failure_threshold);
}

bool CircuitBreaker::allow() {
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::Closed: return true;
    case State::Open:
      if (now_() < open_until_) return false;
      state_ = State::HalfOpen;
      probe_started_ = now_();
      return true;
    case State::HalfOpen:
      // A probe that never reported (its caller vanished) is replaced after one backoff.
      if (now_() - probe_started_ < backoff_) return false;
      probe_started_ = now_();
      return true;
  }
  return false;
}

CircuitBreaker::Transition CircuitBreaker::record_success() {
  std::lock_guard lk(mu_);
  failures_ = 0;
  if (state_ != State::HalfOpen) return Transition::None;  // Closed stays; Open ignores late reports
  state_ = State::Closed;
  backoff_ = opts_.base_backoff;
  return Transition::Recovered;
}

CircuitBreaker::Transition CircuitBreaker::record_failure() {
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::Closed:
      if (++failures_ < opts_.failure_threshold) return Transition::None;
      state_ = State::Open;
      backoff_ = opts_.base_backoff;
      open_until_ = now_() + backoff_;
      ++opened_;
      return Transition::Opened;
    case State::HalfOpen:
      state_ = State::Open;
      backoff_ = std::min(backoff_ * 2, opts_.max_backoff);
      open_until_ = now_() + backoff_;
      return Transition::Reopened;
    case State::Open: return Transition::None;  // a call that started before the breaker opened
  }
  return Transition::None;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

std::chrono::milliseconds CircuitBreaker::backoff() const {
  std::lock_guard lk(mu_);
  return backoff_;
}

uint64_t CircuitBreaker::times_opened() const {
  std::lock_guard lk(mu_);
  return opened_;
}

}  // namespace shardcache
