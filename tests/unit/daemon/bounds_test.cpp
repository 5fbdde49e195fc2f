// tests/unit/daemon/bounds_test.cpp: bounded work per request: each command whose work could
// grow with its input beyond what it stores or returns is refused with Redis's error or bounded
// (SETRANGE/APPEND by proto-max-bulk-len, expiry overflow, SCAN COUNT, WATCH of many keys,
// MULTI queue memory).
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/store/invalidation.h"
#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

namespace {
constexpr const char* kTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

TEST_CASE("SETRANGE and APPEND cannot grow a value past proto-max-bulk-len (Redis 7.0's checkStringLength)") {
  Harness h;
  CHECK(h.Run({"setrange", "k", "536870912", "x"}).str == kTooLong);  // default 512mb
  CHECK(h.Run({"setrange", "k", "600000000", ""}).num == 0);          // nothing to write: no check, as Redis
  CHECK(h.Run({"exists", "k"}).num == 0);
  CHECK(h.Run({"config", "set", "proto-max-bulk-len", "1mb"}).ok());
  CHECK(h.Run({"setrange", "k", "1048576", "x"}).str == kTooLong);
  CHECK(h.Run({"exists", "k"}).num == 0);
  CHECK(h.Run({"setrange", "k", "1048575", "x"}).num == 1048576);
  CHECK(h.Run({"strlen", "k"}).num == 1048576);
  CHECK(h.Run({"append", "k", "y"}).str == kTooLong);
  CHECK(h.Run({"strlen", "k"}).num == 1048576);
  CHECK(h.Run({"set", "a", std::string(1000000, 'a')}).ok());
  CHECK(h.Run({"append", "a", std::string(48576, 'b')}).num == 1048576);
  CHECK(h.Run({"append", "a", "c"}).str == kTooLong);
  // GETRANGE with huge offsets does work bounded by the value's length.
  CHECK(h.Run({"getrange", "a", "9223372036854775806", "9223372036854775807"}).str.empty());
  CHECK(h.Run({"getrange", "a", "-9223372036854775808", "2"}).str == "aaa");
}

TEST_CASE("expiry overflow is refused with Redis's texts") {
  Harness h;
  CHECK(h.Run({"set", "k", "v", "ex", "9223372036854775807"}).str == "ERR invalid expire time in 'set' command");
  CHECK(h.Run({"set", "k", "v", "px", "9223372036854775807"}).str == "ERR invalid expire time in 'set' command");
  CHECK(h.Run({"set", "k", "v"}).ok());
  CHECK(h.Run({"expire", "k", "9223372036854775807"}).str == "ERR invalid expire time in 'expire' command");
  CHECK(h.Run({"ttl", "k"}).num == -1);
  CHECK(h.Run({"incrbyfloat", "f", "inf"}).str == "ERR increment would produce NaN or Infinity");
}

TEST_CASE("SCAN COUNT near LLONG_MAX: the per-call step budget saturates instead of overflowing") {
  Harness h;
  for (int i = 0; i < 200; ++i) h.Run({"set", "k" + std::to_string(i), "v"});
  Val r = h.Run({"scan", "0", "count", "9223372036854775807"});
  REQUIRE(r.kind == Val::Array);
  CHECK(r.elems[0].str == "0");
  CHECK(r.elems[1].elems.size() == 200);
}

TEST_CASE("WATCH of 100k keys is linear, and a key watched twice counts once") {
  Harness h;
  std::vector<std::string> args{"watch"};
  for (int i = 0; i < 100000; ++i) args.push_back("w" + std::to_string(i));
  args.push_back("w0");
  auto t = std::chrono::steady_clock::now();
  CHECK(h.Run(args).ok());
  CHECK(h.client->watched.size() == 100000);
  CHECK(seconds_since(t) < 2.0);  // quadratic (a scan of the client's keys per key) would be ~5e9 compares
  CHECK(h.Run({"watch", "w5"}).ok());
  CHECK(h.client->watched.size() == 100000);
  CHECK(h.Run({"unwatch"}).ok());
  CHECK(h.state.watches.key_count() == 0);
}

TEST_CASE("MULTI: the queued commands' memory is bounded by client-query-buffer-limit") {
  Harness h;
  CHECK(h.Run({"config", "set", "client-query-buffer-limit", "1mb"}).ok());
  CHECK(h.Run({"multi"}).ok());
  const std::string big(100 * 1024, 'x');
  int queued = 0;
  Val last;
  for (int i = 0; i < 20; ++i) {
    last = h.Run({"set", "k" + std::to_string(i), big});
    if (last.kind != Val::Simple) break;
    ++queued;
  }
  CHECK(queued == 10);  // 10 x 100 KB fit in 1 MB, the 11th does not
  CHECK(last.str == shardcache::commands::kErrMultiTooLarge);
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK(h.Run({"exists", "k0"}).num == 0);
  CHECK(h.client->queued.empty());
  CHECK(h.client->queued_args == 0);
  // A fresh transaction starts from zero.
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"set", "k", big}).str == "QUEUED");
  CHECK(h.Run({"exec"}).kind == Val::Array);
}

TEST_CASE("INVALIDATE with 100k exact keys: a key is checked against the spec in one set lookup") {
  std::vector<std::string> owned;
  for (int i = 0; i < 100000; ++i) owned.push_back("user:" + std::to_string(i));
  owned.push_back("course:*");
  std::vector<std::string_view> globs(owned.begin(), owned.end());
  auto spec = shardcache::store::InvalidationSpec::for_patterns(globs);
  CHECK(spec.exact_keys.size() == 100000);
  CHECK(spec.wildcard.size() == 1);
  auto t = std::chrono::steady_clock::now();
  size_t hits = 0;
  for (int i = 0; i < 200000; ++i) hits += spec.matches_key("user:" + std::to_string(i));  // every read/write of a marked shard does this
  CHECK(hits == 100000);
  CHECK(seconds_since(t) < 2.0);  // a linear scan of the patterns would be 2e10 compares
  CHECK(spec.matches_key("course:7"));
  CHECK_FALSE(spec.matches_key("course"));
  CHECK_FALSE(spec.matches_key("user:"));
}

TEST_CASE("INVALIDATE with many exact keys through the dispatcher removes exactly those") {
  Harness h;
  std::vector<std::string> args{"invalidate"};
  for (int i = 0; i < 5000; ++i) {
    h.Run({"set", "u" + std::to_string(i), "v"});
    if (i % 2 == 0) args.push_back("u" + std::to_string(i));
  }
  CHECK(h.Run(args).num == 2500);
  CHECK(h.Run({"dbsize"}).num == 2500);
  CHECK(h.Run({"exists", "u1", "u0"}).num == 1);
}
