// tests/unit/client/near_cache_test.cpp: the near cache without a real server: its LRU store
// (entry and byte bounds, expiry, in-flight tickets that drop a reply invalidated meanwhile),
// and the Client against a tiny tracking server that answers HELLO 3 / CLIENT TRACKING and
// sends RESP3 invalidation pushes (near hits, invalidation, null = flush, a push crossing a
// GET reply, a server that refuses tracking, a hang-up).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache_test_support.h"
#include "client/src/near_cache.h"
#include "protocol/request_parser.h"
#include "shardcache/cache.h"
#include "shardcache/client.h"

using namespace shardcache;
using namespace std::chrono_literals;
using detail::NearCache;

namespace {

NearCacheOptions near_opts(size_t entries, size_t bytes) {
  NearCacheOptions o;
  o.enabled = true;
  o.max_entries = entries;
  o.max_bytes = bytes;
  return o;
}

bool put(NearCache& nc, const std::string& k, const std::string& v, std::chrono::milliseconds ttl = 0ms,
         NearCache::Clock::time_point now = NearCache::Clock::now()) {
  auto t = nc.begin(k);
  return nc.finish(t, v, ttl, true, now);
}

}  // namespace

TEST_CASE("near store: LRU by entries keeps the most recently used") {
  NearCache nc(near_opts(3, 0));
  for (auto k : {"a", "b", "c"}) CHECK(put(nc, k, "v"));
  CHECK(nc.lookup("a").has_value());  // a is now the most recent: b is the LRU
  CHECK(put(nc, "d", "v"));
  CHECK_FALSE(nc.lookup("b").has_value());
  CHECK(nc.lookup("a").has_value());
  CHECK(nc.lookup("c").has_value());
  CHECK(nc.lookup("d").has_value());
  auto s = nc.stats();
  CHECK(s.entries == 3);
  CHECK(s.evictions == 1);
}

TEST_CASE("near store: the byte bound counts key + value + 64 and refuses what cannot fit") {
  NearCache nc(near_opts(0, 3 * (1 + 100 + 64)));
  const std::string v(100, 'x');
  for (auto k : {"a", "b", "c"}) CHECK(put(nc, k, v));
  CHECK(nc.stats().bytes == 3 * 165);
  CHECK(put(nc, "d", v));
  CHECK(nc.stats().entries == 3);
  CHECK(nc.stats().evictions == 1);
  CHECK_FALSE(nc.lookup("a").has_value());
  CHECK_FALSE(put(nc, "big", std::string(1000, 'y')));  // larger than the whole bound
  CHECK(nc.stats().entries == 3);
  CHECK_FALSE(nc.lookup("big").has_value());
}

TEST_CASE("near store: entries expire with their TTL, capped by max_ttl") {
  auto o = near_opts(100, 0);
  o.max_ttl = 1000ms;
  NearCache nc(o);
  const auto t0 = NearCache::Clock::now();
  CHECK(put(nc, "short", "v", 100ms, t0));
  CHECK(put(nc, "forever", "v", 0ms, t0));  // no TTL on the server: max_ttl applies
  CHECK(nc.lookup("short", t0 + 99ms).has_value());
  CHECK_FALSE(nc.lookup("short", t0 + 100ms).has_value());
  CHECK(nc.lookup("forever", t0 + 999ms).has_value());
  CHECK_FALSE(nc.lookup("forever", t0 + 1000ms).has_value());
  CHECK(nc.stats().expirations == 2);
}

TEST_CASE("near store: a reply whose key was invalidated while in flight is discarded") {
  NearCache nc(near_opts(100, 0));
  auto t = nc.begin("k");
  nc.invalidate("k");  // the push crossed the GET's reply
  CHECK_FALSE(nc.finish(t, std::string("old"), 0ms, true));
  CHECK_FALSE(nc.lookup("k").has_value());
  CHECK(nc.stats().discarded == 1);
  // a GET that starts after the invalidation stores normally
  auto t2 = nc.begin("k");
  CHECK(nc.finish(t2, std::string("new"), 0ms, true));
  CHECK(nc.lookup("k") == std::optional<std::string>("new"));
  // another key's invalidation does not discard
  auto t3 = nc.begin("j");
  nc.invalidate("other");
  CHECK(nc.finish(t3, std::string("v"), 0ms, true));
}

TEST_CASE("near store: a flush while a GET is in flight discards its reply; invalidate drops an entry") {
  NearCache nc(near_opts(100, 0));
  CHECK(put(nc, "a", "1"));
  auto t = nc.begin("b");
  nc.flush();
  CHECK_FALSE(nc.finish(t, std::string("2"), 0ms, true));
  CHECK_FALSE(nc.lookup("a").has_value());
  CHECK(put(nc, "a", "1"));
  nc.invalidate("a");
  CHECK_FALSE(nc.lookup("a").has_value());
  auto s = nc.stats();
  CHECK(s.flushes == 1);
  CHECK(s.invalidations == 1);
  CHECK(s.entries == 0);
}

