// tests/client_it/cluster_it.cpp: libshardcache's ClusterClient and ClusterCache against three
// real shardcached nodes (tests/integration/suite_cluster_client.sh): set/get with a key in every
// one of the 16384 slots from one seed, hash tags and CROSSSLOT, INVALIDATE / INVALIDATETAG
// summed over the masters, MOVED followed after a topology change (tools/lib/cluster_conf.py
// move + SIGHUP), and a node killed mid-run: its slots fall back to the loader while the keys of
// the other nodes keep hitting (checked with ClusterCache's per-node stats).
// Environment: SC_CLUSTER_PORTS ("p1 p2 p3"), SC_CLUSTER_DIR (node-PORT/pid, the plan),
// SC_CLUSTER_CONF (tools/lib/cluster_conf.py). The test cases run in file order.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shardcache/cluster.h"

using namespace shardcache;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) FAIL("environment variable " << name << " is not set (run tests/integration/suite_cluster_client.sh)");
  return v;
}

std::vector<uint16_t> ports() {
  std::istringstream in(env("SC_CLUSTER_PORTS"));
  std::vector<uint16_t> out;
  for (int p = 0; in >> p;) out.push_back(static_cast<uint16_t>(p));
  REQUIRE(out.size() == 3);
  return out;
}

ClusterOptions options(uint16_t seed) {
  ClusterOptions o;
  o.seeds = {"127.0.0.1:" + std::to_string(seed)};
  o.node.command_timeout = 2000ms;
  o.node.connect_timeout = 1000ms;
  o.node.reconnect_min = 20ms;
  o.node.reconnect_max = 200ms;
  return o;
}

pid_t pid_of(uint16_t port) {
  std::ifstream f(env("SC_CLUSTER_DIR") + "/node-" + std::to_string(port) + "/pid");
  pid_t pid = 0;
  f >> pid;
  REQUIRE(pid > 0);
  return pid;
}

/// One key per hash slot: "cit:<n>" for the smallest n landing in each slot.
std::vector<std::string> key_per_slot() {
  std::vector<std::string> keys(SlotMap::kSlots);
  unsigned found = 0;
  for (unsigned n = 0; found < SlotMap::kSlots && n < 10'000'000; ++n) {
    auto k = "cit:" + std::to_string(n);
    auto& slot = keys[SlotMap::key_slot(k)];
    if (slot.empty()) slot = std::move(k), ++found;
  }
  REQUIRE(found == SlotMap::kSlots);
  return keys;
}

/// Runs f(i) for i in [0, n) on 4 threads.
template <class F>
void parallel(size_t n, F f) {
  std::vector<std::thread> ts;
  for (size_t t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (size_t i = t; i < n; i += 4) f(i);
    });
  for (auto& t : ts) t.join();
}

}  // namespace

TEST_CASE("cluster_it: the map from one seed, a key in every slot set and read back") {
  auto p = ports();
  ClusterClient c(options(p[0]));
  auto masters = c.masters();
  CHECK(masters.size() == 3);
  auto keys = key_per_slot();
  std::atomic<int> bad{0};
  parallel(keys.size(), [&](size_t i) {
    if (!c.set(keys[i], "v" + std::to_string(i)).ok()) ++bad;
  });
  CHECK(bad == 0);
  parallel(keys.size(), [&](size_t i) {
    auto g = c.get(keys[i]);
    if (!g.ok() || !g->has_value() || **g != "v" + std::to_string(i)) ++bad;
  });
  CHECK(bad == 0);
  long long total = 0;
  for (auto port : p) {
    auto n = c.command_on({"127.0.0.1", port}, {"DBSIZE"});
    REQUIRE(n.ok());
    CHECK(n->integer > 4000);  // about a third of the slots each
    total += n->integer;
  }
  CHECK(total == 16384);
  CHECK(c.stats().moved == 0);  // the map was right from the start
}

TEST_CASE("cluster_it: hash tags keep keys together; keys of two slots get CROSSSLOT") {
  auto p = ports();
  ClusterClient c(options(p[1]));
  REQUIRE(c.mset({{"{course:7}:stats", "s"}, {"{course:7}:students", "n"}}).ok());
  auto both = c.mget({"{course:7}:stats", "{course:7}:students"});
  REQUIRE(both.ok());
  CHECK((*both)[0] == "s");
  CHECK((*both)[1] == "n");
  CHECK(c.del({"{course:7}:stats", "{course:7}:students"}).value() == 2);
  auto cross = c.mget({"foo", "bar"});
  REQUIRE_FALSE(cross.ok());
  CHECK(cross.error().code == ErrorCode::Server);
  CHECK(cross.error().message == "CROSSSLOT Keys in request don't hash to the same slot");
  auto cmd = c.command("INCRBY", "{course:7}:n", 5);
  REQUIRE(cmd.ok());
  CHECK(cmd->integer == 5);
  CHECK(c.command("INFO", "server").ok());  // keyless: any master
}

TEST_CASE("cluster_it: INVALIDATE and INVALIDATETAG are summed over the masters") {
  auto p = ports();
  ClusterClient c(options(p[2]));
  auto n = c.invalidate({"cit:*"});
  REQUIRE(n.ok());
  CHECK(*n == 16384);
  CHECK_FALSE(c.get("cit:0")->has_value());
  std::set<std::string> nodes;
  for (int i = 0; i < 60; ++i) {
    auto k = "tagged:" + std::to_string(i);
    REQUIRE(c.set(k, "v", SetOptions().with_tags({"course:9"})).ok());
    nodes.insert(c.node_for(k)->to_string());
  }
  CHECK(nodes.size() == 3);
  auto t = c.invalidate_tags({"course:9"});
  REQUIRE(t.ok());
  CHECK(*t == 60);
  CHECK(c.exists({"tagged:1"}).value() == 0);
}

