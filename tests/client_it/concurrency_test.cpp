// tests/client_it/concurrency_test.cpp: many threads on one Client (automatic pipelining on a
// small pool: every reply must reach its own caller), the pool's connection count, and
// single-flight of the helpers against the real daemon (N concurrent misses, one loader call).
#include <doctest/doctest.h>

#include <atomic>

#include "it_support.h"
#include "shardcache/cache.h"

using namespace shardcache;
using namespace it;

TEST_CASE("pipelining: 16 threads on a 2-connection pool, every reply reaches its caller") {
  auto o = daemon_options();
  o.pool_size = 2;
  o.client_name = "it-pool";
  Client c(o);
  const auto k = prefix("threads");
  constexpr int kThreads = 16, kOps = 1500;
  std::atomic<int> wrong{0}, errors{0};
  std::vector<std::thread> threads;
  auto t0 = Steady::now();
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const std::string key = k + std::to_string(t) + ":" + std::to_string(i % 50);
        const std::string val = std::to_string(t) + "/" + std::to_string(i);
        if (!c.set(key, val).ok()) errors++;
        auto g = c.get(key);
        if (!g.ok()) errors++;
        else if (g->value_or("") != val) wrong++;
        if (i % 100 == 0) {
          auto n = c.incr(k + "counter");
          if (!n.ok()) errors++;
        }
      }
    });
  for (auto& th : threads) th.join();
  const double ms = ms_since(t0);
  const int calls = kThreads * kOps * 2;
  const std::string note = std::to_string(calls) + " calls from 16 threads in " + std::to_string(ms) + " ms";
  MESSAGE(note);
  CHECK(errors.load() == 0);
  CHECK(wrong.load() == 0);
  CHECK(c.get(k + "counter")->value() == std::to_string(kThreads * (kOps / 100)));
  // all of it went over the pool's two connections (named by CLIENT SETNAME at connect)
  auto list = c.command("CLIENT", "LIST");
  REQUIRE(list.ok());
  size_t named = 0;
  for (size_t pos = 0; (pos = list->str.find("name=it-pool ", pos)) != std::string::npos; ++pos) ++named;
  CHECK(named == 2);
}

TEST_CASE("pipelining: concurrent explicit pipelines and single calls interleave correctly") {
  Client c(daemon_options());
  const auto k = prefix("mixed");
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto p = c.pipeline();
        const std::string key = k + std::to_string(t);
        p.set(key, std::to_string(i)).get(key).add("ECHO", std::to_string(t * 1000 + i));
        auto r = p.exec();
        if (!r.ok() || r->size() != 3 || (*r)[1].str != std::to_string(i) || (*r)[2].str != std::to_string(t * 1000 + i))
          bad++;
        auto e = c.command("ECHO", std::to_string(-i));
        if (!e.ok() || e->str != std::to_string(-i)) bad++;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(bad.load() == 0);
}

TEST_CASE("single-flight: 32 concurrent misses on one key run the loader once") {
  Client c(daemon_options());
  CapturedLog log;
  CacheOptions co;
  co.logger = log.logger;
  Cache cache(c, co);
  const std::string key = prefix("singleflight") + "courses:active";
  (void)c.del(key);
  std::atomic<int> loads{0}, ready{0};
  constexpr int kThreads = 32;
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < kThreads) std::this_thread::yield();
      got[static_cast<size_t>(i)] = cache.with_cache(key, CacheTTL::MEDIUM, [&] {
        loads++;
        std::this_thread::sleep_for(100ms);
        return std::string("[1,2,3]");
      });
    });
  for (auto& th : threads) th.join();
  CHECK(loads.load() == 1);
  for (auto& g : got) CHECK(g == "[1,2,3]");
  CHECK(c.get(key)->value() == "[1,2,3]");
  CHECK(log.count("debug [Cache] GET " + key + ": MISS (") == 1);
  CHECK(log.count("debug [Cache] SET " + key + ": 300s TTL (") == 1);
  // afterwards: hits, still no loader call
  CHECK(cache.with_cache(key, CacheTTL::MEDIUM, [&] {
    loads++;
    return std::string("x");
  }) == "[1,2,3]");
  CHECK(loads.load() == 1);
  CHECK(log.count("debug [Cache] GET " + key + ": HIT (") == 1);
}