namespace {

/// A RESP3 server on loopback that speaks just enough for the near cache: HELLO 3, CLIENT
/// TRACKING, GET/PTTL from a map, SET; `push_all` writes raw bytes (pushes) to every connection.
class TrackingServer {
 public:
  explicit TrackingServer(bool refuse_tracking = false) : refuse_(refuse_tracking) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(fd_, 16) == 0);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TrackingServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : threads_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int gets() const { return gets_.load(); }
  int accepted() const { return accepted_.load(); }
  void set(const std::string& k, const std::string& v) {
    std::lock_guard lk(mu_);
    data_[k] = v;
  }
  /// Bytes to send before the reply of the next GET (a push crossing the reply).
  void before_next_get(std::string bytes) {
    std::lock_guard lk(mu_);
    before_get_ = std::move(bytes);
  }
  void push_all(const std::string& bytes) {
    std::lock_guard lk(mu_);
    for (int c : fds_) (void)!::write(c, bytes.data(), bytes.size());
  }
  /// Closes every connection (the client sees a hang-up).
  void hang_up_all() {
    std::lock_guard lk(mu_);
    for (int c : fds_) ::shutdown(c, SHUT_RDWR);
  }
  static std::string invalidate(const std::string& key) {
    return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
  }
  static std::string invalidate_all() { return ">2\r\n$10\r\ninvalidate\r\n_\r\n"; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      accepted_++;
      {
        std::lock_guard lk(mu_);
        fds_.push_back(c);
      }
      threads_.emplace_back([this, c] { serve(c); });
    }
  }
  std::string handle(const std::vector<std::string>& a) {
    std::lock_guard lk(mu_);
    if (a[0] == "HELLO") return "%1\r\n$5\r\nproto\r\n:3\r\n";
    if (a[0] == "CLIENT") return refuse_ ? "-ERR unknown subcommand 'TRACKING'\r\n" : "+OK\r\n";
    if (a[0] == "GET") {
      gets_++;
      std::string out = std::exchange(before_get_, "");
      auto it = data_.find(a[1]);
      return out + (it == data_.end() ? "_\r\n" : "$" + std::to_string(it->second.size()) + "\r\n" + it->second + "\r\n");
    }
    if (a[0] == "PTTL") return data_.count(a[1]) ? ":-1\r\n" : ":-2\r\n";
    if (a[0] == "SET") {
      data_[a[1]] = a[2];
      return "+OK\r\n";
    }
    return "-ERR unexpected\r\n";
  }
  void serve(int c) {
    std::string buf;
    protocol::RequestParser parser;
    char tmp[4096];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::read(c, tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      std::string out;
      while (parser.parse(buf) == protocol::ParseStatus::Complete) {
        std::vector<std::string> args(parser.args().begin(), parser.args().end());
        buf.erase(0, parser.consumed());
        out += handle(args);
      }
      if (!out.empty() && ::write(c, out.data(), out.size()) < 0) break;
    }
    std::lock_guard lk(mu_);
    std::erase(fds_, c);
    ::close(c);
  }

  bool refuse_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> gets_{0}, accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::map<std::string, std::string> data_;
  std::string before_get_;
};

ClientOptions near_client(uint16_t port, size_t pool = 1) {
  ClientOptions o;
  o.port = port;
  o.pool_size = pool;
  o.command_timeout = 500ms;
  o.connect_timeout = 500ms;
  o.reconnect_min = 10ms;
  o.reconnect_max = 10ms;
  o.near_cache.enabled = true;
  return o;
}

/// Waits (bounded) until `pred` holds.
template <class P>
bool eventually(P pred, std::chrono::milliseconds limit = 2000ms) {
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < limit) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("near client: the second get is served in process; a push drops it; a null push drops all") {
  TrackingServer server;
  server.set("k", "v1");
  server.set("j", "x");
  Client c(near_client(server.port(), 2));
  bool from_near = true;
  REQUIRE(c.get("k", &from_near).ok());
  CHECK_FALSE(from_near);
  auto again = c.get("k", &from_near);
  REQUIRE(again.ok());
  CHECK(again->value() == "v1");
  CHECK(from_near);
  CHECK(server.gets() == 1);
  CHECK(c.near_cache_active());

  server.set("k", "v2");
  server.push_all(TrackingServer::invalidate("k"));
  // no sleep: the get drains the pending push before trusting its near copy
  auto fresh = c.get("k", &from_near);
  REQUIRE(fresh.ok());
  CHECK(fresh->value() == "v2");
  CHECK_FALSE(from_near);

  REQUIRE(c.get("j").ok());
  REQUIRE(c.get("j", &from_near).ok());
  CHECK(from_near);
  server.push_all(TrackingServer::invalidate_all());
  REQUIRE(c.get("j", &from_near).ok());
  CHECK_FALSE(from_near);
  auto s = c.near_cache_stats();
  CHECK(s.hits == 2);
  CHECK(s.invalidations == 1);
  CHECK(s.flushes >= 1);
}

