// tests/unit/client/cluster_test.cpp: the cluster client without a daemon: hash slots, the
// parsers of MOVED / ASK and CLUSTER SLOTS, and ClusterClient / ClusterCache against in-process
// fake nodes: MOVED updates the map and triggers one refresh, ASK sends ASKING and leaves the
// map alone, TRYAGAIN is retried, redirection loops are bounded, CROSSSLOT surfaces, dead seeds
// are skipped, INVALIDATE is summed over the masters, a dead node falls back per node, and
// ClusterOptions from seed URLs.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "shardcache/cluster.h"
#include "tests/unit/client/fake_server.h"

using namespace shardcache;
using namespace std::chrono_literals;
using fake::FakeServer;

namespace {

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }
std::string integer(long long n) { return ":" + std::to_string(n) + "\r\n"; }

/// A CLUSTER SLOTS reply: {start, end, port} ranges on 127.0.0.1.
std::string cluster_slots(const std::vector<std::array<unsigned, 3>>& ranges) {
  std::string r = "*" + std::to_string(ranges.size()) + "\r\n";
  for (auto& [s, e, port] : ranges)
    r += "*3\r\n" + integer(s) + integer(e) + "*3\r\n" + bulk("127.0.0.1") + integer(port) + bulk("id" + std::to_string(port));
  return r;
}

ClusterOptions options_for(std::vector<uint16_t> ports) {
  ClusterOptions o;
  o.seeds.clear();
  for (auto p : ports) o.seeds.push_back("127.0.0.1:" + std::to_string(p));
  o.node.command_timeout = 300ms;
  o.node.connect_timeout = 300ms;
  o.node.reconnect_min = 50ms;
  o.node.reconnect_max = 50ms;
  o.min_refresh_interval = 0ms;
  return o;
}

/// A port nothing listens on (bound, then closed).
uint16_t dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// A key-value fake node: HELLO unknown (RESP2), GET / SET / INVALIDATE on a map, and a
/// CLUSTER SLOTS reply given by `slots()`.
struct KvNode {
  std::mutex mu;
  std::map<std::string, std::string> kv;
  std::function<std::string()> slots;
  std::atomic<int> cluster_slots_calls{0};
  std::string handle(const std::vector<std::string>& a) {
    std::lock_guard g(mu);
    if (a[0] == "HELLO") return "-ERR unknown command 'HELLO'\r\n";
    if (a[0] == "CLUSTER") return ++cluster_slots_calls, slots();
    if (a[0] == "GET") return kv.count(a[1]) ? bulk(kv[a[1]]) : "$-1\r\n";
    if (a[0] == "SET") return kv[a[1]] = a[2], "+OK\r\n";
    if (a[0] == "INVALIDATE") {
      long long n = static_cast<long long>(kv.size());
      kv.clear();
      return integer(n);
    }
    if (a[0] == "PING") return "+PONG\r\n";
    return "-ERR unexpected " + a[0] + "\r\n";
  }
};

}  // namespace

TEST_CASE("cluster: key slots as Redis, hash tags") {
  CHECK(SlotMap::key_slot("foo") == 12182);
  CHECK(SlotMap::key_slot("bar") == 5061);
  CHECK(SlotMap::key_slot("") == 0);
  CHECK(SlotMap::key_slot("{user1000}.following") == SlotMap::key_slot("user1000"));
  CHECK(SlotMap::key_slot("foo{}{bar}") == SlotMap::key_slot("foo{}{bar}"));
  CHECK(SlotMap::key_slot("foo{}{bar}") != SlotMap::key_slot("bar"));  // an empty tag: the whole key
  CHECK(SlotMap::key_slot("{course:7}:stats") == SlotMap::key_slot("{course:7}:students"));
}

TEST_CASE("cluster: MOVED and ASK parsing") {
  auto m = Redirection::parse("MOVED 3999 127.0.0.1:6381");
  REQUIRE(m);
  CHECK_FALSE(m->ask);
  CHECK(m->slot == 3999);
  CHECK(m->node == NodeAddress{"127.0.0.1", 6381});
  auto a = Redirection::parse("ASK 12182 10.0.0.2:7002");
  REQUIRE(a);
  CHECK(a->ask);
  CHECK(a->slot == 12182);
  CHECK(a->node.to_string() == "10.0.0.2:7002");
  auto v6 = Redirection::parse("MOVED 1 [::1]:7000");
  REQUIRE(v6);
  CHECK(v6->node.host == "::1");
  CHECK(v6->node.to_string() == "[::1]:7000");
  auto no_host = Redirection::parse("MOVED 5 :7001");  // Redis 7 with an unknown endpoint
  REQUIRE(no_host);
  CHECK(no_host->node.host.empty());
  CHECK(no_host->node.port == 7001);
  CHECK(NodeAddress::parse("127.0.0.1:7000@17000")->port == 7000);
  for (auto bad : {"MOVED", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:70000",
                   "ASK 1", "ERR MOVED 1 h:1", "moved 1 h:1", "CROSSSLOT Keys in request don't hash to the same slot"})
    CHECK_MESSAGE(!Redirection::parse(bad), bad);
}

