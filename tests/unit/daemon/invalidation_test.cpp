// tests/unit/daemon/invalidation_test.cpp: INVALIDATE, INVALIDATETAG and SET ... TAGS through the
// dispatcher: every pattern form against KEYS, escapes, expiry and eviction interplay, tag
// lifecycle, memory returned to the budget, INFO counters, MULTI/EXEC, the stepped
// (continuation) path, and writers + invalidators on several threads.
#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/daemon/harness.h"

using shardcache::test::Harness;
using shardcache::test::RecordingSink;
using shardcache::test::Val;

namespace {

std::set<std::string> keys_of(Harness& h, const std::string& pattern) {
  std::set<std::string> s;
  for (auto& v : h.Run({"keys", pattern}).elems) s.insert(v.str);
  return s;
}

long long info_field(Harness& h, const std::string& name) {
  std::string text = h.Run({"info", "everything"}).str;
  auto pos = text.find("\r\n" + name + ":");
  REQUIRE(pos != std::string::npos);
  return std::stoll(text.substr(pos + name.size() + 3));
}

/// LMS-shaped keys: courses, their lists, students, dashboards, analytics, odd characters.
void load_lms(Harness& h) {
  for (int c = 0; c < 30; ++c) {
    std::string id = std::to_string(c);
    h.Run({"set", "course:" + id, "details"});
    h.Run({"set", "course:" + id + ":students", "list"});
    h.Run({"set", "course:" + id + ":lessons", "list"});
    for (int s = 0; s < 5; ++s) h.Run({"set", "course:" + id + ":progress:" + std::to_string(s), "p"});
  }
  for (int s = 0; s < 40; ++s) {
    h.Run({"set", "student:" + std::to_string(s) + ":profile", "x"});
    h.Run({"set", "student:" + std::to_string(s) + ":dashboard", "x"});
  }
  for (std::string k : {"analytics:revenue", "analytics:platform", "courses:active", "a*b", "a?b", "a[b", "a\\b",
                        "course:x:progress", "", "course:", "course:1"})
    h.Run({"set", k, "v"});
}

}  // namespace

TEST_CASE("invalidate removes exactly what KEYS matches, for every pattern form") {
  const std::vector<std::string> patterns = {
      "course:7",                  // literal key
      "course:7:*",                // prefix
      "course:1*",                 // prefix not on a separator
      "course:1:**",               // trailing stars
      "*:progress:3",              // leading wildcard
      "course:[0-9]:students",     // class
      "course:[^0-9]*:lessons",    // negated class
      "course:?:lessons",          // single char
      "course:1?:*",
      "a\\*b",                     // escaped star: the literal key a*b
      "a\\?*",                     // escaped ? then prefix
      "a\\[b",
      "a\\\\b",                    // escaped backslash
      "*progress",
      "analytics:*",
      "nomatch:*",
      "nomatch",
      "*",
  };
  for (const auto& p : patterns) {
    Harness h;
    load_lms(h);
    std::set<std::string> before = keys_of(h, "*");
    std::set<std::string> expected = keys_of(h, p);
    INFO("pattern ", p);
    CHECK(h.Run({"invalidate", p}).num == static_cast<long long>(expected.size()));
    std::set<std::string> after = keys_of(h, "*");
    for (auto& k : expected) CHECK(after.count(k) == 0);
    CHECK(after.size() == before.size() - expected.size());
    CHECK(h.Run({"invalidate", p}).num == 0);  // nothing left to remove
  }
}

TEST_CASE("invalidate with several patterns counts each key once (the LMS course event)") {
  Harness h;
  load_lms(h);
  std::set<std::string> expected = keys_of(h, "course:3:*");
  expected.insert("course:3");
  const auto matching = static_cast<long long>(keys_of(h, "course:3*").size());  // before: the check's
  CHECK(matching > 0);                                                            // operand order is unspecified
  CHECK(h.Run({"invalidate", "course:3", "course:3:*", "course:3:students", "course:3*"}).num == matching);
  CHECK(keys_of(h, "course:3*").empty());
  CHECK(h.Run({"exists", "course:30", "course:31", "course:4"}).num == 1);  // course:30+ were in course:3*
  CHECK(h.Run({"invalidate"}).str == "ERR wrong number of arguments for 'invalidate' command");
  CHECK(h.Run({"invalidatetag"}).str == "ERR wrong number of arguments for 'invalidatetag' command");
}

