// tests/client_it/fallback_test.cpp: graceful fallback and timeouts against real processes: a
// daemon killed mid-run and restarted on the same port, a server that never answers
// (SC_SILENT_PORT), one whose accept queue is full so connects hang (SC_BLACKHOLE_PORT), a
// daemon out of memory; plus the TTL classes and the Invalidator's three events.
#include <doctest/doctest.h>

#include <atomic>

#include "it_support.h"
#include "shardcache/cache.h"

using namespace shardcache;
using namespace it;

TEST_CASE("fallback: kill the daemon mid-run; every call still returns the loader's value; then recovery") {
  Daemon d;
  auto o = daemon_options(d.port());
  o.command_timeout = 300ms;
  o.connect_timeout = 300ms;
  Client c(o);
  CapturedLog log;
  Cache cache(c, quick_breaker(log, 100ms));
  Invalidator inv(cache);
  std::atomic<int> loads{0};
  auto load = [&](const std::string& key) {
    return cache.with_cache(key, CacheTTL::LONG, [&] {
      loads++;
      return "db:" + key;
    });
  };
  const std::vector<std::string> keys{"course:1", "course:2", "course:3", "courses:active", "analytics:platform"};
  for (int round = 0; round < 4; ++round)
    for (auto& k : keys) REQUIRE(load(k) == "db:" + k);
  CHECK(loads.load() == 5);
  CHECK(cache.stats().hits == 15);

  d.kill();
  for (int i = 0; i < 60; ++i) {
    const auto& k = keys[static_cast<size_t>(i) % keys.size()];
    auto t0 = Steady::now();
    CHECK(load(k) == "db:" + k);
    CHECK(ms_since(t0) < 350);  // refused connections fail fast; never worse than one timeout
    if (i == 30) CHECK_FALSE(inv.course_updated("1").ok());  // queued for replay
  }
  CHECK(loads.load() == 65);
  CHECK(log.count("warning [Cache] unavailable") == 1);  // logged once, not per call
  CHECK(cache.stats().bypassed > 0);

  d.start();  // same port
  bool recovered = false;
  auto t0 = Steady::now();
  while (ms_since(t0) < 5000 && !recovered) {
    for (auto& k : keys) CHECK(load(k) == "db:" + k);
    recovered = cache.breaker().state() == CircuitBreaker::State::Closed && c.get("course:2").value_or(std::nullopt).has_value();
    if (!recovered) std::this_thread::sleep_for(50ms);
  }
  REQUIRE_MESSAGE(recovered, "the cache was not used again within 5 s of the restart");
  MESSAGE("cache used again " << ms_since(t0) << " ms after the restart");
  CHECK(log.count("info [Cache] available again") == 1);
  CHECK(log.count("debug [Cache] INVALIDATE course:1 course:1:*") == 1);  // the queued event, replayed
  const auto hits = cache.stats().hits;
  CHECK(load("course:2") == "db:course:2");
  CHECK(cache.stats().hits == hits + 1);
}

TEST_CASE("fallback: a server that never answers costs one timeout, then calls skip the cache") {
  auto o = daemon_options(env_port("SC_SILENT_PORT"));
  o.command_timeout = 200ms;
  Client c(o);
  CapturedLog log;
  Cache cache(c, quick_breaker(log, 2000ms));
  auto t0 = Steady::now();
  CHECK(cache.with_cache("k", CacheTTL::MEDIUM, [] { return std::string("loaded"); }) == "loaded");
  const double first = ms_since(t0);
  CHECK(first >= 190);
  CHECK(first < 1500);
  for (int i = 0; i < 10; ++i) {
    t0 = Steady::now();
    CHECK(cache.with_cache("k", CacheTTL::MEDIUM, [] { return std::string("loaded"); }) == "loaded");
    CHECK(ms_since(t0) < 50);
  }
  CHECK(log.count("warning [Cache] unavailable (GET failed: timeout:") == 1);
  CHECK(cache.stats().bypassed == 10);
}