TEST_CASE("cluster: SlotMap from a CLUSTER SLOTS reply") {
  auto typed = [](Value::Type t) {
    Value v;
    v.type = t;
    return v;
  };
  auto num = [&](long long n) {
    Value v = typed(Value::Type::Integer);
    v.integer = n;
    return v;
  };
  auto range = [&](long long s, long long e, std::string host, long long port) {
    Value r = typed(Value::Type::Array);
    Value node = typed(Value::Type::Array);
    Value h = typed(Value::Type::Bulk);
    h.str = std::move(host);
    node.elements = {h, num(port)};
    r.elements = {num(s), num(e), node};
    return r;
  };
  Value reply = typed(Value::Type::Array);
  reply.elements = {range(0, 99, "10.0.0.1", 7000), range(100, 16383, "", 7001)};
  auto m = SlotMap::from_cluster_slots(reply, "10.0.0.9");
  REQUIRE(m.ok());
  CHECK(m->covered() == 16384);
  CHECK(*m->owner(0) == NodeAddress{"10.0.0.1", 7000});
  CHECK(*m->owner(99) == NodeAddress{"10.0.0.1", 7000});
  CHECK(*m->owner(100) == NodeAddress{"10.0.0.9", 7001});  // "" = the node that answered
  CHECK(m->masters().size() == 2);
  m->assign(5, NodeAddress{"10.0.0.3", 7003});
  CHECK(m->owner(5)->port == 7003);
  CHECK(m->masters().size() == 3);

  Value unknown = typed(Value::Type::Array);
  unknown.elements = {range(0, 10, "?", 7000)};
  auto u = SlotMap::from_cluster_slots(unknown, "h");
  REQUIRE(u.ok());
  CHECK(u->covered() == 0);
  CHECK(u->owner(3) == nullptr);

  Value bad = typed(Value::Type::Array);
  bad.elements = {range(10, 5, "h", 1)};
  CHECK(SlotMap::from_cluster_slots(bad, "h").error().code == ErrorCode::UnexpectedReply);
  bad.elements = {range(0, 16384, "h", 1)};
  CHECK_FALSE(SlotMap::from_cluster_slots(bad, "h").ok());
  CHECK_FALSE(SlotMap::from_cluster_slots(num(3), "h").ok());
}

TEST_CASE("cluster: MOVED updates the slot at once, then one CLUSTER SLOTS refresh") {
  KvNode a, b;
  std::atomic<bool> moved{false};
  FakeServer sb([&](auto& args) { return b.handle(args); });
  const unsigned foo = SlotMap::key_slot("foo");
  FakeServer sa([&](auto& args) {
    if (moved && args[0] == "GET" && args[1] == "foo") return "-MOVED " + std::to_string(foo) + " 127.0.0.1:" + std::to_string(sb.port()) + "\r\n";
    return a.handle(args);
  });
  auto topo = [&]() -> std::string {
    if (!moved) return cluster_slots({{0, 16383, sa.port()}});
    return cluster_slots({{0, foo - 1, sa.port()}, {foo, foo, sb.port()}, {foo + 1, 16383, sa.port()}});
  };
  a.slots = topo;
  b.slots = topo;
  b.kv["foo"] = "on-b";
  ClusterClient c(options_for({sa.port()}));
  REQUIRE(c.set("bar", "on-a").ok());
  CHECK(c.node_for("foo")->port == sa.port());
  CHECK(c.stats().refreshes == 1);
  moved = true;
  auto v = c.get("foo");
  REQUIRE(v.ok());
  CHECK(v->value() == "on-b");
  CHECK(c.stats().moved == 1);
  CHECK(c.node_for("foo")->port == sb.port());  // the refresh ran before node_for returned
  CHECK(c.stats().refreshes == 2);
  CHECK(c.get("foo")->value() == "on-b");  // no second redirection
  CHECK(c.stats().moved == 1);
  CHECK(c.get("bar")->value() == "on-a");
  CHECK(c.masters().size() == 2);
}

