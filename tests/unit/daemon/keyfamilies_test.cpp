// tests/unit/daemon/keyfamilies_test.cpp: key families (daemon/store/key_families.h) as INFO
// keyfamilies and Store::key_families() report them (hits, misses, sets, keys, memory,
// invalidations, the top-N cut with its "(other)" row, RESETSTAT), and the dashboard's history
// ring (daemon/state/history.h): one point a second, rates, percentiles and busiest commands.
#include <doctest/doctest.h>

#include <string>

#include "daemon/state/history.h"
#include "harness.h"

using namespace shardcache;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

const store::FamilyRow* row(const std::vector<store::FamilyRow>& rows, std::string_view name) {
  for (const auto& r : rows)
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("key families: the first segment up to ':', (none) for keys without one") {
  using store::KeyFamilies;
  CHECK(KeyFamilies::family_of("course:1") == "course");
  CHECK(KeyFamilies::family_of("course:1:lessons") == "course");
  CHECK(KeyFamilies::family_of("plain") == KeyFamilies::kNone);
  CHECK(KeyFamilies::family_of(":x") == KeyFamilies::kNone);
  CHECK(KeyFamilies::family_of("") == KeyFamilies::kNone);
  CHECK(KeyFamilies::family_of(std::string(40, 'a') + ":1") == std::string(KeyFamilies::kMaxName, 'a'));
}

TEST_CASE("key families: hits, misses, sets, keys, memory and invalidations by family") {
  Harness h;
  for (int i = 0; i < 10; ++i) h.Run({"set", "course:" + std::to_string(i), "v"});
  for (int i = 0; i < 4; ++i) h.Run({"set", "student:" + std::to_string(i), std::string(100, 'x')});
  h.Run({"set", "loose", "v"});
  h.Run({"set", "course:0", "again"});  // an overwrite: one more set, no new key
  for (int i = 0; i < 6; ++i) h.Run({"get", "course:" + std::to_string(i)});
  h.Run({"get", "course:nope"});
  h.Run({"get", "student:nope"});
  h.Run({"del", "student:3"});
  auto rows = h.store.key_families(32);
  const auto* course = row(rows, "course");
  REQUIRE(course);
  CHECK(course->c.keys == 10);
  CHECK(course->c.sets == 11);
  CHECK(course->c.hits == 6);
  CHECK(course->c.misses == 1);
  CHECK(course->c.bytes > 0);
  const auto* student = row(rows, "student");
  REQUIRE(student);
  CHECK(student->c.keys == 3);
  CHECK(student->c.misses == 1);
  CHECK(student->c.bytes > course->c.bytes / 10 * 3);  // 100-byte values
  const auto* none = row(rows, "(none)");
  REQUIRE(none);
  CHECK(none->c.keys == 1);
  CHECK(rows.front().name == "course");  // busiest first
  CHECK(!row(rows, "(other)"));

  // Memory adds up to the entries' bytes: deleting every key of a family brings it to 0.
  for (int i = 0; i < 3; ++i) h.Run({"del", "student:" + std::to_string(i)});
  student = row(rows = h.store.key_families(32), "student");
  REQUIRE(student);
  CHECK(student->c.keys == 0);
  CHECK(student->c.bytes == 0);

  CHECK(h.Run({"invalidate", "course:*"}).kind == Val::Int);
  course = row(rows = h.store.key_families(32), "course");
  REQUIRE(course);
  CHECK(course->c.invalidated == 10);
  CHECK(course->c.keys == 0);
  CHECK(course->c.bytes == 0);

  std::string info = h.Run({"info", "keyfamilies"}).str;
  CHECK(info.rfind("# Keyfamilies\r\n", 0) == 0);
  CHECK(info.find("course:keys=0,memory=0,hits=6,misses=1,sets=11,invalidated=10,hit_ratio=0.8571\r\n") != std::string::npos);
  CHECK(info.find("(none):keys=1,") != std::string::npos);
  CHECK(h.Run({"info"}).str.find("# Keyfamilies") == std::string::npos);  // not in default
  CHECK(h.Run({"info", "all"}).str.find("# Keyfamilies") != std::string::npos);

  CHECK(h.Run({"config", "resetstat"}).ok());
  course = row(rows = h.store.key_families(32), "course");
  REQUIRE(course);
  CHECK(course->c.hits == 0);
  CHECK(course->c.sets == 0);
  CHECK(row(rows, "(none)")->c.keys == 1);  // what the keyspace holds stays
}

TEST_CASE("key families: the top N by activity, the rest in (other); key-families-max") {
  Harness h;
  for (int f = 0; f < 5; ++f)
    for (int i = 0; i <= f; ++i) h.Run({"set", "fam" + std::to_string(f) + ":" + std::to_string(i), "v"});
  auto rows = h.store.key_families(2);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].name == "fam4");
  CHECK(rows[1].name == "fam3");
  CHECK(rows[2].name == "(other)");
  CHECK(rows[2].c.keys == 1 + 2 + 3);
  CHECK(h.Run({"config", "set", "key-families-max", "2"}).ok());
  std::string info = h.Run({"info", "keyfamilies"}).str;
  CHECK(info.find("fam4:keys=5") != std::string::npos);
  CHECK(info.find("fam2:") == std::string::npos);
  CHECK(info.find("(other):keys=6,") != std::string::npos);
  CHECK(h.Run({"config", "set", "key-families-max", "0"}).kind == Val::Error);
}

