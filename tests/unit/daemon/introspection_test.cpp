// tests/unit/daemon/introspection_test.cpp: per-command stats, SLOWLOG, LATENCY and the INFO
// sections commandstats / errorstats / latencystats / cpu, run through the dispatcher, with
// Redis 7.0.15's reply shapes and error texts; and the latency histogram's arithmetic.
#include <doctest/doctest.h>

#include <ctime>
#include <string>

#include "daemon/state/command_stats.h"
#include "daemon/state/server_stats.h"
#include "harness.h"

using shardcache::state::HistogramData;
using shardcache::state::LatencyBuckets;
using shardcache::state::LatencyHistogram;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

/// The INFO line starting with `field:` (without its CRLF), or "" when absent.
std::string info_line(const std::string& info, const std::string& field) {
  const size_t at = info.find("\r\n" + field + ":");
  const size_t start = at == std::string::npos ? (info.rfind(field + ":", 0) == 0 ? 0 : std::string::npos) : at + 2;
  if (start == std::string::npos) return {};
  return info.substr(start, info.find("\r\n", start) - start);
}

size_t row_of(const char* name) {
  const auto* spec = shardcache::commands::command_table().find(name);
  REQUIRE(spec != nullptr);
  return shardcache::commands::command_table().index_of(*spec);
}

}  // namespace

TEST_CASE("latency buckets: every value falls in a bucket that holds it, buckets at most 1/16 wide") {
  for (uint64_t v : {0ull, 1ull, 31ull, 32ull, 33ull, 1000ull, 1023ull, 1024ull, 1025ull, 123456789ull, (1ull << 40) - 1}) {
    const size_t i = LatencyBuckets::index(v);
    INFO("value ", v);
    CHECK(LatencyBuckets::lower(i) <= v);
    CHECK(v <= LatencyBuckets::upper(i));
    CHECK((LatencyBuckets::upper(i) - LatencyBuckets::lower(i)) * 16 <= LatencyBuckets::lower(i) + 16);
  }
  for (size_t i = 0; i + 1 < LatencyBuckets::kCount; ++i) CHECK(LatencyBuckets::upper(i) + 1 == LatencyBuckets::lower(i + 1));
  CHECK(LatencyBuckets::index(uint64_t{1} << 50) == LatencyBuckets::kCount - 1);  // capped
}

TEST_CASE("histogram percentiles: the bucket holding the rank, hdr's highest equivalent value") {
  LatencyHistogram h;
  for (int i = 0; i < 90; ++i) h.record(1000);     // 1 us
  for (int i = 0; i < 9; ++i) h.record(100000);    // 100 us
  h.record(10000000);                               // 10 ms
  HistogramData d;
  d.add(h);
  CHECK(d.total == 100);
  const uint64_t p50 = d.value_at_percentile(50), p99 = d.value_at_percentile(99), p100 = d.value_at_percentile(100);
  CHECK(p50 >= 1000);
  CHECK(p50 < 1000 + 1000 / 16 + 1);
  CHECK(p99 >= 100000);
  CHECK(p99 < 100000 + 100000 / 16 + 1);
  CHECK(p100 >= 10000000);
  CHECK(d.count_at_or_below(50000) == 90);
  CHECK(HistogramData{}.value_at_percentile(50) == 0);
  HistogramData base = d;
  d.subtract(base);
  CHECK(d.total == 0);
  CHECK(d.counts.empty());
}

TEST_CASE("per-command stats: calls, failed and rejected calls, through the stats snapshot") {
  Harness h;
  h.Run({"set", "n", "abc"});
  h.Run({"get", "n"});
  h.Run({"get", "n"});
  CHECK(h.Run({"incr", "n"}).kind == Val::Error);  // ran and failed
  CHECK(h.Run({"get"}).kind == Val::Error);        // refused before running (arity)
  const auto snap = shardcache::state::command_stats(h.state);
  const auto& get = snap.rows[row_of("get")];
  CHECK(get.calls == 2);
  CHECK(get.rejected == 1);
  CHECK(get.failed == 0);
  CHECK(get.hist.total == 2);
  CHECK(snap.rows[row_of("incr")].failed == 1);
  CHECK(snap.rows[row_of("incr")].calls == 1);
  CHECK(snap.all.total == 4);  // set, get, get, incr
  CHECK(snap.all.value_at_percentile(50) > 0);
}

