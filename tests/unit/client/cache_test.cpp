// tests/unit/client/cache_test.cpp: the cache-aside helpers over a fake backend (no daemon):
// hit/miss/set and their exact debug lines, single-flight, fallback with one log line per
// outage, the breaker's skip and recovery, invalidation replay, OOM, loader exceptions.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "cache_test_support.h"
#include "shardcache/cache.h"

using cache_test_support::CapturedLog;
using cache_test_support::quick_breaker;

/// A user type with its own Codec (decimal text).
struct Num {
  int v;
};
template <>
struct shardcache::Codec<Num> {
  static std::string encode(const Num& n) { return std::to_string(n.v); }
  static std::optional<Num> decode(std::string_view s) {
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return Num{v};
  }
};

using namespace shardcache;
using namespace std::chrono_literals;

namespace {

/// An in-memory backend whose failures and delays the test controls.
class FakeBackend : public CacheBackend {
 public:
  Result<std::optional<std::string>> get(std::string_view key) override {
    gets++;
    std::this_thread::sleep_for(get_delay);
    if (auto e = failure()) return *e;
    std::lock_guard lk(mu);
    auto it = data.find(std::string(key));
    if (it == data.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl) override {
    sets++;
    if (auto e = failure()) return *e;
    if (oom) return Error{ErrorCode::Server, "OOM command not allowed when used memory > 'maxmemory'."};
    std::lock_guard lk(mu);
    data[std::string(key)] = std::string(value);
    ttls[std::string(key)] = ttl;
    return Status();
  }
  Result<long long> invalidate(const std::vector<std::string>& patterns) override {
    if (auto e = failure()) return *e;
    std::lock_guard lk(mu);
    invalidations.push_back(patterns);
    long long n = 0;
    for (auto& p : patterns) {
      bool prefix = !p.empty() && p.back() == '*';
      std::string stem = prefix ? p.substr(0, p.size() - 1) : p;
      for (auto it = data.begin(); it != data.end();) {
        bool match = prefix ? it->first.rfind(stem, 0) == 0 : it->first == stem;
        if (match) {
          it = data.erase(it);
          ++n;
        } else {
          ++it;
        }
      }
    }
    return n;
  }
  std::optional<Error> failure() {
    if (down) return Error{ErrorCode::Io, "connect to 127.0.0.1:1: Connection refused"};
    return std::nullopt;
  }

  std::mutex mu;
  std::map<std::string, std::string> data;
  std::map<std::string, std::chrono::seconds> ttls;
  std::vector<std::vector<std::string>> invalidations;
  std::atomic<bool> down{false};
  std::atomic<bool> oom{false};
  std::atomic<int> gets{0}, sets{0};
  std::chrono::milliseconds get_delay{0};
};

}  // namespace

TEST_CASE("with_cache: miss loads and stores with the TTL, then hits; exact debug lines") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  int loads = 0;
  auto loader = [&] {
    ++loads;
    return std::string("[\"algebra\"]");
  };
  CHECK(cache.with_cache("courses:active", CacheTTL::MEDIUM, loader) == "[\"algebra\"]");
  CHECK(cache.with_cache("courses:active", CacheTTL::MEDIUM, loader) == "[\"algebra\"]");
  CHECK(loads == 1);
  CHECK(backend->data["courses:active"] == "[\"algebra\"]");
  CHECK(backend->ttls["courses:active"] == 300s);
  auto lines = log.lines();
  REQUIRE(lines.size() == 3);
  CHECK(std::regex_match(lines[0], std::regex(R"(debug \[Cache\] GET courses:active: MISS \(\d+\.\d\dms\))")));
  CHECK(std::regex_match(lines[1], std::regex(R"(debug \[Cache\] SET courses:active: 300s TTL \(\d+\.\d\dms\))")));
  CHECK(std::regex_match(lines[2], std::regex(R"(debug \[Cache\] GET courses:active: HIT \(\d+\.\d\dms\))")));
  auto s = cache.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.sets == 1);
  CHECK(s.loads == 1);
  CHECK(s.hit_ratio() == doctest::Approx(0.5));
}

