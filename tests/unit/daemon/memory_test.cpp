// tests/unit/daemon/memory_test.cpp: memory reporting through the dispatcher: INFO memory and
// stats fields, CONFIG RESETSTAT, MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP, and that
// the accounting returns to its start after FLUSHALL.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "daemon/state/server_stats.h"
#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

/// One field of an INFO section ("" when missing).
std::string info_field(Harness& h, const std::string& section, const std::string& name) {
  std::string text = h.Run({"info", section}).str;
  std::string needle = "\r\n" + name + ":";
  size_t p = text.find(needle);
  if (p == std::string::npos) return "";
  p += needle.size();
  return text.substr(p, text.find("\r\n", p) - p);
}
long long info_num(Harness& h, const std::string& section, const std::string& name) {
  return std::stoll(info_field(h, section, name));
}

/// MEMORY STATS as name -> reply (top level only).
std::map<std::string, Val> memory_stats(Harness& h) {
  Val v = h.Run({"memory", "stats"});
  std::map<std::string, Val> m;
  REQUIRE(v.kind == Val::Map);
  for (size_t i = 0; i + 1 < v.elems.size(); i += 2) m[v.elems[i].str] = v.elems[i + 1];
  return m;
}

void fill(Harness& h, int n, size_t value_len, const std::string& prefix = "key:") {
  for (int i = 0; i < n; ++i) h.Run({"set", prefix + std::to_string(i), std::string(value_len, 'v')});
}

}  // namespace

TEST_CASE("info memory: used, peak, fragmentation and allocator fields") {
  Harness h;
  long long empty = info_num(h, "memory", "used_memory");
  CHECK(empty == info_num(h, "memory", "used_memory_startup"));
  fill(h, 2000, 500);
  long long used = info_num(h, "memory", "used_memory");
  CHECK(used >= empty + 2000 * 500);
  long long payload = 0;
  for (int i = 0; i < 2000; ++i) payload += static_cast<long long>(("key:" + std::to_string(i)).size()) + 500;
  CHECK(info_num(h, "memory", "used_memory_dataset") == payload);
  CHECK(info_num(h, "memory", "used_memory_peak") >= used);
  CHECK(!info_field(h, "memory", "used_memory_peak_human").empty());
  CHECK(info_field(h, "memory", "maxmemory_policy") == "allkeys-lru");
  h.Run({"flushall"});
  CHECK(info_num(h, "memory", "used_memory") == empty);
  CHECK(info_num(h, "memory", "used_memory_peak") >= used);  // the peak survives the flush
  CHECK(info_field(h, "memory", "used_memory_peak_perc") != "100.00%");
  long long rss = info_num(h, "memory", "used_memory_rss");
  CHECK(rss > 0);
  CHECK(!info_field(h, "memory", "mem_fragmentation_ratio").empty());
  CHECK(!info_field(h, "memory", "mem_fragmentation_bytes").empty());
#ifdef SHARDCACHE_JEMALLOC
  CHECK(info_field(h, "memory", "mem_allocator").rfind("jemalloc-", 0) == 0);
  CHECK(info_num(h, "memory", "allocator_allocated") > 0);
  CHECK(info_num(h, "memory", "allocator_resident") >= info_num(h, "memory", "allocator_allocated") / 2);
  CHECK(!info_field(h, "memory", "allocator_frag_ratio").empty());
#endif
}

TEST_CASE("instantaneous_ops_per_sec is sampled every 100 ms and averaged over 16 samples") {
  shardcache::commands::OpsSampler s;
  s.sample(0, 1000);
  s.sample(500, 1050);   // under 100 ms since the last sample: ignored
  CHECK(s.per_sec() == 0);
  s.sample(1600, 1100);  // 1600 commands in 100 ms = 16000/s, one of 16 samples
  CHECK(s.per_sec() == 1000);
  for (int i = 2; i <= 16; ++i) s.sample(1600 * static_cast<uint64_t>(i), 1000 + 100 * i);
  CHECK(s.per_sec() == 16000);
  s.reset();
  CHECK(s.per_sec() == 0);

  Harness h;
  CHECK(info_num(h, "stats", "instantaneous_ops_per_sec") == 0);
  shardcache::commands::server_cron(h.state);
  for (int i = 0; i < 200; ++i) h.Run({"ping"});
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  shardcache::commands::server_cron(h.state);
  CHECK(info_num(h, "stats", "instantaneous_ops_per_sec") > 0);
}

