// tests/unit/daemon/watch_test.cpp: WATCH / UNWATCH with Redis 7.0's semantics, checked against
// redis-server 7.0.15: which writes abort EXEC (a null array) and which no-ops do not, expiry
// between WATCH and EXEC, FLUSHALL, INVALIDATE/INVALIDATETAG, what clears the watches, and
// concurrent optimistic increments from several threads losing no update.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/commands/watch.h"
#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

/// Client A watches `key`, client B runs `between`, then A runs MULTI / SET x 1 / EXEC.
Val exec_after(Harness& h, const std::string& key, const std::vector<std::vector<std::string>>& between) {
  auto b = h.add_client();
  REQUIRE(h.Run({"watch", key}).ok());
  for (const auto& cmd : between) h.RunAs(*b, cmd);
  REQUIRE(h.Run({"multi"}).ok());
  REQUIRE(h.Run({"set", "x", "1"}).kind == Val::Simple);
  return h.Run({"exec"});
}

bool aborted(const Val& v) { return v.kind == Val::NullArray; }
bool ran(const Val& v) { return v.kind == Val::Array && v.elems.size() == 1 && v.elems[0].ok(); }

}  // namespace

TEST_CASE("WATCH: EXEC runs when the key was not touched, and answers null when another client wrote it") {
  Harness h;
  h.Run({"set", "k", "1"});
  CHECK(ran(exec_after(h, "k", {})));
  CHECK(aborted(exec_after(h, "k", {{"set", "k", "2"}})));
  CHECK(h.Run({"get", "x"}).str == "1");  // from the first EXEC only
  CHECK(aborted(exec_after(h, "k", {{"set", "k", "2"}})));  // the same value still counts as a write
  CHECK(ran(exec_after(h, "k", {{"set", "other", "2"}, {"get", "k"}})));
}

TEST_CASE("WATCH: every write command aborts EXEC when it changes the key") {
  // Each row: setup run first (by B, before the WATCH), then the write B runs after the WATCH.
  struct Row { std::vector<std::vector<std::string>> setup; std::vector<std::string> write; };
  const std::vector<Row> rows = {
      {{{"set", "k", "1"}}, {"set", "k", "2"}},       {{}, {"setnx", "k", "1"}},
      {{}, {"setex", "k", "10", "v"}},                  {{}, {"psetex", "k", "10000", "v"}},
      {{}, {"getset", "k", "v"}},                       {{{"set", "k", "1"}}, {"getdel", "k"}},
      {{{"set", "k", "1"}}, {"getex", "k", "ex", "100"}}, {{}, {"mset", "a", "1", "k", "2"}},
      {{}, {"msetnx", "k", "1", "b", "2"}},             {{}, {"incr", "k"}},
      {{}, {"decr", "k"}},                              {{}, {"incrby", "k", "5"}},
      {{}, {"decrby", "k", "5"}},                       {{}, {"incrbyfloat", "k", "1.5"}},
      {{}, {"append", "k", "v"}},                       {{}, {"setrange", "k", "3", "v"}},
      {{{"set", "k", "1"}}, {"del", "k"}},              {{{"set", "k", "1"}}, {"unlink", "k"}},
      {{{"set", "k", "1"}}, {"expire", "k", "100"}},    {{{"set", "k", "1"}}, {"pexpire", "k", "100000"}},
      {{{"set", "k", "1"}}, {"expireat", "k", "1"}},    {{{"set", "k", "1"}}, {"pexpireat", "k", "99999999999999"}},
      {{{"set", "k", "1", "ex", "100"}}, {"persist", "k"}}, {{{"set", "j", "1"}}, {"rename", "j", "k"}},
      {{{"set", "k", "1"}}, {"rename", "k", "j"}},      {{{"set", "j", "1"}}, {"renamenx", "j", "k"}},
      {{{"set", "k", "1"}}, {"flushdb"}},               {{{"set", "k", "1"}}, {"flushall", "async"}},
      {{{"set", "k", "1"}}, {"invalidate", "k*"}},      {{{"set", "k", "v", "tags", "t1"}}, {"invalidatetag", "t1"}},
  };
  std::set<std::string> covered;
  for (const auto& row : rows) {
    Harness h;
    auto b = h.add_client();
    for (const auto& s : row.setup) h.RunAs(*b, s);
    INFO("write: ", row.write[0]);
    CHECK(aborted(exec_after(h, "k", {row.write})));
    covered.insert(row.write[0]);
  }
  for (const auto& spec : shardcache::commands::command_table().all()) {
    INFO("write command without a WATCH row: ", spec.name);
    if (spec.flags & shardcache::commands::kWrite) CHECK(covered.count(std::string(spec.name)) == 1);
  }
}

TEST_CASE("WATCH: writes that change nothing do not abort EXEC (as Redis 7.0)") {
  const std::vector<std::vector<std::string>> noops = {
      {"set", "k", "2", "nx"}, {"setnx", "k", "2"}, {"del", "missing"}, {"incr", "s"},
      {"persist", "k"},        {"setrange", "k", "0", ""}, {"getex", "k"}, {"getex", "k", "persist"},
      {"rename", "k", "k"},    {"renamenx", "j", "k"},     {"expire", "k", "10", "nx", "xx"},
      {"msetnx", "j", "1", "k", "2"}, {"invalidate", "other*"}, {"invalidatetag", "nosuchtag"},
      {"get", "k"}, {"exists", "k"}, {"touch", "k"}, {"ttl", "k"}};
  for (const auto& cmd : noops) {
    Harness h;
    h.Run({"set", "k", "1"});
    h.Run({"set", "j", "1"});
    h.Run({"set", "s", "abc"});
    INFO("command: ", cmd[0]);
    CHECK(ran(exec_after(h, "k", {cmd})));
  }
  Harness h;  // a watched key that does not exist stays unwatched-for by DEL and FLUSHALL
  CHECK(ran(exec_after(h, "missing", {{"del", "missing"}, {"expire", "missing", "10"}, {"flushall"}})));
  CHECK(aborted(exec_after(h, "missing", {{"set", "missing", "1"}})));
}