TEST_CASE("invalidate and expiry: keys already expired are not counted") {
  Harness h;
  h.Run({"set", "s:1", "v"});
  h.Run({"set", "s:2", "v", "px", "100000"});
  h.Run({"set", "s:3", "v", "px", "1"});
  h.Run({"set", "s:4", "v", "px", "1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  long long expired_before = info_field(h, "expired_keys");
  CHECK(h.Run({"invalidate", "s:*"}).num == 2);
  CHECK(info_field(h, "expired_keys") == expired_before + 2);
  CHECK(h.Run({"dbsize"}).num == 0);
  // A TTL survives nothing: keys written after the call keep their own TTL.
  h.Run({"set", "s:5", "v", "ex", "100"});
  CHECK(h.Run({"ttl", "s:5"}).num == 100);
}

TEST_CASE("invalidate returns memory to the budget; eviction keeps working around it") {
  Harness h(4);
  long long base = info_field(h, "used_memory");
  for (int i = 0; i < 3000; ++i) h.Run({"set", "course:9:k" + std::to_string(i), std::string(50, 'x')});
  for (int i = 0; i < 100; ++i) h.Run({"set", "keep:" + std::to_string(i), "v"});
  long long loaded = info_field(h, "used_memory");
  CHECK(h.Run({"invalidate", "course:9:*"}).num == 3000);
  long long after = info_field(h, "used_memory");
  CHECK(after < base + (loaded - base) / 10);
  // Under a tight budget, writes evict; an invalidation afterwards still counts only live keys.
  CHECK(h.Run({"config", "set", "maxmemory", std::to_string(after + 60000)}).ok());
  for (int i = 0; i < 3000; ++i) h.Run({"set", "course:9:k" + std::to_string(i), std::string(50, 'x')});
  long long evicted = info_field(h, "evicted_keys");
  CHECK(evicted > 0);
  long long live = static_cast<long long>(keys_of(h, "course:9:*").size());
  CHECK(h.Run({"invalidate", "course:9:*"}).num == live);
  CHECK(info_field(h, "used_memory") <= after + 60000);
}

TEST_CASE("SET ... TAGS: tags live and die with the value") {
  Harness h;
  CHECK(h.Run({"set", "dash:1", "v", "tags", "course:42", "course:7"}).ok());
  CHECK(h.Run({"set", "dash:2", "v", "ex", "100", "tags", "course:42"}).ok());
  CHECK(h.Run({"ttl", "dash:2"}).num == 100);
  CHECK(h.Run({"set", "dash:3", "v", "TAGS", "course:7", "course:7"}).ok());
  CHECK(h.Run({"set", "dash:4", "v", "tags"}).str == "ERR syntax error");
  CHECK(h.Run({"set", "dash:4", "v", "tags", "x", "nx"}).ok());  // TAGS is last: "nx" is a tag here
  CHECK(h.Run({"set", "dash:4", "v", "nx", "tags", "y"}).kind == Val::Null);  // NX failed: no write, no tags
  CHECK(h.Run({"invalidatetag", "y"}).num == 0);
  CHECK(h.Run({"invalidatetag", "nx"}).num == 1);
  // Overwrite without TAGS drops them; with TAGS replaces them.
  h.Run({"set", "dash:3", "plain"});
  CHECK(h.Run({"invalidatetag", "course:7"}).num == 1);  // only dash:1
  CHECK(h.Run({"get", "dash:3"}).str == "plain");
  CHECK(h.Run({"get", "dash:1"}).kind == Val::Null);
  // Modifying a value keeps its tags, like its TTL; RENAME moves them with the value.
  h.Run({"set", "n", "1", "tags", "t"});
  h.Run({"incr", "n"});
  h.Run({"append", "n", "000"});
  h.Run({"rename", "n", "m"});
  CHECK(h.Run({"invalidatetag", "t"}).num == 1);
  CHECK(h.Run({"exists", "m", "n"}).num == 0);
  // DEL and expiry drop them.
  h.Run({"set", "d", "v", "tags", "gone"});
  h.Run({"del", "d"});
  h.Run({"set", "e", "v", "px", "1", "tags", "gone"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(h.Run({"invalidatetag", "gone", "course:42"}).num == 1);  // dash:2 only
  CHECK(h.Run({"dbsize"}).num == 1);  // dash:3
}

TEST_CASE("tags count in used_memory and are freed with the value; eviction drops them") {
  Harness h(1);
  long long base = info_field(h, "used_memory");
  for (int i = 0; i < 1000; ++i) h.Run({"set", "k" + std::to_string(i), "v"});
  long long plain = info_field(h, "used_memory");
  h.Run({"flushall"});
  for (int i = 0; i < 1000; ++i)
    h.Run({"set", "k" + std::to_string(i), "v", "tags", "a-rather-long-tag-name-" + std::to_string(i % 10), "b"});
  long long tagged = info_field(h, "used_memory");
  CHECK(tagged > plain + 1000 * 40);  // memberships and per-entry lists are charged
  CHECK(h.Run({"invalidatetag", "b"}).num == 1000);
  CHECK(info_field(h, "used_memory") == static_cast<long long>(h.store.shard(0).table_locked().slot_bytes()));
  CHECK(base > 0);
  // Eviction of tagged values drops their tags.
  CHECK(h.Run({"config", "set", "maxmemory", std::to_string(base + 60000)}).ok());
  for (int i = 0; i < 3000; ++i) h.Run({"set", "k" + std::to_string(i), "v", "tags", "grp"});
  long long live = h.Run({"dbsize"}).num;
  CHECK(live < 3000);
  CHECK(info_field(h, "used_memory") <= base + 60000);
  CHECK(h.Run({"invalidatetag", "grp"}).num == live);
}

TEST_CASE("info counts invalidated keys and calls; resetstat clears them") {
  Harness h;
  load_lms(h);
  h.Run({"invalidate", "course:1:*"});
  h.Run({"set", "t", "v", "tags", "x"});
  h.Run({"invalidatetag", "x"});
  h.Run({"invalidate", "nothing"});
  CHECK(info_field(h, "invalidated_keys") == 8);
  CHECK(info_field(h, "invalidation_calls") == 3);
  h.Run({"config", "resetstat"});
  CHECK(info_field(h, "invalidated_keys") == 0);
  CHECK(info_field(h, "invalidation_calls") == 0);
}

TEST_CASE("invalidate inside MULTI/EXEC runs with the transaction") {
  Harness h;
  load_lms(h);
  h.Run({"multi"});
  h.Run({"invalidate", "student:*"});
  h.Run({"set", "student:1:profile", "new"});
  h.Run({"invalidatetag", "none"});
  Val r = h.Run({"exec"});
  REQUIRE(r.elems.size() == 3);
  CHECK(r.elems[0].num == 80);
  CHECK(h.Run({"get", "student:1:profile"}).str == "new");
  CHECK(keys_of(h, "student:*").size() == 1);
}

TEST_CASE("stepped path: other commands run between slices and already see the call's effect") {
  Harness h(8);
  h.client->supports_continuation = true;
  for (int i = 0; i < 200000; ++i) h.Run({"set", "course:5:k" + std::to_string(i), "v"});
  h.Run({"set", "course:6:k", "v"});
  Val first = h.Run({"invalidate", "course:5:*"});
  REQUIRE(h.client->continuation);  // 200k keys do not fit the first 500 us slice
  CHECK(first.str == "no reply");
  // Between slices (as another client on the same io thread would):
  h.client->supports_continuation = false;
  CHECK(h.Run({"get", "course:5:k123"}).kind == Val::Null);
  CHECK(h.Run({"get", "course:6:k"}).str == "v");
  CHECK(h.Run({"set", "course:5:fresh", "new"}).ok());
  CHECK(keys_of(h, "course:5:*") == std::set<std::string>{"course:5:fresh"});
  RecordingSink sink;
  auto cont = std::move(h.client->continuation);
  h.client->continuation = nullptr;
  int slices = 1;
  while (!cont(sink)) ++slices;
  CHECK(slices > 1);
  REQUIRE(sink.replies.size() == 1);
  CHECK(sink.replies[0].num == 200000);  // course:5:k123 was reaped by the GET, counted all the same
  CHECK(h.Run({"get", "course:5:fresh"}).str == "new");
  CHECK(h.Run({"dbsize"}).num == 2);
}

namespace {
/// One in-process client of a shared server, for use on its own thread.
struct ThreadClient {
  Harness& h;
  std::shared_ptr<shardcache::commands::ClientState> client = std::make_shared<shardcache::commands::ClientState>();
  Val Run(std::vector<std::string> args) {
    RecordingSink sink;
    std::vector<std::string_view> views(args.begin(), args.end());
    shardcache::commands::CmdContext ctx{h.state, *client, *h.state.thread_stats[0]};
    shardcache::commands::dispatch(ctx, shardcache::commands::Args(views.data(), views.size()), sink);
    return sink.replies.front();
  }
};
}  // namespace

TEST_CASE("writers and invalidators on several threads: no stale key, no lost key, exact counts") {
  Harness h(16);
  constexpr int kWriters = 3, kPerWriter = 6000;
  std::atomic<int> done_writers{0};
  std::atomic<int> completed[kWriters] = {};
  std::atomic<long long> removed_inv{0}, removed_tag{0};
  std::atomic<int> stale{0}, lost{0}, checks{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      ThreadClient c{h};
      for (int i = 0; i < kPerWriter; ++i) {
        std::string id = std::to_string(w) + ":" + std::to_string(i);
        c.Run({"set", "inv:" + id, "v"});
        c.Run({"set", "keep:" + id, "v"});
        c.Run({"set", "dash:" + id, "v", "tags", "course:1"});
        if (i % 50 == 0) c.Run({"set", "ttl:" + id, "v", "px", "2"});
        completed[w].store(i + 1, std::memory_order_release);
      }
      done_writers.fetch_add(1);
    });
  }
  // Invalidators: what was written before a call began must be gone when it returns.
  auto invalidator = [&](bool tags) {
    ThreadClient c{h};
    std::mt19937 rng(tags ? 1 : 2);
    while (done_writers.load() < kWriters) {
      int snap[kWriters];
      for (int w = 0; w < kWriters; ++w) snap[w] = completed[w].load(std::memory_order_acquire);
      Val r = tags ? c.Run({"invalidatetag", "course:1"}) : c.Run({"invalidate", "inv:*", "ttl:*"});
      (tags ? removed_tag : removed_inv) += r.num;
      for (int w = 0; w < kWriters; ++w) {
        if (snap[w] == 0) continue;
        for (int j : {snap[w] - 1, static_cast<int>(rng() % snap[w])}) {
          std::string id = std::to_string(w) + ":" + std::to_string(j);
          if (c.Run({"exists", (tags ? "dash:" : "inv:") + id}).num != 0) stale++;
          if (c.Run({"exists", "keep:" + id}).num != 1) lost++;
          checks++;
        }
      }
    }
  };
  threads.emplace_back(invalidator, false);
  threads.emplace_back(invalidator, true);
  threads.emplace_back([&] {  // a reader scanning meanwhile
    ThreadClient c{h};
    while (done_writers.load() < kWriters) {
      c.Run({"keys", "inv:1:*"});
      c.Run({"scan", "0", "match", "dash:*", "count", "100"});
      c.Run({"get", "keep:0:0"});
    }
  });
  for (auto& t : threads) t.join();
  CHECK(checks.load() > 0);
  CHECK(stale.load() == 0);
  CHECK(lost.load() == 0);
  // Every invalidated-family key was removed exactly once or is still there.
  long long left_inv = static_cast<long long>(keys_of(h, "inv:*").size());
  long long left_tag = static_cast<long long>(keys_of(h, "dash:*").size());
  CHECK(h.Run({"invalidatetag", "course:1"}).num == left_tag);
  CHECK(removed_tag.load() + left_tag == kWriters * kPerWriter);
  CHECK(keys_of(h, "keep:*").size() == static_cast<size_t>(kWriters * kPerWriter));
  long long left_ttl = static_cast<long long>(keys_of(h, "ttl:*").size());
  long long ttl_written = kWriters * (kPerWriter / 50);
  CHECK(removed_inv.load() + left_inv <= kWriters * kPerWriter + ttl_written);
  CHECK(removed_inv.load() + left_inv + left_ttl >= kWriters * kPerWriter);
  for (size_t i = 0; i < h.store.shard_count(); ++i) CHECK(h.store.shard(i).mark_count_locked() == 0);
}
