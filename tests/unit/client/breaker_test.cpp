// tests/unit/client/breaker_test.cpp: CircuitBreaker timing with a fake clock: opening,
// skipping for the backoff, a single half-open probe, doubling up to the cap, recovery.
#include <doctest/doctest.h>

#include "shardcache/circuit_breaker.h"

using shardcache::CircuitBreaker;
using std::chrono::milliseconds;
using State = CircuitBreaker::State;
using Transition = CircuitBreaker::Transition;

namespace {
struct FakeClock {
  CircuitBreaker::Clock::time_point t{std::chrono::seconds(1000)};
  void advance(milliseconds d) { t += d; }
};
CircuitBreaker make(FakeClock& c, unsigned threshold = 1) {
  CircuitBreaker::Options o;
  o.failure_threshold = threshold;
  o.base_backoff = milliseconds(100);
  o.max_backoff = milliseconds(350);
  return CircuitBreaker(o, [&c] { return c.t; });
}
}  // namespace

TEST_CASE("breaker: closed until a failure, then open for the base backoff") {
  FakeClock clock;
  auto b = make(clock);
  CHECK(b.state() == State::Closed);
  CHECK(b.allow());
  CHECK(b.record_success() == Transition::None);
  CHECK(b.record_failure() == Transition::Opened);
  CHECK(b.state() == State::Open);
  CHECK(b.times_opened() == 1);
  CHECK_FALSE(b.allow());
  clock.advance(milliseconds(99));
  CHECK_FALSE(b.allow());
  clock.advance(milliseconds(1));
  CHECK(b.allow());  // the probe
  CHECK(b.state() == State::HalfOpen);
  CHECK_FALSE(b.allow());  // only one probe at a time
  CHECK(b.record_success() == Transition::Recovered);
  CHECK(b.state() == State::Closed);
  CHECK(b.allow());
}

TEST_CASE("breaker: failed probes double the backoff up to the cap; recovery resets it") {
  FakeClock clock;
  auto b = make(clock);
  CHECK(b.record_failure() == Transition::Opened);
  CHECK(b.backoff() == milliseconds(100));
  const milliseconds expected[] = {milliseconds(200), milliseconds(350), milliseconds(350)};
  for (auto want : expected) {
    clock.advance(b.backoff());
    REQUIRE(b.allow());
    CHECK(b.record_failure() == Transition::Reopened);
    CHECK(b.backoff() == want);
    clock.advance(want - milliseconds(1));
    CHECK_FALSE(b.allow());
    clock.advance(milliseconds(1));
  }
  REQUIRE(b.allow());
  CHECK(b.record_success() == Transition::Recovered);
  CHECK(b.backoff() == milliseconds(100));
  CHECK(b.times_opened() == 1);
  CHECK(b.record_failure() == Transition::Opened);
  CHECK(b.times_opened() == 2);
}

TEST_CASE("breaker: threshold counts consecutive failures only") {
  FakeClock clock;
  auto b = make(clock, 3);
  CHECK(b.record_failure() == Transition::None);
  CHECK(b.record_failure() == Transition::None);
  CHECK(b.record_success() == Transition::None);
  CHECK(b.record_failure() == Transition::None);
  CHECK(b.record_failure() == Transition::None);
  CHECK(b.state() == State::Closed);
  CHECK(b.record_failure() == Transition::Opened);
  CHECK(b.state() == State::Open);
}

TEST_CASE("breaker: late reports while open change nothing; a lost probe is replaced") {
  FakeClock clock;
  auto b = make(clock);
  CHECK(b.record_failure() == Transition::Opened);
  CHECK(b.record_failure() == Transition::None);
  CHECK(b.record_success() == Transition::None);
  CHECK(b.state() == State::Open);
  clock.advance(milliseconds(100));
  CHECK(b.allow());
  CHECK_FALSE(b.allow());
  clock.advance(milliseconds(100));  // the probe never reported: another caller may probe
  CHECK(b.allow());
}
