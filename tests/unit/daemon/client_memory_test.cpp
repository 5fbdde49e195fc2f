// tests/unit/daemon/client_memory_test.cpp: client-output-buffer-limit and maxmemory-clients:
// their CONFIG syntax and Redis's error texts, the output limit's hard/soft decisions, client
// memory accounting, maxmemory-clients eviction order and CLIENT NO-EVICT.
#include <doctest/doctest.h>

#include "daemon/commands/client_memory.h"
#include "harness.h"

using namespace shardcache;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {
std::string cfg_get(Harness& h, const std::string& name) {
  Val v = h.Run({"config", "get", name});
  return v.elems.size() == 2 ? v.elems[1].str : "<missing>";
}
constexpr const char* kPrefix = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
}  // namespace

TEST_CASE("client-output-buffer-limit: defaults, Redis syntax and CONFIG GET format") {
  Harness h;
  CHECK(cfg_get(h, "client-output-buffer-limit") ==
        "normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 256mb 0 0 pubsub 32mb 8mb 60"}).ok());
  CHECK(cfg_get(h, "client-output-buffer-limit") ==
        "normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 1mb 512k 10 replica 1gb 0 0"}).ok());
  CHECK(cfg_get(h, "client-output-buffer-limit") ==
        "normal 1048576 512000 10 slave 1073741824 0 0 pubsub 33554432 8388608 60");
  CHECK(h.cfg.obuf_limits[0].hard == 1048576);
  CHECK(h.cfg.obuf_limits[0].soft == 512000);
  CHECK(h.cfg.obuf_limits[0].soft_seconds == 10);
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "SLAVE 2mb 1mb 5"}).ok());
  CHECK(h.cfg.obuf_limits[1].hard == 2097152);
}

TEST_CASE("client-output-buffer-limit: errors are Redis's and change nothing") {
  Harness h;
  const std::string before = cfg_get(h, "client-output-buffer-limit");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 256mb 0"}).str ==
        std::string(kPrefix) + "Wrong number of arguments in buffer limit configuration.");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", ""}).str == "OK");  // Redis 7.0: nothing to change
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "master 1 0 0"}).str ==
        std::string(kPrefix) + "Invalid client class specified in buffer limit configuration.");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 10mbs 10mb 60"}).str ==
        std::string(kPrefix) + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 1 0 -1"}).str ==
        std::string(kPrefix) + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  // A valid class before an invalid one is not applied either.
  CHECK(h.Run({"config", "set", "client-output-buffer-limit", "normal 1mb 0 0 pubsub x 0 0"}).str ==
        std::string(kPrefix) + "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  CHECK(cfg_get(h, "client-output-buffer-limit") == before);
}

TEST_CASE("maxmemory-clients: bytes, percentage of maxmemory, Redis's errors") {
  Harness h;
  CHECK(cfg_get(h, "maxmemory-clients") == "0");
  CHECK(h.cfg.maxmemory_clients_bytes() == 0);
  CHECK(h.Run({"config", "set", "maxmemory-clients", "1mb"}).ok());
  CHECK(cfg_get(h, "maxmemory-clients") == "1048576");
  CHECK(h.Run({"config", "set", "maxmemory", "100mb"}).ok());
  CHECK(h.Run({"config", "set", "maxmemory-clients", "10%"}).ok());
  CHECK(cfg_get(h, "maxmemory-clients") == "10%");
  CHECK(h.cfg.maxmemory_clients_bytes() == 104857600 / 100 * 10);
  CHECK(h.Run({"config", "set", "maxmemory-clients", "abc"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value");
  CHECK(h.Run({"config", "set", "maxmemory-clients", "101%"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100");
  CHECK(cfg_get(h, "maxmemory-clients") == "10%");
}

TEST_CASE("OutputLimit: hard closes at once, soft only after its seconds") {
  Config cfg;
  REQUIRE(set_output_buffer_limits(cfg, "normal 1000 100 2").empty());
  commands::OutputLimit lim;
  CHECK(commands::OutputLimit::threshold(cfg) == 100);
  CHECK_FALSE(lim.over(cfg, 99, 1000));
  CHECK(lim.over(cfg, 1000, 1000));            // hard
  CHECK_FALSE(lim.over(cfg, 500, 10000));      // over soft: the clock starts
  CHECK(lim.soft_since_ms() == 10000);
  CHECK_FALSE(lim.over(cfg, 500, 11999));
  CHECK(lim.over(cfg, 500, 12001));            // over soft for more than 2 s
  CHECK_FALSE(lim.over(cfg, 50, 12002));       // back under: the clock resets
  CHECK(lim.soft_since_ms() == 0);
  REQUIRE(set_output_buffer_limits(cfg, "normal 0 0 0").empty());
  CHECK(commands::OutputLimit::threshold(cfg) == UINT64_MAX);
  CHECK_FALSE(lim.over(cfg, uint64_t{1} << 40, 1));
}

TEST_CASE("maxmemory-clients evicts the biggest clients first and spares CLIENT NO-EVICT ones") {
  Harness h;
  auto& sum = h.state.thread_stats[0]->clients_mem;
  auto add = [&](uint64_t mem, bool* killed) {
    auto c = h.add_client();
    c->mem_sum = &sum;
    c->kill = [killed] { *killed = true; };
    commands::publish_client_memory(*c, mem);
    return c;
  };
  bool k_big = false, k_mid = false, k_small = false, k_protected = false;
  auto big = add(600000, &k_big);
  auto protected_one = add(900000, &k_protected);
  auto mid = add(300000, &k_mid);
  auto small = add(1000, &k_small);
  CHECK(commands::clients_memory(h.state) == 1801000);
  CHECK(h.Run({"client", "no-evict", "maybe"}).str == "ERR syntax error");
  CHECK(h.RunAs(*protected_one, {"client", "no-evict", "on"}).ok());
  CHECK(h.RunAs(*protected_one, {"client", "info"}).str.find("flags=e ") != std::string::npos);
  commands::evict_clients_if_needed(h.state);  // no limit: nothing happens
  CHECK_FALSE(k_big);
  REQUIRE(h.Run({"config", "set", "maxmemory-clients", "1200000"}).ok());
  commands::evict_clients_if_needed(h.state);
  CHECK_FALSE(k_protected);
  CHECK(k_big);          // 1801000 - 600000 = 1201000: still over
  CHECK(k_mid);          // 901000: under
  CHECK_FALSE(k_small);
  CHECK(commands::clients_memory(h.state) == 901000);
  CHECK(h.Run({"info", "stats"}).str.find("evicted_clients:2\r\n") != std::string::npos);
  CHECK(h.Run({"info", "memory"}).str.find("mem_clients_normal:901000\r\n") != std::string::npos);
  commands::publish_client_memory(*small, 0);
  commands::publish_client_memory(*protected_one, 0);
  CHECK(commands::clients_memory(h.state) == 0);
}