TEST_CASE("config resetstat resets what Redis resets, not the memory peak") {
  Harness h;
  h.Run({"config", "set", "maxmemory", "0"});
  h.Run({"set", "a", "1"});
  h.Run({"get", "a"});
  h.Run({"get", "nope"});
  h.Run({"set", "gone", "1", "px", "1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  h.Run({"get", "gone"});
  shardcache::commands::server_cron(h.state);
  fill(h, 100, 100);
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  shardcache::commands::server_cron(h.state);
  CHECK(info_num(h, "stats", "keyspace_hits") == 1);
  CHECK(info_num(h, "stats", "keyspace_misses") == 2);
  CHECK(info_num(h, "stats", "expired_keys") == 1);
  CHECK(info_num(h, "stats", "instantaneous_ops_per_sec") > 0);
  long long peak = info_num(h, "memory", "used_memory_peak");
  CHECK(h.Run({"config", "resetstat"}).ok());
  CHECK(info_num(h, "stats", "total_commands_processed") <= 1);  // the INFO call itself at most
  CHECK(info_num(h, "stats", "keyspace_hits") == 0);
  CHECK(info_num(h, "stats", "keyspace_misses") == 0);
  CHECK(info_num(h, "stats", "expired_keys") == 0);
  CHECK(info_num(h, "stats", "evicted_keys") == 0);
  CHECK(info_num(h, "stats", "instantaneous_ops_per_sec") == 0);
  CHECK(info_num(h, "memory", "used_memory_peak") == peak);
}

TEST_CASE("memory usage is the key's share of used_memory") {
  Harness h;
  long long empty = info_num(h, "memory", "used_memory");
  h.Run({"set", "k", std::string(1000, 'x')});
  long long u = h.Run({"memory", "usage", "k"}).num;
  CHECK(u >= 1001);
  // Allocation rounding plus the (16-slot) table's share and the key index's only leaf (1 KB)
  // with its map node.
  CHECK(u <= 1001 + 64 + 64 + 1024 + 80);
  CHECK(h.Run({"memory", "usage", "k", "samples", "5"}).num == u);
  h.Run({"expire", "k", "100"});
  CHECK(h.Run({"memory", "usage", "k"}).num > u);  // the TTL costs its slot
  // Summed over every key, MEMORY USAGE is used_memory minus the empty table, up to the
  // rounding of each key's slot share.
  fill(h, 1000, 50, "s:");
  long long sum = h.Run({"memory", "usage", "k"}).num;
  for (int i = 0; i < 1000; ++i) sum += h.Run({"memory", "usage", "s:" + std::to_string(i)}).num;
  long long used = info_num(h, "memory", "used_memory");
  CHECK(sum >= used - empty - 8 * 1001);
  CHECK(sum <= used + 8 * 1001);
  CHECK(h.Run({"memory", "usage", "nope"}).kind == Val::Null);
  CHECK(h.Run({"memory", "usage"}).str == "ERR wrong number of arguments for 'memory|usage' command");
  CHECK(h.Run({"memory", "usage", "k", "samples", "x"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"memory", "usage", "k", "samples", "-1"}).str == "ERR syntax error");
  CHECK(h.Run({"memory", "usage", "k", "foo", "5"}).str == "ERR syntax error");
  CHECK(h.Run({"memory", "usage", "k", "b"}).str == "ERR syntax error");
}

TEST_CASE("memory stats: totals agree with INFO and add up") {
  Harness h;
  auto m0 = memory_stats(h);
  CHECK(m0.count("db.0") == 0);
  CHECK(m0["keys.count"].num == 0);
  CHECK(m0["total.allocated"].num == m0["startup.allocated"].num);
  fill(h, 500, 200);
  h.Run({"set", "ttl", "v", "ex", "100"});
  auto m = memory_stats(h);
  CHECK(m["keys.count"].num == 501);
  CHECK(m["total.allocated"].num == info_num(h, "memory", "used_memory"));
  CHECK(m["peak.allocated"].num >= m["total.allocated"].num);
  long long payload = 0;
  for (int i = 0; i < 500; ++i) payload += static_cast<long long>(("key:" + std::to_string(i)).size()) + 200;
  payload += 4;
  CHECK(m["dataset.bytes"].num == payload);
  CHECK(m["overhead.total"].num + m["dataset.bytes"].num == m["total.allocated"].num);
  CHECK(m["keys.bytes-per-key"].num == (m["total.allocated"].num - m["startup.allocated"].num) / 501);
  REQUIRE(m["db.0"].kind == Val::Map);
  REQUIRE(m["db.0"].elems.size() == 4);
  CHECK(m["db.0"].elems[0].str == "overhead.hashtable.main");
  CHECK(m["db.0"].elems[1].num > 0);
  CHECK(m["db.0"].elems[3].num > 0);  // the TTL list
  CHECK(m["fragmentation"].kind == Val::Double);
  CHECK(m["fragmentation.bytes"].kind == Val::Int);
  CHECK(m.count("allocator.resident") == 1);
  CHECK(h.Run({"memory", "stats", "x"}).str == "ERR wrong number of arguments for 'memory|stats' command");
}

TEST_CASE("memory doctor, purge, malloc-stats, help and errors") {
  Harness h;
  CHECK(h.Run({"memory", "doctor"}).str.find("empty") != std::string::npos);
  fill(h, 3000, 2000);
  CHECK(!h.Run({"memory", "doctor"}).str.empty());
  CHECK(h.Run({"memory", "purge"}).ok());
  CHECK(!h.Run({"memory", "malloc-stats"}).str.empty());
  Val help = h.Run({"memory", "help"});
  REQUIRE(help.kind == Val::Array);
  CHECK(help.elems[0].str.rfind("MEMORY <subcommand>", 0) == 0);
  CHECK(h.Run({"memory", "bogus"}).str == "ERR unknown subcommand 'bogus'. Try MEMORY HELP.");
  CHECK(h.Run({"memory", "doctor", "x"}).str == "ERR wrong number of arguments for 'memory|doctor' command");
}

TEST_CASE("accounting returns to the empty store's bytes after FLUSHALL, DEL and expiry") {
  Harness h;
  auto m0 = memory_stats(h);
  fill(h, 3000, 300);
  for (int i = 0; i < 100; ++i) h.Run({"set", "t" + std::to_string(i), "v", "px", "1"});
  for (int i = 0; i < 1000; ++i) h.Run({"del", "key:" + std::to_string(i)});
  CHECK(memory_stats(h)["total.allocated"].num > m0["total.allocated"].num);
  h.Run({"flushall"});
  auto m1 = memory_stats(h);
  CHECK(m1["total.allocated"].num == m0["total.allocated"].num);
  CHECK(m1["dataset.bytes"].num == 0);
  CHECK(m1["keys.count"].num == 0);
}