TEST_CASE("cluster: ASK sends ASKING then the command, and leaves the map alone") {
  thread_local bool asking = false;  // one fake connection per thread
  KvNode a;
  std::atomic<int> asked{0};
  FakeServer sb([&](const std::vector<std::string>& args) -> std::string {
    if (args[0] == "HELLO") return "-ERR unknown command 'HELLO'\r\n";
    if (args[0] == "ASKING") return asking = true, "+OK\r\n";
    bool was = std::exchange(asking, false);
    if (args[0] == "GET" && was) return ++asked, bulk("importing");
    return "-MOVED " + std::to_string(SlotMap::key_slot(args[1])) + " 127.0.0.1:1\r\n";
  });
  FakeServer sa([&](auto& args) {
    if (args[0] == "GET" && args[1] == "mig") return "-ASK " + std::to_string(SlotMap::key_slot("mig")) + " 127.0.0.1:" + std::to_string(sb.port()) + "\r\n";
    return a.handle(args);
  });
  a.slots = [&] { return cluster_slots({{0, 16383, sa.port()}}); };
  ClusterClient c(options_for({sa.port()}));
  for (int i = 1; i <= 2; ++i) {
    auto v = c.get("mig");
    REQUIRE_MESSAGE(v.ok(), v.error().to_string());
    CHECK(v->value() == "importing");
    CHECK(c.stats().ask == static_cast<uint64_t>(i));
  }
  CHECK(asked == 2);
  CHECK(c.stats().moved == 0);
  CHECK(c.node_for("mig")->port == sa.port());
  CHECK(c.stats().refreshes == 1);
}

TEST_CASE("cluster: TRYAGAIN is retried; redirection loops and CROSSSLOT surface as errors") {
  KvNode a;
  std::atomic<int> tries{0};
  uint16_t self_port = 0;
  FakeServer sa([&](auto& args) -> std::string {
    if (args[0] == "GET" && args[1] == "busy") return ++tries < 3 ? "-TRYAGAIN Multiple keys request during rehashing of slot\r\n" : bulk("done");
    if (args[0] == "GET" && args[1] == "loop") return "-MOVED " + std::to_string(SlotMap::key_slot("loop")) + " 127.0.0.1:" + std::to_string(self_port) + "\r\n";
    if (args[0] == "MGET") return "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
    return a.handle(args);
  });
  self_port = sa.port();
  a.slots = [&] { return cluster_slots({{0, 16383, sa.port()}}); };
  auto o = options_for({sa.port()});
  o.max_redirects = 3;
  ClusterClient c(o);
  auto busy = c.get("busy");
  REQUIRE(busy.ok());
  CHECK(busy->value() == "done");
  CHECK(c.stats().tryagain == 2);
  auto loop = c.get("loop");
  REQUIRE_FALSE(loop.ok());
  CHECK(loop.error().code == ErrorCode::Server);
  CHECK(loop.error().message.find("too many cluster redirections") == 0);
  CHECK(c.stats().moved == 3);
  auto cross = c.mget({"foo", "bar"});
  REQUIRE_FALSE(cross.ok());
  CHECK(cross.error().message == "CROSSSLOT Keys in request don't hash to the same slot");
}

TEST_CASE("cluster: dead seeds are skipped; no live seed is an Unavailable error") {
  KvNode a;
  FakeServer sa([&](auto& args) { return a.handle(args); });
  a.slots = [&] { return cluster_slots({{0, 16383, sa.port()}}); };
  const uint16_t dead = dead_port();
  ClusterClient c(options_for({dead, sa.port()}));
  REQUIRE(c.set("k", "v").ok());
  CHECK(c.get("k")->value() == "v");
  CHECK(c.ping().value() == "PONG");

  ClusterClient none(options_for({dead}));
  auto r = none.get("k");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Unavailable);
  CHECK(r.error().message.find("no slot map") != std::string::npos);
  CHECK(none.stats().refresh_failures >= 1);
}