TEST_CASE("with_cache_info: says whether the value came from the cache") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  auto first = cache.with_cache_info("k", 60s, [] { return std::string("v"); });
  CHECK(first.value == "v");
  CHECK_FALSE(first.from_cache);
  auto second = cache.with_cache_info("k", 60s, [] { return std::string("other"); });
  CHECK(second.value == "v");
  CHECK(second.from_cache);
}

TEST_CASE("with_cache: no debug lines at info level") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  log.logger->set_level(spdlog::level::info);
  Cache cache(backend, quick_breaker(log));
  (void)cache.with_cache("k", CacheTTL::LONG, [] { return std::string("v"); });
  (void)cache.with_cache("k", CacheTTL::LONG, [] { return std::string("v"); });
  CHECK(log.out.str().empty());
  CHECK(backend->ttls["k"] == 1800s);
}

TEST_CASE("TTL classes are the LMS's") {
  CHECK(CacheTTL::MEDIUM == 5min);
  CHECK(CacheTTL::LONG == 30min);
  CHECK(CacheTTL::HOUR == 1h);
}

TEST_CASE("single-flight: N concurrent misses run the loader once") {
  auto backend = std::make_shared<FakeBackend>();
  backend->get_delay = 5ms;
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  std::atomic<int> loads{0};
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  std::vector<std::string> got(kThreads);
  std::atomic<int> ready{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      ready++;
      while (ready.load() < kThreads) std::this_thread::yield();
      got[i] = cache.with_cache("course:7", CacheTTL::LONG, [&] {
        loads++;
        std::this_thread::sleep_for(50ms);  // a slow query
        return std::string("course seven");
      });
    });
  for (auto& t : threads) t.join();
  CHECK(loads.load() == 1);
  for (auto& g : got) CHECK(g == "course seven");
  CHECK(backend->sets.load() == 1);
  CHECK(cache.stats().coalesced + 1 == kThreads);
}

TEST_CASE("single-flight: a loader exception reaches every waiter, and the next call retries") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  std::atomic<int> loads{0};
  std::atomic<int> thrown{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        (void)cache.with_cache("bad", 60s, [&]() -> std::string {
          loads++;
          std::this_thread::sleep_for(30ms);
          throw std::runtime_error("db down");
        });
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "db down") thrown++;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(thrown.load() == 4);
  CHECK(loads.load() >= 1);
  CHECK(loads.load() <= 4);
  CHECK(cache.with_cache("bad", 60s, [] { return std::string("ok now"); }) == "ok now");
  CHECK(backend->data.count("bad") == 1);
}

TEST_CASE("with_cache_param: keyed variant") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  int loads = 0;
  auto get_course = cache.with_cache_param([](int id) { return CacheKeys::course(std::to_string(id)); }, CacheTTL::LONG,
                                           [&](int id) {
                                             ++loads;
                                             return "course " + std::to_string(id);
                                           });
  CHECK(get_course(1) == "course 1");
  CHECK(get_course(2) == "course 2");
  CHECK(get_course(1) == "course 1");
  CHECK(loads == 2);
  CHECK(backend->data["course:2"] == "course 2");
}

