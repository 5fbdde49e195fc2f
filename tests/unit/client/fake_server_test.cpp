// tests/unit/client/fake_server_test.cpp: the Client against tiny in-process servers (no
// daemon): RESP2 fallback when HELLO is unknown, timeouts on a server that never answers,
// refused connections and the reconnect backoff, a server that hangs up, garbage replies, a
// request larger than the socket buffer interleaved with other threads' calls.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shardcache/client.h"
#include "tests/unit/client/fake_server.h"

using namespace shardcache;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using fake::FakeServer;

namespace {

ClientOptions opts_for(uint16_t port) {
  ClientOptions o;
  o.port = port;
  o.pool_size = 1;
  o.command_timeout = 150ms;
  o.connect_timeout = 150ms;
  o.reconnect_min = 100ms;
  o.reconnect_max = 100ms;
  return o;
}

/// A RESP2-only server (like Redis 5): HELLO is an unknown command.
std::string resp2_server(const std::vector<std::string>& a) {
  if (a[0] == "HELLO") return "-ERR unknown command 'HELLO', with args beginning with: '3' \r\n";
  if (a[0] == "PING") return "+PONG\r\n";
  if (a[0] == "GET") return a[1] == "k" ? "$5\r\nhello\r\n" : "$-1\r\n";
  return "-ERR unexpected\r\n";
}

double ms_since(Steady::time_point t0) { return std::chrono::duration<double, std::milli>(Steady::now() - t0).count(); }

}  // namespace

TEST_CASE("fake server: RESP2 fallback when HELLO is an unknown command") {
  FakeServer server(resp2_server);
  Client client(opts_for(server.port()));
  auto pong = client.ping();
  REQUIRE(pong.ok());
  CHECK(*pong == "PONG");
  CHECK(client.protocol() == 2);
  auto hit = client.get("k");
  REQUIRE(hit.ok());
  CHECK(hit->value() == "hello");
  auto miss = client.get("other");
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->has_value());
}

TEST_CASE("fake server: protocol=2 sends no HELLO") {
  std::atomic<int> hellos{0};
  FakeServer server([&](const std::vector<std::string>& a) {
    if (a[0] == "HELLO") hellos++;
    return resp2_server(a);
  });
  auto o = opts_for(server.port());
  o.protocol = 2;
  Client client(o);
  REQUIRE(client.ping().ok());
  CHECK(hellos.load() == 0);
  CHECK(client.protocol() == 2);
}

TEST_CASE("fake server: a server that never answers gives Timeout near the configured time") {
  FakeServer server([](const std::vector<std::string>&) { return std::string(); });
  Client client(opts_for(server.port()));
  for (int i = 0; i < 2; ++i) {
    auto t0 = Steady::now();
    auto r = client.get("k");
    double ms = ms_since(t0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::Timeout);
    CHECK(r.error().message.find("within 150 ms") != std::string::npos);
    CHECK(ms >= 140);
    CHECK(ms < 1000);
  }
}

TEST_CASE("fake server: refused connection fails fast, then waits out the backoff") {
  uint16_t port;
  {
    FakeServer s([](const std::vector<std::string>&) { return std::string(); });
    port = s.port();
  }  // nothing listens there any more
  Client client(opts_for(port));
  auto t0 = Steady::now();
  auto r = client.ping();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Io);
  CHECK(r.error().message.find("refused") != std::string::npos);
  CHECK(ms_since(t0) < 100);
  auto again = client.ping();
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::Unavailable);
  CHECK(again.error().message.find("next attempt in") != std::string::npos);
  std::this_thread::sleep_for(110ms);
  auto third = client.ping();
  CHECK(third.error().code == ErrorCode::Io);  // a real attempt again after the backoff
}

TEST_CASE("fake server: a hang-up fails the call; the next call reconnects at once") {
  std::atomic<int> pings{0};
  FakeServer server([&](const std::vector<std::string>& a) -> std::string {
    if (a[0] == "PING" && pings++ == 0) return "CLOSE";
    return resp2_server(a);
  });
  Client client(opts_for(server.port()));
  auto first = client.ping();
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == ErrorCode::Io);
  auto second = client.ping();
  REQUIRE(second.ok());
  CHECK(server.connections() == 2);
}