TEST_CASE("WATCH: a key that expires between WATCH and EXEC aborts it; one already expired at WATCH does not") {
  using namespace std::chrono_literals;
  Harness h;
  h.Run({"set", "k", "1", "px", "40"});
  CHECK(h.Run({"watch", "k"}).ok());
  std::this_thread::sleep_for(80ms);
  CHECK(h.Run({"multi"}).ok());
  CHECK(aborted(h.Run({"exec"})));

  h.Run({"set", "k", "1", "px", "1"});
  std::this_thread::sleep_for(10ms);
  CHECK(h.Run({"watch", "k"}).ok());
  CHECK(h.Run({"multi"}).ok());
  CHECK(ran([&] { h.Run({"set", "x", "1"}); return h.Run({"exec"}); }()));

  h.Run({"set", "k", "1", "ex", "100"});  // a TTL that does not run out in between changes nothing
  CHECK(ran(exec_after(h, "k", {})));
}

TEST_CASE("WATCH: errors, and what clears the watches") {
  Harness h;
  CHECK(h.Run({"watch"}).str == "ERR wrong number of arguments for 'watch' command");
  CHECK(h.Run({"unwatch", "k"}).str == "ERR wrong number of arguments for 'unwatch' command");
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"watch", "k"}).str == "ERR WATCH inside MULTI is not allowed");
  CHECK(h.Run({"unwatch"}).str == "QUEUED");  // queued, as in Redis 7
  Val r = h.Run({"exec"});                    // the WATCH error did not doom the transaction
  REQUIRE(r.kind == Val::Array);
  CHECK(r.elems.at(0).ok());

  auto b = h.add_client();
  auto watched_then = [&](const std::vector<std::string>& clear) {
    CHECK(h.Run({"watch", "k", "k"}).ok());
    CHECK(h.client->watch_count.load() == 1);
    if (!clear.empty()) h.Run(clear);
    h.RunAs(*b, {"set", "k", "changed"});
    CHECK(h.Run({"multi"}).ok());
    return h.Run({"exec"});
  };
  CHECK(watched_then({"unwatch"}).kind == Val::Array);
  CHECK(watched_then({"reset"}).kind == Val::Array);
  CHECK(h.Run({"watch", "k"}).ok());
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"discard"}).ok());
  h.RunAs(*b, {"set", "k", "again"});
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"exec"}).kind == Val::Array);
  // A failed EXEC unwatches too: the next transaction runs.
  CHECK(aborted(exec_after(h, "k", {{"set", "k", "x"}})));
  h.RunAs(*b, {"set", "k", "y"});
  CHECK(h.Run({"multi"}).ok());
  CHECK(h.Run({"exec"}).kind == Val::Array);
  // EXECABORT wins over a dirty watch, and clears it.
  CHECK(h.Run({"watch", "k"}).ok());
  h.RunAs(*b, {"set", "k", "z"});
  CHECK(h.Run({"multi"}).ok());
  h.Run({"nosuchcommand"});
  CHECK(h.Run({"exec"}).str == "EXECABORT Transaction discarded because of previous errors.");
  CHECK_FALSE(h.state.watches.active());
}

TEST_CASE("WATCH: a write inside another client's EXEC marks the watchers; closing a client forgets it") {
  Harness h;
  auto b = h.add_client();
  CHECK(h.Run({"watch", "k"}).ok());
  CHECK(h.RunAs(*b, {"multi"}).ok());
  h.RunAs(*b, {"incr", "k"});
  CHECK(h.RunAs(*b, {"exec"}).kind == Val::Array);
  CHECK(h.Run({"multi"}).ok());
  CHECK(aborted(h.Run({"exec"})));

  CHECK(h.RunAs(*b, {"watch", "a", "b", "c"}).ok());
  CHECK(h.state.watches.active());
  CHECK(h.state.watches.key_count() == 3);
  shardcache::commands::unwatch_all(h.state, *b);  // what a closing connection does
  CHECK_FALSE(h.state.watches.active());
  CHECK(h.state.watches.key_count() == 0);
}

TEST_CASE("WATCH: concurrent optimistic increments lose no update") {
  Harness h;
  h.Run({"set", "counter", "0"});
  constexpr int kThreads = 4, kIncrements = 300;
  std::vector<std::thread> threads;
  std::vector<int> retries(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, &retries, t] {
      auto c = h.add_client();
      for (int done = 0; done < kIncrements;) {
        h.RunAs(*c, {"watch", "counter"});
        long long v = std::stoll(h.RunAs(*c, {"get", "counter"}).str);
        h.RunAs(*c, {"multi"});
        h.RunAs(*c, {"set", "counter", std::to_string(v + 1)});
        Val r = h.RunAs(*c, {"exec"});
        if (r.kind == Val::Array) ++done; else ++retries[t];
        if (retries[t] > 1000000) break;  // bounded: a livelock fails the check below
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(h.Run({"get", "counter"}).str == std::to_string(kThreads * kIncrements));
  CHECK_FALSE(h.state.watches.active());
}