TEST_CASE("fallback: cache down returns the loader's value, logs once, skips during backoff, recovers") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log, 100ms));
  backend->down = true;
  int loads = 0;
  auto loader = [&] {
    ++loads;
    return std::string("from db");
  };
  for (int i = 0; i < 20; ++i) CHECK(cache.with_cache("k", 60s, loader) == "from db");
  CHECK(loads == 20);
  CHECK(backend->gets.load() == 1);  // the breaker skipped the other 19
  CHECK(log.count("warning [Cache] unavailable") == 1);
  CHECK(cache.breaker().state() == CircuitBreaker::State::Open);
  CHECK(cache.stats().bypassed == 19);

  std::this_thread::sleep_for(110ms);  // a failed probe doubles the backoff, still one warning
  CHECK(cache.with_cache("k", 60s, loader) == "from db");
  CHECK(backend->gets.load() == 2);
  CHECK(log.count("warning") == 1);

  backend->down = false;
  std::this_thread::sleep_for(210ms);
  CHECK(cache.with_cache("k", 60s, loader) == "from db");  // probe: miss, load, store
  CHECK(cache.breaker().state() == CircuitBreaker::State::Closed);
  CHECK(log.count("info [Cache] available again") == 1);
  int before = loads;
  CHECK(cache.with_cache("k", 60s, loader) == "from db");
  CHECK(loads == before);  // a hit again
}

TEST_CASE("fallback: OOM on SET returns the value and logs once per episode") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  backend->oom = true;
  for (int i = 0; i < 5; ++i) CHECK(cache.with_cache("k" + std::to_string(i), 60s, [] { return std::string("v"); }) == "v");
  CHECK(log.count("warning [Cache] SET failed: OOM") == 1);
  CHECK(cache.breaker().state() == CircuitBreaker::State::Closed);  // reads still work
  backend->oom = false;
  CHECK(cache.with_cache("ok", 60s, [] { return std::string("v"); }) == "v");
  backend->oom = true;
  CHECK(cache.with_cache("k9", 60s, [] { return std::string("v"); }) == "v");
  CHECK(log.count("warning [Cache] SET failed: OOM") == 2);
}

TEST_CASE("invalidation: patterns reach the backend; while down they are queued and replayed first") {
  auto backend = std::make_shared<FakeBackend>();
  CapturedLog log;
  Cache cache(backend, quick_breaker(log, 50ms));
  Invalidator inv(cache);
  backend->data = {{"course:1", "a"}, {"course:1:stats", "b"}, {"course:10", "c"}, {"student:5:dashboard", "d"},
                   {"analytics:revenue", "e"}, {"course:2:students", "f"}};
  auto r = inv.course_updated("1");
  REQUIRE(r.ok());
  CHECK(*r == 2);
  CHECK(backend->data.count("course:10") == 1);
  REQUIRE(inv.payment_completed("5").ok());
  CHECK(backend->data.count("student:5:dashboard") == 0);
  CHECK(backend->data.count("analytics:revenue") == 0);
  REQUIRE(inv.student_enrolled("6", "2").ok());
  CHECK(backend->invalidations.back() == std::vector<std::string>{"student:6:*", "course:2:*"});
  CHECK(backend->data.count("course:2:students") == 0);

  backend->down = true;
  auto failed = inv.course_updated("10");
  CHECK_FALSE(failed.ok());
  CHECK(cache.breaker().state() == CircuitBreaker::State::Open);
  auto queued = inv.course_updated("11");
  CHECK(queued.error().code == ErrorCode::Unavailable);
  backend->down = false;  // back, still holding the stale course:10
  std::this_thread::sleep_for(60ms);
  CHECK(cache.with_cache("course:10", 60s, [] { return std::string("fresh"); }) == "fresh");
  CHECK(backend->invalidations.back() == std::vector<std::string>{"course:10", "course:10:*", "course:11", "course:11:*"});
}

TEST_CASE("a custom Codec: a stored value that does not decode is reloaded and overwritten") {
  auto backend = std::make_shared<FakeBackend>();
  backend->data["n"] = "not a number";
  CapturedLog log;
  Cache cache(backend, quick_breaker(log));
  int loads = 0;
  auto loader = [&] {
    ++loads;
    return Num{42};
  };
  CHECK(cache.with_cache("n", 60s, loader).v == 42);
  CHECK(backend->data["n"] == "42");
  CHECK(cache.with_cache("n", 60s, loader).v == 42);
  CHECK(loads == 1);
}