TEST_CASE("INFO commandstats, errorstats, latencystats and cpu in Redis 7.0's formats") {
  Harness h;
  h.Run({"set", "k", "v"});
  h.Run({"get", "k"});
  h.Run({"incr", "k"});
  h.Run({"get"});
  h.Run({"client", "list"});
  h.Run({"nosuchcommand"});
  std::string info = h.Run({"info", "commandstats"}).str;
  CHECK(info.rfind("# Commandstats\r\n", 0) == 0);
  const std::string get = info_line(info, "cmdstat_get");
  CHECK(get.rfind("cmdstat_get:calls=1,usec=", 0) == 0);
  CHECK(get.find(",usec_per_call=") != std::string::npos);
  CHECK(get.find(",rejected_calls=1,failed_calls=0") != std::string::npos);
  CHECK(info_line(info, "cmdstat_incr").find(",rejected_calls=0,failed_calls=1") != std::string::npos);
  CHECK(info_line(info, "cmdstat_client|list").rfind("cmdstat_client|list:calls=1,", 0) == 0);
  CHECK(info_line(info, "cmdstat_del").empty());  // never called: no line

  info = h.Run({"info", "errorstats"}).str;
  CHECK(info == "# Errorstats\r\nerrorstat_ERR:count=3\r\n");  // incr, arity, unknown command
  info = h.Run({"info", "stats"}).str;
  CHECK(info_line(info, "total_error_replies") == "total_error_replies:3");

  info = h.Run({"info", "latencystats"}).str;
  CHECK(info.rfind("# Latencystats\r\n", 0) == 0);
  const std::string lat = info_line(info, "latency_percentiles_usec_get");
  CHECK(lat.rfind("latency_percentiles_usec_get:p50=", 0) == 0);
  CHECK(lat.find(",p99=") != std::string::npos);
  CHECK(lat.find(",p99.9=") != std::string::npos);
  CHECK(h.Run({"config", "set", "latency-tracking-info-percentiles", "50 90"}).ok());
  CHECK(h.Run({"config", "get", "latency-tracking-info-percentiles"}).elems.at(1).str == "50 90");
  info = h.Run({"info", "latencystats"}).str;
  CHECK(info_line(info, "latency_percentiles_usec_get").find(",p90=") != std::string::npos);
  CHECK(h.Run({"config", "set", "latency-tracking-info-percentiles", "101"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - "
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
  CHECK(h.Run({"config", "set", "latency-tracking-info-percentiles", "abc"}).str ==
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - "
        "Invalid latency-tracking-info-percentiles parameters");
  CHECK(h.Run({"config", "set", "latency-tracking", "no"}).ok());
  CHECK(h.Run({"info", "latencystats"}).str == "# Latencystats\r\n");

  info = h.Run({"info", "cpu"}).str;
  for (const char* f : {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
                        "used_cpu_sys_main_thread", "used_cpu_user_main_thread"}) {
    INFO(f);
    const std::string l = info_line(info, f);
    REQUIRE(!l.empty());
    CHECK(l.find('.') == l.size() - 7);  // seconds.microseconds (6 digits)
  }
}

TEST_CASE("INFO sections: default leaves out commandstats and latencystats; all, everything and several at once") {
  Harness h;
  h.Run({"get", "x"});
  auto has = [](const std::string& info, const char* header) { return info.find(header) != std::string::npos; };
  std::string info = h.Run({"info"}).str;
  CHECK(has(info, "# CPU\r\n"));
  CHECK(has(info, "# Errorstats\r\n"));
  CHECK_FALSE(has(info, "# Commandstats\r\n"));
  CHECK_FALSE(has(info, "# Latencystats\r\n"));
  CHECK(h.Run({"info", "default"}).str.size() > 0);
  for (const char* all : {"all", "everything", "ALL"}) {
    info = h.Run({"info", all}).str;
    INFO(all);
    CHECK(has(info, "# Commandstats\r\n"));
    CHECK(has(info, "# Latencystats\r\n"));
    CHECK(has(info, "# Keyspace"));
    CHECK(info.find("# CPU") < info.find("# Commandstats") );
    CHECK(info.find("# Commandstats") < info.find("# Errorstats"));
    CHECK(info.find("# Errorstats") < info.find("# Latencystats"));
  }
  info = h.Run({"info", "cpu", "commandstats", "CPU"}).str;
  CHECK(info.rfind("# CPU\r\n", 0) == 0);
  CHECK(has(info, "\r\n\r\n# Commandstats\r\n"));
  CHECK_FALSE(has(info, "# Server"));
  info = h.Run({"info", "default", "commandstats"}).str;
  CHECK(has(info, "# Server"));
  CHECK(has(info, "# Commandstats"));
  CHECK(h.Run({"info", "nosuchsection"}).str.empty());
}

TEST_CASE("CONFIG RESETSTAT clears commandstats, latencystats, errorstats and LATENCY HISTOGRAM") {
  Harness h;
  h.Run({"set", "k", "v"});
  h.Run({"nosuchcommand"});
  CHECK(h.Run({"config", "resetstat"}).ok());
  std::string info = h.Run({"info", "commandstats"}).str;
  CHECK(info == "# Commandstats\r\n" + info_line(info, "cmdstat_config|resetstat") + "\r\n");
  CHECK(info_line(info, "cmdstat_config|resetstat").rfind("cmdstat_config|resetstat:calls=1,", 0) == 0);
  CHECK(h.Run({"info", "errorstats"}).str == "# Errorstats\r\n");
  CHECK(h.Run({"latency", "histogram", "set"}).elems.empty());
  h.Run({"set", "k", "v"});
  CHECK(info_line(h.Run({"info", "commandstats"}).str, "cmdstat_set").rfind("cmdstat_set:calls=1,", 0) == 0);
}

TEST_CASE("SLOWLOG GET/LEN/RESET/HELP with slowlog-log-slower-than and slowlog-max-len") {
  Harness h;
  h.client->addr = "127.0.0.1:5555";
  h.client->set_name("worker");
  h.Run({"set", "fast", "v"});  // 10000 us default: not logged
  CHECK(h.Run({"slowlog", "len"}).num == 0);
  CHECK(h.Run({"config", "set", "slowlog-log-slower-than", "0"}).ok());
  const std::string big(200, 'x');
  h.Run({"set", "k", big});
  Val got = h.Run({"slowlog", "get"});
  REQUIRE(got.kind == Val::Array);
  REQUIRE(got.elems.size() >= 2);  // CONFIG SET itself, then SET
  const Val& e = got.elems[0];     // newest first
  REQUIRE(e.elems.size() == 6);
  CHECK(e.elems[0].kind == Val::Int);
  CHECK(e.elems[1].num >= static_cast<long long>(std::time(nullptr)) - 5);
  CHECK(e.elems[2].kind == Val::Int);
  REQUIRE(e.elems[3].elems.size() == 3);
  CHECK(e.elems[3].elems[0].str == "set");
  CHECK(e.elems[3].elems[2].str == std::string(128, 'x') + "... (72 more bytes)");
  CHECK(e.elems[4].str == "127.0.0.1:5555");
  CHECK(e.elems[5].str == "worker");
  CHECK(e.elems[0].num > got.elems[1].elems[0].num);  // ids grow

  std::vector<std::string> many = {"del"};
  for (int i = 0; i < 40; ++i) many.push_back("k" + std::to_string(i));
  h.Run(many);
  got = h.Run({"slowlog", "get", "1"});
  REQUIRE(got.elems.size() == 1);
  const Val& argv = got.elems[0].elems[3];
  REQUIRE(argv.elems.size() == 32);
  CHECK(argv.elems[30].str == "k29");
  CHECK(argv.elems[31].str == "... (10 more arguments)");

  CHECK(h.Run({"slowlog", "len"}).num >= 4);
  const long long len = h.Run({"slowlog", "len"}).num;
  CHECK(h.Run({"slowlog", "get", "-1"}).elems.size() == static_cast<size_t>(len) + 1);  // + SLOWLOG LEN's own entry
  CHECK(h.Run({"slowlog", "get", "abc"}).str == "ERR count should be greater than or equal to -1");
  CHECK(h.Run({"slowlog", "get", "-2"}).str == "ERR count should be greater than or equal to -1");
  CHECK(h.Run({"slowlog", "get", "1", "2"}).str ==
        "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
  CHECK(h.Run({"slowlog", "len", "x"}).str == "ERR wrong number of arguments for 'slowlog|len' command");
  CHECK(h.Run({"slowlog", "nope"}).str == "ERR unknown subcommand 'nope'. Try SLOWLOG HELP.");
  CHECK(h.Run({"slowlog"}).str == "ERR wrong number of arguments for 'slowlog' command");

  CHECK(h.Run({"config", "set", "slowlog-max-len", "2"}).ok());
  h.Run({"get", "k"});
  CHECK(h.Run({"slowlog", "len"}).num == 2);
  CHECK(h.Run({"slowlog", "reset"}).ok());
  CHECK(h.Run({"slowlog", "get"}).elems.size() <= 1);  // only SLOWLOG RESET's own entry can follow
  CHECK(h.Run({"config", "set", "slowlog-log-slower-than", "-1"}).ok());
  CHECK(h.Run({"slowlog", "reset"}).ok());
  h.Run({"get", "k"});
  CHECK(h.Run({"slowlog", "len"}).num == 0);
  CHECK(h.Run({"config", "set", "slowlog-log-slower-than", "-2"}).kind == Val::Error);

  const Val help = h.Run({"slowlog", "help"});
  REQUIRE(help.elems.size() == 12);
  CHECK(help.elems[0].str == "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  CHECK(help.elems[1].str == "GET [<count>]");
  CHECK(help.elems[11].str == "    Prints this help.");
}

TEST_CASE("LATENCY HISTOGRAM: Redis 7's map of calls and cumulative microsecond buckets") {
  Harness h;
  for (int i = 0; i < 5; ++i) h.Run({"set", "k", "v"});
  h.Run({"client", "list"});
  h.client->proto = 3;
  Val all = h.Run({"latency", "histogram"});
  REQUIRE(all.kind == Val::Map);
  bool saw_set = false;
  for (size_t i = 0; i + 1 < all.elems.size(); i += 2) {
    if (all.elems[i].str != "set") continue;
    saw_set = true;
    const Val& m = all.elems[i + 1];
    REQUIRE(m.kind == Val::Map);
    REQUIRE(m.elems.size() == 4);
    CHECK(m.elems[0].str == "calls");
    CHECK(m.elems[1].num == 5);
    CHECK(m.elems[2].str == "histogram_usec");
    const Val& buckets = m.elems[3];
    REQUIRE(buckets.kind == Val::Map);
    REQUIRE(buckets.elems.size() >= 2);
    long long prev_us = -1, prev_n = 0;
    for (size_t j = 0; j + 1 < buckets.elems.size(); j += 2) {
      CHECK(buckets.elems[j].num > prev_us);      // bucket bounds grow (1, 2, 4, 8, 16, 33, ...)
      CHECK(buckets.elems[j + 1].num > prev_n);   // only where the cumulative count grew
      prev_us = buckets.elems[j].num, prev_n = buckets.elems[j + 1].num;
    }
    CHECK(prev_n == 5);
  }
  CHECK(saw_set);
  Val some = h.Run({"latency", "histogram", "SET", "client", "nosuch", "get"});
  REQUIRE(some.kind == Val::Map);
  REQUIRE(some.elems.size() == 4);  // set, client|list (a subcommand of client); nosuch and get: nothing
  CHECK(some.elems[0].str == "set");
  CHECK(some.elems[2].str == "client|list");
  h.client->proto = 2;
  CHECK(h.Run({"latency", "histogram", "nosuch"}).elems.empty());
}

TEST_CASE("LATENCY LATEST/HISTORY/RESET/DOCTOR/HELP over the latency monitor's events") {
  Harness h;
  CHECK(h.Run({"latency", "latest"}).elems.empty());
  CHECK(h.Run({"latency", "doctor"}).str.rfind("I'm sorry, Dave, I can't do that. Latency monitoring is disabled", 0) == 0);
  CHECK(h.Run({"config", "set", "latency-monitor-threshold", "100"}).ok());
  CHECK(h.Run({"latency", "doctor"}).str.rfind("Dave, no latency spike was observed", 0) == 0);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  h.state.latency_events.add("command", 150, now - 2);
  h.state.latency_events.add("command", 120, now - 1);
  h.state.latency_events.add("command", 300, now - 1);  // the same second keeps the worst
  h.state.latency_events.add("fast-command", 110, now);
  Val latest = h.Run({"latency", "latest"});
  REQUIRE(latest.elems.size() == 2);
  CHECK(latest.elems[0].elems[0].str == "command");
  CHECK(latest.elems[0].elems[1].num == now - 1);
  CHECK(latest.elems[0].elems[2].num == 300);
  CHECK(latest.elems[0].elems[3].num == 300);
  Val hist = h.Run({"latency", "history", "command"});
  REQUIRE(hist.elems.size() == 2);
  CHECK(hist.elems[0].elems[0].num == now - 2);
  CHECK(hist.elems[0].elems[1].num == 150);
  CHECK(hist.elems[1].elems[1].num == 300);
  CHECK(h.Run({"latency", "history", "nosuch"}).elems.empty());
  // GRAPH: Redis's sparkline, 4 rows of "_o#|" scaled between the low and the high sample, then
  // each sample's age printed downwards under its column.
  CHECK(h.Run({"latency", "graph", "command"}).str ==
        "command - high 300 ms, low 150 ms (all time high 300 ms)\n" + std::string(80, '-') +
            "\n #\n |\n |\n_|\n  \n21\nss\n");
  CHECK(h.Run({"latency", "graph", "fast-command"}).str ==
        "fast-command - high 110 ms, low 110 ms (all time high 110 ms)\n" + std::string(80, '-') + "\n \n \n \n_\n \n0\ns\n");
  CHECK(h.Run({"latency", "graph", "nosuch"}).str == "ERR No samples available for event 'nosuch'");
  CHECK(h.Run({"latency", "graph"}).str == "ERR wrong number of arguments for 'latency|graph' command");
  const std::string doctor = h.Run({"latency", "doctor"}).str;
  CHECK(doctor.rfind("Dave, I have observed latency spikes in this Redis instance.", 0) == 0);
  CHECK(doctor.find("1. command: 2 latency spikes (average 225ms, mean deviation 75ms, period ") != std::string::npos);
  CHECK(doctor.find("Worst all time event 300ms.") != std::string::npos);
  CHECK(doctor.find("2. fast-command: 1 latency spikes") != std::string::npos);
  CHECK(doctor.find("- Check your Slow Log") != std::string::npos);
  CHECK(h.Run({"latency", "reset", "fast-command", "nosuch"}).num == 1);
  CHECK(h.Run({"latency", "latest"}).elems.size() == 1);
  CHECK(h.Run({"latency", "reset"}).num == 1);
  CHECK(h.Run({"latency", "latest"}).elems.empty());
  CHECK(h.Run({"latency", "history"}).str == "ERR wrong number of arguments for 'latency|history' command");
  CHECK(h.Run({"latency", "latest", "x"}).str == "ERR wrong number of arguments for 'latency|latest' command");
  CHECK(h.Run({"latency", "nope"}).str == "ERR unknown subcommand 'nope'. Try LATENCY HELP.");
  const Val help = h.Run({"latency", "help"});
  REQUIRE(help.elems.size() >= 5);
  CHECK(help.elems[0].str == "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  CHECK(help.elems.back().str == "    Prints this help.");
}

TEST_CASE("latency-monitor-threshold: a command at least that long is a 'command' event") {
  Harness h;
  CHECK(h.Run({"config", "set", "latency-monitor-threshold", "1"}).ok());
  // FLUSHALL of many keys is not a fast command; make it take over 1 ms.
  for (int i = 0; i < 20000; ++i) h.Run({"set", "key:" + std::to_string(i), "v"});
  h.Run({"flushall"});
  Val latest = h.Run({"latency", "latest"});
  bool slow_enough = false;
  for (const auto& e : latest.elems) slow_enough |= e.elems[0].str == "command";
  const std::string hist = h.Run({"info", "commandstats"}).str;
  const std::string fl = info_line(hist, "cmdstat_flushall");
  REQUIRE(!fl.empty());
  const double per_call = std::stod(fl.substr(fl.find("usec_per_call=") + 14));
  if (per_call >= 1000) CHECK(slow_enough);
}