TEST_CASE("cluster: INVALIDATE goes to every master and the counts are summed") {
  KvNode a, b;
  FakeServer sa([&](auto& args) { return a.handle(args); });
  FakeServer sb([&](auto& args) { return b.handle(args); });
  auto topo = [&] { return cluster_slots({{0, 8191, sa.port()}, {8192, 16383, sb.port()}}); };
  a.slots = topo;
  b.slots = topo;
  ClusterClient c(options_for({sa.port()}));
  int on_a = 0, on_b = 0;
  for (int i = 0; i < 40; ++i) {
    auto k = "k" + std::to_string(i);
    REQUIRE(c.set(k, "v").ok());
    (SlotMap::key_slot(k) < 8192 ? on_a : on_b)++;
  }
  REQUIRE(on_a > 0);
  REQUIRE(on_b > 0);
  CHECK(a.kv.size() == static_cast<size_t>(on_a));
  auto n = c.invalidate({"k*"});
  REQUIRE(n.ok());
  CHECK(*n == 40);
  CHECK(a.kv.empty());
  CHECK(b.kv.empty());
}

TEST_CASE("cluster cache: a dead node falls back to the loader for its slots only") {
  KvNode a;
  FakeServer sa([&](auto& args) { return a.handle(args); });
  const uint16_t dead = dead_port();
  a.slots = [&] { return cluster_slots({{0, 8191, sa.port()}, {8192, 16383, dead}}); };
  ClusterClient c(options_for({sa.port()}));
  CacheOptions co;
  co.breaker.base_backoff = 60s;  // stays open for the test
  ClusterCache cache(c, co);
  std::string live_key, dead_key;
  for (int i = 0; live_key.empty() || dead_key.empty(); ++i) {
    auto k = "user:" + std::to_string(i) + ":profile";
    (SlotMap::key_slot(k) < 8192 ? live_key : dead_key) = k;
  }
  int loads = 0;
  auto loader = [&] { return ++loads, std::string("loaded"); };
  CHECK(cache.with_cache(live_key, 60s, loader) == "loaded");  // miss, stored
  auto hit = cache.with_cache_info(live_key, 60s, loader);
  CHECK(hit.from_cache);
  CHECK(loads == 1);
  for (int i = 0; i < 3; ++i) {
    auto r = cache.with_cache_info(dead_key, 60s, loader);  // no exception, no error
    CHECK(r.value == "loaded");
    CHECK_FALSE(r.from_cache);
  }
  CHECK(loads == 4);
  CHECK(cache.with_cache_info(live_key, 60s, loader).from_cache);  // the live node still hits
  auto per_node = cache.node_stats();
  const auto live = "127.0.0.1:" + std::to_string(sa.port());
  const auto down = "127.0.0.1:" + std::to_string(dead);
  REQUIRE(per_node.count(live));
  REQUIRE(per_node.count(down));
  CHECK(per_node[live].hits == 2);
  CHECK(per_node[live].errors == 0);
  CHECK(per_node[down].errors == 1);
  CHECK(per_node[down].bypassed == 2);
  CHECK(per_node[down].hits == 0);
  CHECK(cache.node({"127.0.0.1", dead}).breaker().state() == CircuitBreaker::State::Open);
  CHECK(cache.node({"127.0.0.1", sa.port()}).breaker().state() == CircuitBreaker::State::Closed);
  CHECK(cache.stats().hits == 2);
  CHECK(cache.stats().loads == 4);

  // Invalidation: the live node's count; the dead node queues its patterns and says so.
  auto inv = cache.invalidate({"user:*"});
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.error().code == ErrorCode::Unavailable);
  CHECK(inv.error().message.find(down) == 0);
  CHECK(a.kv.empty());
}

TEST_CASE("cluster: options from seed URLs") {
  auto o = ClusterOptions::from_urls({"redis://:pw@10.0.0.1:7000?timeout=200", "redis://10.0.0.2:7001"});
  REQUIRE(o.ok());
  CHECK(o->seeds == std::vector<std::string>{"10.0.0.1:7000", "10.0.0.2:7001"});
  CHECK(o->node.password == "pw");
  CHECK(o->node.command_timeout == 200ms);
  CHECK(o->node.pool_size == 1);  // one pipelined connection per node unless ?pool= says otherwise
  CHECK(ClusterOptions::from_urls({"redis://h:1?pool=3"})->node.pool_size == 3);
  CHECK(ClusterOptions::from_urls({}).error().code == ErrorCode::InvalidArgument);
  CHECK_FALSE(ClusterOptions::from_urls({"redis://h:1", "http://h:2"}).ok());
  CHECK(ClusterOptions().node.pool_size == 1);
}