TEST_CASE("near client: a push that arrives before the GET's reply keeps the reply out of the near cache") {
  TrackingServer server;
  server.set("k", "v1");
  Client c(near_client(server.port()));
  server.before_next_get(TrackingServer::invalidate("k"));
  REQUIRE(c.get("k")->value() == "v1");
  bool from_near = true;
  REQUIRE(c.get("k", &from_near).ok());
  CHECK_FALSE(from_near);  // the first reply was discarded, this one went to the server
  CHECK(server.gets() == 2);
  CHECK(c.near_cache_stats().discarded == 1);
  REQUIRE(c.get("k", &from_near).ok());
  CHECK(from_near);
}

TEST_CASE("near client: a write through the client drops its key at once") {
  TrackingServer server;
  server.set("k", "v1");
  Client c(near_client(server.port()));
  REQUIRE(c.get("k").ok());
  REQUIRE(c.set("k", "v2").ok());  // this fake server sends no push for it
  bool from_near = true;
  CHECK(c.get("k", &from_near)->value() == "v2");
  CHECK_FALSE(from_near);
}

TEST_CASE("near client: a hang-up drops the whole near cache") {
  TrackingServer server;
  server.set("k", "v1");
  Client c(near_client(server.port()));
  REQUIRE(c.get("k").ok());
  REQUIRE(c.near_cache_stats().entries == 1);
  server.hang_up_all();
  CHECK(eventually([&] { return c.near_cache_stats().entries == 0; }));
  CHECK(c.near_cache_stats().flushes == 1);
  bool from_near = true;
  CHECK(c.get("k", &from_near)->value() == "v1");  // reconnects
  CHECK_FALSE(from_near);
  CHECK(server.accepted() == 2);
}

TEST_CASE("near client: a server that refuses CLIENT TRACKING leaves the near cache idle") {
  TrackingServer server(/*refuse_tracking=*/true);
  server.set("k", "v1");
  Client c(near_client(server.port()));
  for (int i = 0; i < 3; ++i) {
    bool from_near = true;
    auto r = c.get("k", &from_near);
    REQUIRE(r.ok());
    CHECK(r->value() == "v1");
    CHECK_FALSE(from_near);
  }
  CHECK(server.gets() == 3);
  CHECK_FALSE(c.near_cache_active());
  CHECK(c.near_cache_stats().entries == 0);
}

TEST_CASE("near client: with_cache logs HIT near, and counts near hits") {
  TrackingServer server;
  server.set("course:1", "json");
  Client c(near_client(server.port()));
  cache_test_support::CapturedLog log;
  CacheOptions co;
  co.logger = log.logger;
  Cache cache(c, co);
  int loads = 0;
  auto load = [&] { ++loads; return std::string("db"); };
  CHECK(cache.with_cache("course:1", 60s, load) == "json");
  CHECK(cache.with_cache("course:1", 60s, load) == "json");
  CHECK(loads == 0);
  CHECK(log.count("debug [Cache] GET course:1: HIT (") == 1);
  CHECK(log.count("debug [Cache] GET course:1: HIT near (") == 1);
  CHECK(cache.stats().near_hits == 1);
  CHECK(cache.stats().hits == 2);
}

TEST_CASE("near options: redis:// URL options") {
  auto o = ClientOptions::from_url("redis://h:1?near_cache=1&near_max_entries=5&near_max_bytes=4096&near_max_ttl=250");
  REQUIRE(o.ok());
  CHECK(o->near_cache.enabled);
  CHECK(o->near_cache.max_entries == 5);
  CHECK(o->near_cache.max_bytes == 4096);
  CHECK(o->near_cache.max_ttl == 250ms);
  CHECK_FALSE(ClientOptions::from_url("redis://h")->near_cache.enabled);
  auto bad = ClientOptions::from_url("redis://h?near_cache=2");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "redis URL: near_cache must be 0 or 1");
}

namespace {
/// A backend whose GET fails like a dead server, counting on_unavailable calls.
class DeadBackend final : public CacheBackend {
 public:
  int unavailable = 0;
  Result<std::optional<std::string>> get(std::string_view) override {
    return Error{ErrorCode::Io, "connection refused"};
  }
  Status set(std::string_view, std::string_view, std::chrono::seconds) override { return Status(); }
  Result<long long> invalidate(const std::vector<std::string>&) override { return 0LL; }
  void on_unavailable() override { ++unavailable; }
};
}  // namespace

TEST_CASE("near cache: the breaker opening tells the backend to drop its near copies") {
  auto backend = std::make_shared<DeadBackend>();
  cache_test_support::CapturedLog log;
  Cache cache(backend, cache_test_support::quick_breaker(log, 10s));
  CHECK(cache.with_cache("k", 60s, [] { return std::string("db"); }) == "db");
  CHECK(backend->unavailable == 1);
  CHECK(cache.with_cache("k", 60s, [] { return std::string("db"); }) == "db");  // BYPASS: no second call
  CHECK(backend->unavailable == 1);
}
