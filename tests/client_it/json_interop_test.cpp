// tests/client_it/json_interop_test.cpp: json.h against the real @upstash/redis (node), both
// ways, through one daemon (RESP for C++, its REST port for node). The cases and what
// @upstash/redis's get() returns for each are in tests/integration/upstash/json_interop_cases.json;
// the node half is json_interop.mjs there. C++ writes first (json::set, json::mset, raw bytes),
// then node writes the same values (set, mset) and reads everything back (get, mget), checking
// the expectations; then C++ checks that
//   - the bytes json::set stored equal the bytes @upstash/redis's set stored (byte for byte),
//   - json::get / json::mget return exactly what @upstash/redis's get returned (compared as
//     JSON.stringify text, so types, key order and number forms all count),
//   - Cache::with_cache reads an object node wrote as a hit.
// Needs SC_PORT, SC_HTTP_PORT and SC_UPSTASH_DIR (with node_modules) from suite_client.sh.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "it_support.h"
#include "shardcache/json.h"

using namespace shardcache;
using namespace it;
using nlohmann::ordered_json;
namespace sj = shardcache::json;

namespace {

struct InteropCourse {
  int id = 0;
  std::string title;
  double price = 0;
  bool published = false;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InteropCourse, id, title, price, published)

ordered_json load_cases(const std::string& dir) {
  std::ifstream in(dir + "/json_interop_cases.json");
  REQUIRE_MESSAGE(in.good(), "cannot read " << dir << "/json_interop_cases.json");
  return ordered_json::parse(in)["cases"];
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string raw_bytes(const ordered_json& c) {
  return c.contains("raw_hex") ? from_hex(c["raw_hex"].get<std::string>()) : c["raw"].get<std::string>();
}

/// Runs the node half; returns its exit status and its stdout+stderr.
std::pair<int, std::string> run_node(const std::string& dir, const std::string& prefix) {
  const std::string cmd = "cd '" + dir + "' && UPSTASH_REDIS_REST_URL=http://127.0.0.1:" + env("SC_HTTP_PORT") +
                          " UPSTASH_REDIS_REST_TOKEN=unused timeout 120 node json_interop.mjs '" + prefix + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// C++ writes every case before node runs: json::set ("cpp:"), json::mset ("cppm:"), raw ("raw:").
void write_cpp_side(Client& c, const ordered_json& cases, const std::string& P) {
  std::vector<std::pair<std::string, ordered_json>> pairs;
  for (const auto& cs : cases) {
    const auto name = cs["name"].get<std::string>();
    if (cs.contains("value")) {
      REQUIRE_MESSAGE(sj::set(c, P + "cpp:" + name, cs["value"]).ok(), name);
      pairs.emplace_back(P + "cppm:" + name, cs["value"]);
    } else {
      REQUIRE(c.set(P + "raw:" + name, raw_bytes(cs)).ok());
    }
  }
  REQUIRE(sj::mset(c, pairs).ok());
}

}  // namespace

TEST_CASE("json: values shared with @upstash/redis both ways (get, set, mget, mset)") {
  const std::string dir = env("SC_UPSTASH_DIR");
  const ordered_json cases = load_cases(dir);
  REQUIRE(cases.size() >= 40);
  Client c(daemon_options());
  const std::string P = "jsonit" + std::to_string(::getpid()) + ":";
  write_cpp_side(c, cases, P);

  auto [rc, out] = run_node(dir, P);
  const auto last = out.rfind("{\"failures\":");
  REQUIRE_MESSAGE(last != std::string::npos, "node printed no report:\n" << out);
  const ordered_json report = ordered_json::parse(out.substr(last), nullptr, false);
  REQUIRE_MESSAGE(!report.is_discarded(), "node report is not JSON:\n" << out);
  for (const auto& f : report["failures"]) FAIL_CHECK("@upstash/redis: " << f.get<std::string>());
  CHECK_MESSAGE(rc == 0, out);
  const ordered_json& results = report["results"];

  std::vector<std::string> node_keys;
  std::vector<std::string> node_texts;
  for (const auto& cs : cases) {
    const auto name = cs["name"].get<std::string>();
    CAPTURE(name);
    REQUIRE(results.contains(name));
    const auto node_text = results[name].get<std::string>();  // JSON.stringify(redis.get(key))
    const std::string key = P + (cs.contains("value") ? "node:" : "raw:") + name;
    auto got = sj::get<ordered_json>(c, key);
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK(sj::stringify(**got) == node_text);
    CHECK(sj::get(c, key)->value() == nlohmann::json::parse(node_text));  // deep equality, unordered
    if (!cs.contains("value")) continue;
    node_keys.push_back(key);
    node_texts.push_back(node_text);
    // byte for byte: what json::set / json::mset stored is what @upstash/redis's set / mset stored
    const auto node_bytes = c.get(key)->value();
    CHECK(c.get(P + "cpp:" + name)->value() == node_bytes);
    CHECK(c.get(P + "cppm:" + name)->value() == node_bytes);
    CHECK(c.get(P + "nodem:" + name)->value() == node_bytes);
  }

  node_keys.push_back(P + "node:missing");
  auto all = sj::mget<ordered_json>(c, node_keys);
  REQUIRE(all.ok());
  REQUIRE(all->size() == node_keys.size());
  for (size_t i = 0; i + 1 < node_keys.size(); ++i) {
    CAPTURE(node_keys[i]);
    REQUIRE((*all)[i].has_value());
    CHECK(sj::stringify(*(*all)[i]) == node_texts[i]);
  }
  CHECK_FALSE(all->back().has_value());

  // withCache in TypeScript and with_cache in C++ share the key: a node-written object is a hit.
  Cache cache(c);
  int loads = 0;
  auto course = cache.with_cache(P + "node:object", CacheTTL::LONG, [&] {
    ++loads;
    return InteropCourse{};
  });
  CHECK(loads == 0);
  CHECK(course.id == 7);
  CHECK(course.title == "Algebra I");
  CHECK(course.price == 19.5);
  CHECK(course.published);
}