TEST_CASE("fake server: garbage instead of RESP is a Protocol error") {
  FakeServer server([](const std::vector<std::string>& a) -> std::string {
    if (a[0] == "HELLO") return "-ERR unknown command\r\n";
    return "?what\r\n";
  });
  Client client(opts_for(server.port()));
  auto r = client.ping();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Protocol);
}

TEST_CASE("fake server: AUTH, SELECT and SETNAME are sent before the first command") {
  std::vector<std::string> seen;
  std::mutex mu;
  FakeServer server([&](const std::vector<std::string>& a) {
    {
      std::lock_guard lk(mu);
      std::string line;
      for (auto& x : a) line += (line.empty() ? "" : " ") + x;
      seen.push_back(line);
    }
    if (a[0] == "AUTH" || a[0] == "SELECT" || a[0] == "CLIENT") return std::string("+OK\r\n");
    return resp2_server(a);
  });
  auto url = ClientOptions::from_url("redis://app:pw@127.0.0.1:" + std::to_string(server.port()) + "/2?name=lms&pool=1");
  REQUIRE(url.ok());
  Client client(*url);
  REQUIRE(client.ping().ok());
  std::lock_guard lk(mu);
  CHECK(seen == std::vector<std::string>{"AUTH app pw", "HELLO 3", "SELECT 2", "CLIENT SETNAME lms", "PING"});
}

TEST_CASE("fake server: a value larger than the socket buffer, with calls from other threads meanwhile") {
  // An idle connection lets the caller send its request itself; what the kernel does not take
  // at once must follow through the I/O thread, and nothing may be written in between.
  std::atomic<size_t> stored{0};
  std::atomic<int> pings{0};
  FakeServer server([&](const std::vector<std::string>& a) -> std::string {
    if (a[0] == "HELLO") return "-ERR unknown command 'HELLO'\r\n";
    if (a[0] == "PING") {
      ++pings;
      return "+PONG\r\n";
    }
    if (a[0] == "SET") {
      stored = a[2].size();
      return "+OK\r\n";
    }
    return "-ERR unexpected\r\n";
  });
  auto o = opts_for(server.port());
  o.command_timeout = 10s;
  Client client(o);
  REQUIRE(client.ping().ok());
  const std::string big(32 * 1024 * 1024, 'x');
  std::atomic<int> ok_pings{0};
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) ok_pings += client.ping().ok();
  });
  auto r = client.set("big", big);
  other.join();
  REQUIRE(r.ok());
  CHECK(r->written);
  CHECK(stored.load() == big.size());
  CHECK(ok_pings.load() == 50);
  CHECK(pings.load() == 51);
  CHECK(client.ping().ok());
}

TEST_CASE("client: bad arguments are refused before sending") {
  Client client(opts_for(1));
  CHECK(client.set("k", "v", SetOptions().if_absent().if_exists()).error().code == ErrorCode::InvalidArgument);
  SetOptions two;
  two.ex = 10s;
  two.px = 10ms;
  CHECK(client.set("k", "v", two).error().message.find("only one of") != std::string::npos);
  CHECK(client.del(std::vector<std::string>{}).error().code == ErrorCode::InvalidArgument);
  CHECK(client.mget(std::vector<std::string>{}).error().message == "MGET needs at least one key");
  CHECK(client.mset({}).error().code == ErrorCode::InvalidArgument);
  CHECK(client.invalidate(std::vector<std::string>{}).error().code == ErrorCode::InvalidArgument);
  CHECK(client.command(std::vector<std::string>{}).error().code == ErrorCode::InvalidArgument);
  auto p = client.pipeline();
  p.get("a").set("b", "c", SetOptions().if_absent().if_exists());
  CHECK(p.exec().error().code == ErrorCode::InvalidArgument);
}
