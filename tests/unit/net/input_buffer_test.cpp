// tests/unit/net/input_buffer_test.cpp: how a connection's input buffer grows for a large bulk:
// toward the declared size, but only as fast as bytes really arrive.
#include <doctest/doctest.h>

#include "daemon/net/resp_session.h"

using shardcache::net::input_buffer_target;

namespace {
constexpr size_t kKB = 1024, kMB = 1024 * 1024, kLimit = 1024 * kMB;
}

TEST_CASE("a declared but unsent bulk does not grow the buffer to its size") {
  // 1016 bytes held (header + a little data) of a declared 400 MB bulk: stay at 16 KB.
  CHECK(input_buffer_target(16 * kKB, 0, 1016, 400 * kMB, kLimit) == 16 * kKB);
  // Even a full 16 KB buffer only doubles.
  CHECK(input_buffer_target(16 * kKB, 0, 16 * kKB, 400 * kMB, kLimit) == 32 * kKB);
}

TEST_CASE("the buffer grows toward the need as data arrives, never past it") {
  CHECK(input_buffer_target(1 * kMB, 0, 1 * kMB, 10 * kMB, kLimit) == 2 * kMB);
  CHECK(input_buffer_target(8 * kMB, 0, 8 * kMB, 10 * kMB + 2, kLimit) == 10 * kMB + 2);
  // A command starting at pos needs pos + need bytes of buffer.
  CHECK(input_buffer_target(16 * kKB, 4 * kKB, 16 * kKB, 20 * kKB, kLimit) == 24 * kKB);
}

TEST_CASE("no growth when it fits, when the need is unknown, or over the query buffer limit") {
  CHECK(input_buffer_target(16 * kKB, 0, 100, 200, kLimit) == 16 * kKB);
  CHECK(input_buffer_target(16 * kKB, 0, 16 * kKB, 0, kLimit) == 16 * kKB);
  CHECK(input_buffer_target(16 * kKB, 0, 16 * kKB, 2 * kLimit, kLimit) == 16 * kKB);
  CHECK(input_buffer_target(64 * kKB, 0, 1 * kKB, 32 * kKB, kLimit) == 64 * kKB);  // never shrinks
}