TEST_CASE("timeouts: no reply within command_timeout; connect hanging past connect_timeout") {
  auto o = daemon_options(env_port("SC_SILENT_PORT"));
  o.command_timeout = 250ms;
  Client silent(o);
  auto t0 = Steady::now();
  auto r = silent.get("k");
  double ms = ms_since(t0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Timeout);
  CHECK(ms >= 240);
  CHECK(ms < 1500);

  auto b = daemon_options(env_port("SC_BLACKHOLE_PORT"));
  b.connect_timeout = 300ms;
  b.command_timeout = 5000ms;
  Client hole(b);
  t0 = Steady::now();
  auto h = hole.ping();
  ms = ms_since(t0);
  REQUIRE_FALSE(h.ok());
  CHECK(h.error().code == ErrorCode::Timeout);
  CHECK(h.error().message.find("connect to") != std::string::npos);
  CHECK(ms >= 290);
  CHECK(ms < 2000);
}

TEST_CASE("fallback: out of memory on SET returns the loader's value, logged once; reads still hit") {
  Daemon d({"--maxmemory", "1mb", "--maxmemory-policy", "noeviction", "--shards", "1"});  // one budget
  Client c(daemon_options(d.port()));
  REQUIRE(c.set("seed", "cached").ok());
  // Fill until even a tiny value is refused (large values are refused first).
  bool oom = false;
  int n = 0;
  for (size_t size : {8000, 1000, 100, 1}) {
    for (int i = 0; i < 5000; ++i) {
      auto s = c.set("fill:" + std::to_string(n++), std::string(size, 'x'));
      if (!s.ok()) {
        CHECK(s.error().is_oom());
        oom = true;
        break;
      }
    }
  }
  REQUIRE(oom);
  CapturedLog log;
  Cache cache(c, quick_breaker(log, 100ms));
  for (int i = 0; i < 5; ++i)
    CHECK(cache.with_cache("new:" + std::to_string(i), CacheTTL::MEDIUM, [] { return std::string("from db"); }) == "from db");
  CHECK(log.count("warning [Cache] SET failed: OOM") == 1);
  CHECK(cache.breaker().state() == CircuitBreaker::State::Closed);
  CHECK(cache.with_cache("seed", CacheTTL::MEDIUM, [] { return std::string("from db"); }) == "cached");
}

TEST_CASE("TTL classes: MEDIUM 5 min, LONG 30 min, HOUR 1 h on the stored keys") {
  Client c(daemon_options());
  Cache cache(c);
  const auto k = prefix("ttl");
  (void)c.del({k + "dash", k + "course", k + "analytics"});
  (void)cache.with_cache(k + "dash", CacheTTL::MEDIUM, [] { return std::string("d"); });
  (void)cache.with_cache(k + "course", CacheTTL::LONG, [] { return std::string("c"); });
  (void)cache.with_cache(k + "analytics", CacheTTL::HOUR, [] { return std::string("a"); });
  auto near = [](long long ttl, long long want) { return ttl <= want && ttl >= want - 5; };
  CHECK(near(c.ttl(k + "dash").value(), 300));
  CHECK(near(c.ttl(k + "course").value(), 1800));
  CHECK(near(c.ttl(k + "analytics").value(), 3600));
}

TEST_CASE("Invalidator: the LMS's three events remove exactly their keys") {
  Client c(daemon_options());
  Cache cache(c);
  Invalidator inv(cache);
  const std::vector<std::string> keys{"course:9042",         "course:9042:stats",   "course:9042:students", "course:90421",
                                      "student:77:dashboard", "student:77:courses",  "student:770:dashboard",
                                      "analytics:platform",  "analytics:revenue",   "courses:active"};
  std::vector<std::pair<std::string, std::string>> kvs;
  for (auto& k : keys) kvs.emplace_back(k, "v");
  REQUIRE(c.mset(kvs).ok());
  auto left = [&] {
    std::vector<std::string> v;
    for (auto& k : keys)
      if (c.get(k)->has_value()) v.push_back(k);
    return v;
  };
  auto r = inv.course_updated("9042");
  REQUIRE(r.ok());
  CHECK(*r == 3);
  CHECK(left() == std::vector<std::string>{"course:90421", "student:77:dashboard", "student:77:courses",
                                           "student:770:dashboard", "analytics:platform", "analytics:revenue",
                                           "courses:active"});
  REQUIRE(inv.student_enrolled("77", "90421").ok());
  CHECK(left() == std::vector<std::string>{"course:90421", "student:770:dashboard", "analytics:platform",
                                           "analytics:revenue", "courses:active"});
  REQUIRE(inv.payment_completed("770").ok());
  CHECK(left() == std::vector<std::string>{"course:90421", "courses:active"});
  (void)c.del({"course:90421", "courses:active"});
}