TEST_CASE("cluster_it: MOVED is followed after a topology change (cluster_conf.py move + SIGHUP)") {
  auto p = ports();
  ClusterClient c(options(p[0]));
  const std::string key = "moving-key";
  const unsigned slot = SlotMap::key_slot(key);
  REQUIRE(c.set(key, "before").ok());
  const auto old_owner = *c.node_for(key);
  uint16_t target = 0;
  for (auto port : p)
    if (port != old_owner.port) target = port;
  const std::string cmd = "/usr/bin/python3 " + env("SC_CLUSTER_CONF") + " move " + env("SC_CLUSTER_DIR") + " " +
                          std::to_string(slot) + " " + std::to_string(slot) + " " + std::to_string(target);
  REQUIRE(std::system(cmd.c_str()) == 0);
  for (auto port : p) REQUIRE(::kill(pid_of(port), SIGHUP) == 0);
  // Each node re-reads its file on its own SIGHUP: wait until the old owner redirects and the
  // new owner serves the slot, or the client could bounce between the two.
  std::string moved;
  bool served = false;
  const auto target_node = NodeAddress{"127.0.0.1", target};
  for (int i = 0; i < 200 && (moved.empty() || !served); ++i) {  // up to 10 s for the reload
    auto r = c.command_on(old_owner, {"GET", key});
    if (!r.ok() && r.error().message.rfind("MOVED", 0) == 0) moved = r.error().message;
    served = c.command_on(target_node, {"GET", key}).ok();
    if (moved.empty() || !served) std::this_thread::sleep_for(50ms);
  }
  CHECK(moved == "MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(target));
  CHECK(served);
  const auto moved_before = c.stats().moved;  // command_on's own MOVED replies may count
  auto first = c.get(key);  // the old map says old_owner: MOVED, followed
  REQUIRE(first.ok());
  CHECK_FALSE(first->has_value());  // a moved slot starts empty on its new node (a cache)
  CHECK(c.stats().moved - moved_before == 1);
  CHECK(c.node_for(key)->port == target);
  REQUIRE(c.set(key, "after").ok());
  CHECK(c.get(key)->value() == "after");
  CHECK(c.stats().moved - moved_before == 1);
  // The whole map is re-read at the first call once min_refresh_interval (100 ms) has passed
  // since the last read.
  std::this_thread::sleep_for(150ms);
  CHECK(c.get(key)->value() == "after");
  CHECK(c.stats().refreshes == 2);
  CHECK(c.node_for(key)->port == target);
}

TEST_CASE("cluster_it: a node killed mid-run falls back to the loader for its slots only") {
  auto p = ports();
  ClusterClient c(options(p[0]));
  CacheOptions co;
  co.breaker.base_backoff = 30s;  // stays open for the rest of the test
  ClusterCache cache(c, co);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("user:" + std::to_string(i) + ":profile");
  std::atomic<int> loads{0};
  auto load = [&](const std::string& k) { return ++loads, "profile of " + k; };
  for (auto& k : keys) CHECK(cache.with_cache(k, 60s, [&] { return load(k); }) == "profile of " + k);
  CHECK(loads == 300);
  for (auto& k : keys) CHECK(cache.with_cache_info(k, 60s, [&] { return load(k); }).from_cache);
  CHECK(loads == 300);

  const uint16_t victim = p[2];
  const std::string victim_addr = "127.0.0.1:" + std::to_string(victim);
  std::map<std::string, int> per_node;
  for (auto& k : keys) per_node[c.node_for(k)->to_string()]++;
  REQUIRE(per_node[victim_addr] > 0);
  REQUIRE(::kill(pid_of(victim), SIGKILL) == 0);
  for (int i = 0; i < 100 && ::kill(pid_of(victim), 0) == 0; ++i) std::this_thread::sleep_for(20ms);

  const auto before = cache.node_stats();
  int from_cache = 0, loaded = 0;
  for (auto& k : keys) {
    auto r = cache.with_cache_info(k, 60s, [&] { return load(k); });  // never throws, never fails
    CHECK(r.value == "profile of " + k);
    (r.from_cache ? from_cache : loaded)++;
    if (c.node_for(k)->to_string() != victim_addr) CHECK_MESSAGE(r.from_cache, k);
  }
  CHECK(loaded == per_node[victim_addr]);
  CHECK(from_cache == 300 - per_node[victim_addr]);
  auto after = cache.node_stats();
  CHECK(after[victim_addr].errors >= 1);
  CHECK(after[victim_addr].bypassed + after[victim_addr].errors - before.at(victim_addr).errors ==
        static_cast<uint64_t>(per_node[victim_addr]));
  CHECK(cache.node({"127.0.0.1", victim}).breaker().state() == CircuitBreaker::State::Open);
  for (auto port : {p[0], p[1]}) {
    auto a = "127.0.0.1:" + std::to_string(port);
    CHECK(after[a].hits - before.at(a).hits == static_cast<uint64_t>(per_node[a]));
    CHECK(after[a].errors == 0);
    CHECK(cache.node({"127.0.0.1", port}).breaker().state() == CircuitBreaker::State::Closed);
  }
  // Invalidation reaches the live nodes; the dead node's share is queued (an Unavailable error).
  auto inv = cache.invalidate({"user:*"});
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.error().code == ErrorCode::Unavailable);
  for (auto& k : keys)
    if (c.node_for(k)->port != victim) {
      CHECK_FALSE(c.get(k)->has_value());
      break;
    }
}