TEST_CASE("key families: a shard tracks at most kMaxTracked; the rest count in its overflow") {
  store::KeyFamilies fams;
  for (size_t i = 0; i < store::KeyFamilies::kMaxTracked + 10; ++i) ++fams.of("f" + std::to_string(i) + ":k").sets;
  size_t named = 0;
  uint64_t other = 0;
  fams.for_each([&](std::string_view name, const store::FamilyCounters& c) {
    if (name == store::KeyFamilies::kOther) other = c.sets;
    else ++named;
  });
  CHECK(named == store::KeyFamilies::kMaxTracked);
  CHECK(other == 10);
}

TEST_CASE("history: one point a second with rates, latency and the busiest commands") {
  Harness h;
  state::History hist;
  hist.maybe_sample(h.state, 1000);  // the baseline
  CHECK(hist.points().empty());
  for (int i = 0; i < 30; ++i) h.Run({"set", "k" + std::to_string(i), "v"});
  for (int i = 0; i < 10; ++i) h.Run({"get", "k" + std::to_string(i)});
  hist.maybe_sample(h.state, 1500);  // less than a second: no point
  CHECK(hist.points().empty());
  hist.maybe_sample(h.state, 2000);
  auto pts = hist.points();
  REQUIRE(pts.size() == 1);
  CHECK(pts[0].ops == 40);
  CHECK(pts[0].hits == 10);
  CHECK(pts[0].p50_us > 0);  // from the all-commands latency histogram, rounded up to whole µs
  CHECK(pts[0].p99_us >= pts[0].p50_us);
  REQUIRE(pts[0].n_cmds == 2);
  CHECK(pts[0].cmds[0].second == 30);
  CHECK(commands::command_table().all()[pts[0].cmds[0].first].name == "set");
  CHECK(pts[0].cmds[1].second == 10);
  hist.maybe_sample(h.state, 3000);
  pts = hist.points();
  REQUIRE(pts.size() == 2);
  CHECK(pts[1].ops == 0);
  CHECK(pts[1].n_cmds == 0);
  CHECK(hist.points(pts[0].t_ms).size() == (pts[1].t_ms > pts[0].t_ms ? 1u : 0u));
  for (int64_t t = 4000; t < 4000 + 1000 * static_cast<int64_t>(state::History::kPoints) + 5000; t += 1000) hist.maybe_sample(h.state, t);
  CHECK(hist.points().size() == state::History::kPoints);  // 15 minutes kept
}
