// tests/unit/daemon/hot_path_test.cpp: properties the request hot path relies on: the command
// table's hashed, case-insensitive lookup, and shard choice independent of the bits each
// shard's hash table uses for its buckets (see docs/benchmarks-resp.md).
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/store/store.h"

using shardcache::commands::command_table;
using shardcache::store::Store;

namespace {
std::string upper_copy(std::string_view s) {
  std::string u(s);
  for (auto& c : u) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return u;
}
}  // namespace

TEST_CASE("command lookup: every command by its name in any case, nothing else") {
  const auto& t = command_table();
  REQUIRE(!t.all().empty());
  for (const auto& spec : t.all()) {
    INFO("command: ", spec.name);
    CHECK(t.find(spec.name) == &spec);
    std::string up = upper_copy(spec.name);
    CHECK(t.find(up) == &spec);
    up[0] = spec.name[0];  // mixed case
    CHECK(t.find(up) == &spec);
  }
  CHECK(t.find("") == nullptr);
  CHECK(t.find("getx") == nullptr);
  CHECK(t.find("ge") == nullptr);
  CHECK(t.find(std::string("get\0", 4)) == nullptr);
  CHECK(t.find(std::string(31, 'g')) == nullptr);
  CHECK(t.find(std::string(64, 'a')) == nullptr);
  CHECK(t.find("G\xc3\x89T") == nullptr);
}

TEST_CASE("store: the shard is not taken from the bits a shard's table uses for buckets") {
  // Tables index buckets by the low bits of the key hash. If the shard came from those bits
  // too, all keys of one shard would share them and pile into 1/S of its buckets.
  Store st(64);
  std::vector<std::set<uint64_t>> low_bits(st.shard_count());
  for (int i = 0; i < 20000; ++i) {
    uint64_t h = Store::hash("key:" + std::to_string(i));
    low_bits[st.shard_index(h)].insert(h & 63);
  }
  for (size_t s = 0; s < low_bits.size(); ++s) {
    INFO("shard ", s);
    CHECK(low_bits[s].size() > 32);
  }
}
