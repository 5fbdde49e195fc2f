// tests/client_it/near_it.cpp: the near cache against a real server with CLIENT TRACKING, which
// this binary starts itself: NEAR_TARGET=redis (redis-server from PATH, or REDIS_SERVER) or
// NEAR_TARGET=shardcached (the default; SHARDCACHED names the binary). Near hits, another
// client's writes seen right after their acknowledgement, TTL, FLUSHALL, a server restart,
// the LRU bound, with_cache's HIT near, and a race of writers and near readers with a checker:
// no reader ever returns a value older than the newest write acknowledged before its read.
// Run by tests/integration/near_cache.sh.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "it_support.h"
#include "shardcache/cache.h"

using namespace shardcache;
using namespace it;

namespace {

std::string target() {
  const char* t = std::getenv("NEAR_TARGET");
  return t && *t ? t : "shardcached";
}

/// The server under test on a free loopback port, killed (SIGKILL) and restartable.
class Server {
 public:
  Server() : port_(free_port()) { start(); }
  ~Server() { kill(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  uint16_t port() const { return port_; }

  void start() {
    std::vector<std::string> args;
    if (target() == "redis") {
      const char* bin = std::getenv("REDIS_SERVER");
      args = {bin && *bin ? bin : "redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port_), "--save", "",
              "--appendonly", "no", "--daemonize", "no"};
    } else {
      args = {env("SHARDCACHED"), "--bind", "127.0.0.1", "--port", std::to_string(port_), "--http-port", "0", "--save", "",
              "--threads", "2"};
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    REQUIRE(pid_ > 0);
    REQUIRE_MESSAGE(wait_listening(port_), target() << " did not start on port " << port_);
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
};

ClientOptions near_options(uint16_t port, size_t pool = 2) {
  auto o = daemon_options(port);
  o.pool_size = pool;
  o.near_cache.enabled = true;
  return o;
}

/// How long after a write's acknowledgement a near reader may still return the previous value:
/// the time for the server's invalidation push to reach the reader's socket. Redis 7.0 writes
/// the writer's reply before the push to other clients (both in one event-loop pass), so the
/// window is not zero there. NEAR_STALE_WINDOW_US overrides (0 for a server that writes pushes
/// before the reply).
double stale_window_us() {
  const char* w = std::getenv("NEAR_STALE_WINDOW_US");
  return w && *w ? std::atof(w) : 20000.0;
}

/// A plain client (no near cache) for the "other" writer.
ClientOptions plain_options(uint16_t port) { return daemon_options(port); }

}  // namespace

TEST_CASE("near: a repeated get is served in process, and another client's acknowledged write is seen at once") {
  MESSAGE("NEAR_TARGET=" << target());
  Server s;
  Client reader(near_options(s.port()));
  Client writer(plain_options(s.port()));
  REQUIRE(writer.set("n:k", "0").ok());
  REQUIRE(reader.get("n:k").ok());
  CHECK(reader.near_cache_active());
  int near_hits = 0, stale_at_once = 0;
  double worst_us = 0;  // ack -> start of the last read that still returned the old value
  for (int i = 1; i <= 300; ++i) {
    bool from_near = false;
    auto r = reader.get("n:k", &from_near);  // a near hit (the value is unchanged since the last read)
    REQUIRE(r.ok());
    near_hits += from_near;
    REQUIRE(writer.set("n:k", std::to_string(i)).ok());
    const auto acked = Steady::now();
    // No sleep: the push is drained before any near copy is trusted. A stale value can only
    // be served while the push is still on its way to the reader's socket (stale_window_us).
    for (int tries = 0;; ++tries) {
      const double started_us = ms_since(acked) * 1000;
      auto after = reader.get("n:k");
      REQUIRE(after.ok());
      if (after->value_or("") == std::to_string(i)) break;
      stale_at_once += tries == 0;
      worst_us = std::max(worst_us, started_us);
      REQUIRE(Steady::now() - acked < 1s);
    }
  }
  MESSAGE("near hits " << near_hits << "/300; stale right after the ack: " << stale_at_once
                       << "; worst ack -> fresh read " << worst_us << " us (window " << stale_window_us() << " us)");
  CHECK(near_hits >= 290);
  CHECK(worst_us <= stale_window_us());
  CHECK(reader.near_cache_stats().invalidations > 0);
}

TEST_CASE("near: entries live no longer than the key's TTL") {
  Server s;
  Client reader(near_options(s.port()));
  Client writer(plain_options(s.port()));
  REQUIRE(writer.set("n:ttl", "v", SetOptions().expire_in(std::chrono::milliseconds(300))).ok());
  REQUIRE(reader.get("n:ttl")->value() == "v");
  bool from_near = false;
  REQUIRE(reader.get("n:ttl", &from_near)->value() == "v");
  CHECK(from_near);
  std::this_thread::sleep_for(400ms);
  auto r = reader.get("n:ttl");
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
}

TEST_CASE("near: FLUSHALL from another client empties the near cache") {
  Server s;
  Client reader(near_options(s.port()));
  Client writer(plain_options(s.port()));
  for (int i = 0; i < 5; ++i) REQUIRE(writer.set("n:f" + std::to_string(i), "v").ok());
  for (int i = 0; i < 5; ++i) REQUIRE(reader.get("n:f" + std::to_string(i)).ok());
  REQUIRE(reader.near_cache_stats().entries == 5);
  REQUIRE(writer.command("FLUSHALL").ok());
  const auto acked = Steady::now();
  double last_stale_us = 0;  // the old values may be served only while the push is on its way
  for (int i = 0; i < 5; ++i) {
    for (;;) {
      const double started_us = ms_since(acked) * 1000;
      auto r = reader.get("n:f" + std::to_string(i));
      REQUIRE(r.ok());
      if (!r->has_value()) break;
      last_stale_us = started_us;
      REQUIRE(Steady::now() - acked < 1s);
    }
  }
  CHECK(last_stale_us <= stale_window_us());
  CHECK(reader.near_cache_stats().flushes >= 1);
}

TEST_CASE("near: a server restart drops the near cache (pushes may have been missed)") {
  Server s;
  Client reader(near_options(s.port(), 1));
  {
    Client writer(plain_options(s.port()));
    REQUIRE(writer.set("n:r", "before").ok());
  }
  REQUIRE(reader.get("n:r")->value() == "before");
  REQUIRE(reader.near_cache_stats().entries == 1);
  s.kill();
  s.start();  // an empty server on the same port
  auto t0 = Steady::now();
  while (reader.near_cache_stats().flushes == 0 && Steady::now() - t0 < 3s) std::this_thread::sleep_for(5ms);
  CHECK(reader.near_cache_stats().flushes >= 1);
  CHECK(reader.near_cache_stats().entries == 0);
  std::optional<std::string> after = std::string("?");
  for (int i = 0; i < 50; ++i) {  // the first calls may meet the reconnect
    auto r = reader.get("n:r");
    if (r.ok()) {
      after = *r;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(after.has_value());
}

TEST_CASE("near: the entry bound evicts the least recently used") {
  Server s;
  auto o = near_options(s.port());
  o.near_cache.max_entries = 10;
  Client reader(o);
  Client writer(plain_options(s.port()));
  for (int i = 0; i < 20; ++i) REQUIRE(writer.set("n:l" + std::to_string(i), "v").ok());
  for (int i = 0; i < 20; ++i) REQUIRE(reader.get("n:l" + std::to_string(i)).ok());
  auto st = reader.near_cache_stats();
  CHECK(st.entries == 10);
  CHECK(st.evictions == 10);
  bool from_near = true;
  REQUIRE(reader.get("n:l0", &from_near).ok());
  CHECK_FALSE(from_near);
  REQUIRE(reader.get("n:l19", &from_near).ok());
  CHECK(from_near);
}

TEST_CASE("near: with_cache says where a hit came from") {
  Server s;
  Client c(near_options(s.port()));
  CapturedLog log;
  Cache cache(c, quick_breaker(log));
  int loads = 0;
  auto load = [&] {
    ++loads;
    return std::string("from-db");
  };
  CHECK(cache.with_cache("n:wc", 60s, load) == "from-db");  // MISS, then SET
  // HIT from the server, now tracked. The server's push for our own SET may still arrive while
  // that GET is in flight; its reply is then not kept, and the next call reads the server again.
  int calls = 1;
  while (cache.stats().near_hits == 0 && calls < 10) {
    CHECK(cache.with_cache("n:wc", 60s, load) == "from-db");
    ++calls;
  }
  CHECK(loads == 1);
  CHECK(log.count("debug [Cache] GET n:wc: MISS") == 1);
  CHECK(log.count("debug [Cache] GET n:wc: HIT (") >= 1);
  CHECK(log.count("debug [Cache] GET n:wc: HIT (") <= 3);
  CHECK(log.count("debug [Cache] GET n:wc: HIT near (") == 1);
  CHECK(cache.stats().near_hits == 1);
  CHECK(cache.with_cache("n:wc", 60s, load) == "from-db");
  CHECK(cache.stats().near_hits == 2);
}

TEST_CASE("near: race of writers and near readers; no read older than the newest acknowledged write") {
  Server s;
  constexpr int kKeys = 32, kWriters = 2, kReaders = 4;
  const auto duration = 3s;
  std::array<std::atomic<long long>, kKeys> acked{};
  // When each recent version was acknowledged: ack_ns[k][v % kRing] for version v of key k.
  constexpr long long kRing = 64;
  std::vector<std::array<std::atomic<long long>, kRing>> ack_ns(kKeys);
  const auto t_base = Steady::now();
  auto now_ns = [&] { return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - t_base).count(); };
  Client near1(near_options(s.port()));
  Client near2(near_options(s.port()));
  {
    Client w(plain_options(s.port()));
    for (int k = 0; k < kKeys; ++k) REQUIRE(w.set("n:race" + std::to_string(k), "0").ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<long long> writes{0}, reads{0}, near_hits{0}, stale{0}, in_window{0}, errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      Client c(plain_options(s.port()));
      std::mt19937 rng(w);
      std::vector<long long> version(kKeys, 0);
      while (!stop) {
        int k = static_cast<int>(rng() % (kKeys / kWriters)) * kWriters + w;  // each key has one writer
        const long long v = ++version[k];
        if (!c.set("n:race" + std::to_string(k), std::to_string(v)).ok()) {
          errors++;
          continue;
        }
        ack_ns[k][v % kRing].store(now_ns());
        acked[k].store(v);  // acknowledged: from now on no reader may return less (after the window)
        writes++;
        std::this_thread::sleep_for(200us);
      }
    });
  for (int r = 0; r < kReaders; ++r)
    threads.emplace_back([&, r] {
      Client& c = r % 2 ? near2 : near1;
      std::mt19937 rng(100 + r);
      std::geometric_distribution<int> skew(0.2);  // hot keys first, as a Zipf-like mix
      while (!stop) {
        const int k = std::min(skew(rng), kKeys - 1);
        const long long known = acked[k].load();
        const long long started = now_ns();
        bool from_near = false;
        auto g = c.get("n:race" + std::to_string(k), &from_near);
        if (!g.ok() || !g->has_value()) {
          errors++;
          continue;
        }
        reads++;
        near_hits += from_near;
        const long long got = std::stoll(**g);
        if (got >= known) continue;
        // An older value, read while the push of the first newer write (got + 1) may still be on
        // its way: allowed for the window after that write was acknowledged. The push reaches a
        // reader after the writer's reply (as Redis sends it), so two quick writes can both be
        // acknowledged before the first one's push arrives.
        const long long newer_at = ack_ns[k][(got + 1) % kRing].load();
        if (known - got < kRing && double(started - newer_at) / 1000.0 <= stale_window_us()) {
          in_window++;
          continue;
        }
        if (stale++ < 5)
          MESSAGE("stale: key " << k << " read " << got << " " << (started - newer_at) / 1000 << " us after write "
                                << got + 1 << " was acknowledged (newest acknowledged: " << known << ")");
      }
    });
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& t : threads) t.join();
  MESSAGE("writes " << writes.load() << ", reads " << reads.load() << ", near hits " << near_hits.load() << ", stale "
                    << stale.load() << ", older value inside the window " << in_window.load()
                    << ", discarded " << near1.near_cache_stats().discarded + near2.near_cache_stats().discarded);
  CHECK(errors == 0);
  CHECK(stale == 0);
  CHECK(writes > 1000);
  CHECK(near_hits > reads / 4);  // the near cache really served reads during the race
  for (int k = 0; k < kKeys; ++k) {  // and it settles on the last write
    CHECK(near1.get("n:race" + std::to_string(k))->value() == std::to_string(acked[k].load()));
    CHECK(near2.get("n:race" + std::to_string(k))->value() == std::to_string(acked[k].load()));
  }
}
