// tests/client_it/calls_test.cpp: every typed call of shardcache::Client against the real
// daemon (SC_PORT), the generic command, the explicit pipeline, RESP3 and RESP2 modes, AUTH,
// the JSON layer, and INVALIDATE / SET TAGS / INVALIDATETAG (functional when the daemon has
// them; otherwise the error must surface cleanly and leave the connection usable).
#include <doctest/doctest.h>

#include <set>

#include "it_support.h"
#include "shardcache/json.h"

using namespace shardcache;
using namespace it;

TEST_CASE("calls: ping, RESP3 negotiation, get/set/del") {
  Client c(daemon_options());
  auto pong = c.ping();
  REQUIRE(pong.ok());
  CHECK(*pong == "PONG");
  CHECK(c.protocol() == 3);
  const auto k = prefix("basic");
  REQUIRE(c.set(k + "a", "hello")->written);
  auto g = c.get(k + "a");
  REQUIRE(g.ok());
  CHECK(g->value() == "hello");
  auto miss = c.get(k + "missing");
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->has_value());
  REQUIRE(c.set(k + "b", "x").ok());
  CHECK(c.del({k + "a", k + "b", k + "missing"}).value() == 2);
  CHECK_FALSE(c.get(k + "a")->has_value());
}

TEST_CASE("calls: binary-safe and large values") {
  Client c(daemon_options());
  const auto k = prefix("binary");
  const std::string bin("a\r\nb\0c\xff$*\r\n", 12);
  REQUIRE(c.set(k + "bin", bin).ok());
  CHECK(c.get(k + "bin")->value() == bin);
  const std::string big(2 * 1024 * 1024, 'z');
  REQUIRE(c.set(k + "big", big).ok());
  CHECK(c.get(k + "big")->value() == big);
  CHECK(c.del(k + "big").value() == 1);
}

TEST_CASE("calls: set options ex, px, exat, pxat, nx, xx, keepttl, get") {
  Client c(daemon_options());
  const auto k = prefix("setopts");
  (void)c.del({k + "e", k + "p", k + "n", k + "x", k + "at", k + "pat"});
  REQUIRE(c.set(k + "e", "v", SetOptions().expire_in(std::chrono::seconds(100))).ok());
  auto ttl = c.ttl(k + "e").value();
  CHECK(ttl > 95);
  CHECK(ttl <= 100);
  REQUIRE(c.set(k + "p", "v", SetOptions().expire_in(std::chrono::milliseconds(50000))).ok());
  auto pttl = c.pttl(k + "p").value();
  CHECK(pttl > 45000);
  CHECK(pttl <= 50000);
  const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  SetOptions at;
  at.exat = now_s + 200;
  REQUIRE(c.set(k + "at", "v", at).ok());
  CHECK(c.ttl(k + "at").value() > 190);
  SetOptions pat;
  pat.pxat = (now_s + 300) * 1000;
  REQUIRE(c.set(k + "pat", "v", pat).ok());
  CHECK(c.ttl(k + "pat").value() > 290);

  CHECK(c.set(k + "n", "first", SetOptions().if_absent())->written);
  CHECK_FALSE(c.set(k + "n", "second", SetOptions().if_absent())->written);
  CHECK(c.get(k + "n")->value() == "first");
  CHECK_FALSE(c.set(k + "x", "v", SetOptions().if_exists())->written);
  CHECK_FALSE(c.get(k + "x")->has_value());
  CHECK(c.set(k + "n", "third", SetOptions().if_exists())->written);

  auto prev = c.set(k + "n", "fourth", SetOptions().return_previous());
  REQUIRE(prev.ok());
  CHECK(prev->written);
  CHECK(prev->previous == std::optional<std::string>("third"));
  auto none = c.set(k + "fresh", "v", SetOptions().return_previous());
  REQUIRE(none.ok());
  CHECK_FALSE(none->previous.has_value());
  auto nxget = c.set(k + "n", "fifth", SetOptions().if_absent().return_previous());
  REQUIRE(nxget.ok());
  CHECK_FALSE(nxget->written);
  CHECK(nxget->previous == std::optional<std::string>("fourth"));

  REQUIRE(c.set(k + "e", "changed", SetOptions().keep_ttl()).ok());
  CHECK(c.ttl(k + "e").value() > 90);
  REQUIRE(c.set(k + "e", "plain").ok());
  CHECK(c.ttl(k + "e").value() == -1);
  (void)c.del({k + "fresh"});
}

TEST_CASE("calls: mget, mset, exists") {
  Client c(daemon_options());
  const auto k = prefix("multi");
  REQUIRE(c.mset({{k + "a", "1"}, {k + "b", "{\"nested\":true}"}, {k + "c", "3"}}).ok());
  auto m = c.mget({k + "a", k + "b", k + "c", k + "nope"});
  REQUIRE(m.ok());
  REQUIRE(m->size() == 4);
  CHECK((*m)[0] == std::optional<std::string>("1"));
  CHECK((*m)[1] == std::optional<std::string>("{\"nested\":true}"));
  CHECK((*m)[2] == std::optional<std::string>("3"));
  CHECK_FALSE((*m)[3].has_value());
  CHECK(c.exists({k + "a", k + "b", k + "nope", k + "a"}).value() == 3);
}

TEST_CASE("calls: incr, incrby, decr, decrby and the error on a non-integer") {
  Client c(daemon_options());
  const auto k = prefix("counters");
  (void)c.del(k + "n");
  CHECK(c.incr(k + "n").value() == 1);
  CHECK(c.incrby(k + "n", 5).value() == 6);
  CHECK(c.decr(k + "n").value() == 5);
  CHECK(c.decrby(k + "n", 10).value() == -5);
  REQUIRE(c.set(k + "s", "text").ok());
  auto bad = c.incr(k + "s");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::Server);
  CHECK(bad.error().message == "ERR value is not an integer or out of range");
  CHECK(bad.error().server_code() == "ERR");
}

TEST_CASE("calls: expire, pexpire, ttl, pttl, persist") {
  Client c(daemon_options());
  const auto k = prefix("expiry");
  REQUIRE(c.set(k + "t", "v").ok());
  CHECK(c.ttl(k + "t").value() == -1);
  CHECK(c.expire(k + "t", std::chrono::seconds(100)).value());
  CHECK(c.ttl(k + "t").value() > 95);
  CHECK(c.pexpire(k + "t", std::chrono::milliseconds(80000)).value());
  CHECK(c.pttl(k + "t").value() <= 80000);
  CHECK(c.persist(k + "t").value());
  CHECK_FALSE(c.persist(k + "t").value());
  CHECK(c.ttl(k + "t").value() == -1);
  CHECK_FALSE(c.expire(k + "missing", std::chrono::seconds(10)).value());
  CHECK(c.ttl(k + "missing").value() == -2);
  REQUIRE(c.pexpire(k + "t", std::chrono::milliseconds(50)).value());
  std::this_thread::sleep_for(150ms);
  CHECK_FALSE(c.get(k + "t")->has_value());
}

TEST_CASE("calls: scan iterator with match visits every matching key once") {
  Client c(daemon_options());
  const auto k = prefix("scan");
  std::vector<std::pair<std::string, std::string>> kvs;
  for (int i = 0; i < 500; ++i) kvs.emplace_back(k + "course:" + std::to_string(i), "v");
  for (int i = 0; i < 50; ++i) kvs.emplace_back(k + "other:" + std::to_string(i), "v");
  REQUIRE(c.mset(kvs).ok());
  std::multiset<std::string> seen;
  auto scan = c.scan(k + "course:*", 50);
  for (auto& key : scan) seen.insert(key);
  CHECK_FALSE(scan.error().has_value());
  CHECK(seen.size() == 500);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 500);
  CHECK(seen.count(k + "course:499") == 1);
  auto page = c.scan_page("0", k + "other:*", 1000);
  REQUIRE(page.ok());
  CHECK_FALSE(page->cursor.empty());
  auto bad = c.scan_page("not-a-cursor");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "ERR invalid cursor");
  std::vector<std::string> all;
  for (auto& [key, v] : kvs) all.push_back(key);
  CHECK(c.del(all).value() == 550);
}

TEST_CASE("calls: generic command and error replies") {
  Client c(daemon_options());
  const auto k = prefix("generic");
  REQUIRE(c.command("SET", k + "g", "abc").ok());
  auto len = c.command("STRLEN", k + "g");
  REQUIRE(len.ok());
  CHECK(len->type == Value::Type::Integer);
  CHECK(len->integer == 3);
  auto getex = c.command("GETEX", k + "g", "EX", 100);
  REQUIRE(getex.ok());
  CHECK(getex->as_string() == std::optional<std::string>("abc"));
  auto hello = c.command("HELLO", 3);
  REQUIRE(hello.ok());
  CHECK(hello->type == Value::Type::Map);
  auto unknown = c.command("NOSUCHCOMMAND", "x");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().is_unknown_command());
  CHECK(c.ping().ok());  // the connection is still fine
}

TEST_CASE("calls: explicit pipeline returns one value per command, errors in place") {
  Client c(daemon_options());
  const auto k = prefix("pipeline");
  (void)c.del({k + "n", k + "s"});
  auto p = c.pipeline();
  p.set(k + "s", "a").incr(k + "n").incrby(k + "n", 4).get(k + "s").incr(k + "s").expire(k + "s", std::chrono::seconds(50))
      .ttl(k + "s").exists({k + "s", k + "n"}).add("ECHO", "hi").del({k + "s"});
  CHECK(p.size() == 10);
  auto r = p.exec();
  REQUIRE(r.ok());
  REQUIRE(r->size() == 10);
  CHECK((*r)[0].str == "OK");
  CHECK((*r)[1].integer == 1);
  CHECK((*r)[2].integer == 5);
  CHECK((*r)[3].str == "a");
  CHECK((*r)[4].is_error());
  CHECK((*r)[4].str == "ERR value is not an integer or out of range");
  CHECK((*r)[5].integer == 1);
  CHECK((*r)[6].integer == 50);
  CHECK((*r)[7].integer == 2);
  CHECK((*r)[8].str == "hi");
  CHECK((*r)[9].integer == 1);
  CHECK(p.size() == 0);
  auto empty = p.exec();
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("calls: RESP2 mode (protocol=2) and a redis:// URL") {
  auto url = ClientOptions::from_url("redis://127.0.0.1:" + env("SC_PORT") + "/0?protocol=2&pool=1&timeout=2000");
  REQUIRE(url.ok());
  Client c(*url);
  REQUIRE(c.ping().ok());
  CHECK(c.protocol() == 2);
  const auto k = prefix("resp2");
  REQUIRE(c.set(k + "a", "v").ok());
  CHECK(c.get(k + "a")->value() == "v");
  CHECK_FALSE(c.get(k + "none")->has_value());
  auto m = c.mget({k + "a", k + "none"});
  REQUIRE(m.ok());
  CHECK_FALSE((*m)[1].has_value());
  CHECK(c.del(k + "a").value() == 1);
}

TEST_CASE("calls: AUTH from the URL; a wrong password surfaces the server's error") {
  Daemon d({"--requirepass", "s3cret"});
  auto ok = Client::from_url("redis://:s3cret@127.0.0.1:" + std::to_string(d.port()));
  REQUIRE(ok.ok());
  CHECK((*ok)->ping().ok());
  REQUIRE((*ok)->set("k", "v").ok());
  auto bad = Client::from_url("redis://:wrong@127.0.0.1:" + std::to_string(d.port()));
  REQUIRE(bad.ok());
  auto r = (*bad)->get("k");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Server);
  CHECK(r.error().server_code() == "NOAUTH");
}

TEST_CASE("calls: JSON values stored exactly as @upstash/redis stores them") {
  Client c(daemon_options());
  const auto k = prefix("json");
  nlohmann::ordered_json obj = {{"a", 1}, {"b", {1, 2}}, {"s", "str"}};
  REQUIRE(json::set(c, k + "obj", obj).ok());
  CHECK(c.get(k + "obj")->value() == R"({"a":1,"b":[1,2],"s":"str"})");
  auto back = json::get(c, k + "obj");
  REQUIRE(back.ok());
  CHECK(back->value() == nlohmann::json::parse(R"({"a":1,"b":[1,2],"s":"str"})"));
  REQUIRE(json::set(c, k + "num", nlohmann::json(1.5)).ok());
  CHECK(c.get(k + "num")->value() == "1.5");
  REQUIRE(json::set(c, k + "str", nlohmann::json("hello")).ok());
  CHECK(c.get(k + "str")->value() == "hello");
  REQUIRE(c.set(k + "zip", "0123").ok());
  CHECK(json::get(c, k + "zip")->value() == nlohmann::json("0123"));
  CHECK_FALSE(json::get(c, k + "none")->has_value());
}

TEST_CASE("calls: INVALIDATE, SET ... TAGS and INVALIDATETAG (or a clean error without them)") {
  Client c(daemon_options());
  const auto k = prefix("inval");
  REQUIRE(c.mset({{k + "course:42", "a"}, {k + "course:42:stats", "b"}, {k + "course:421", "c"}}).ok());
  auto inv = c.invalidate({k + "course:42", k + "course:42:*"});
  if (!inv.ok() && inv.error().is_unknown_command()) {
    MESSAGE("this daemon has no INVALIDATE: checking that the error surfaces cleanly");
    CHECK(inv.error().code == ErrorCode::Server);
    CHECK(inv.error().message.find("INVALIDATE") != std::string::npos);
  } else {
    REQUIRE(inv.ok());
    CHECK(*inv == 2);
    CHECK(c.exists({k + "course:42", k + "course:42:stats", k + "course:421"}).value() == 1);
  }
  CHECK(c.ping().ok());

  auto tagged = c.set(k + "dash:7", "d", SetOptions().expire_in(std::chrono::seconds(60)).with_tags({"course:42"}));
  if (!tagged.ok()) {
    MESSAGE("this daemon has no SET ... TAGS: " << tagged.error().message);
    CHECK(tagged.error().code == ErrorCode::Server);
    CHECK(tagged.error().server_code() == "ERR");
  }
  auto by_tag = c.invalidate_tags({"course:42"});
  if (!by_tag.ok() && by_tag.error().is_unknown_command()) {
    MESSAGE("this daemon has no INVALIDATETAG: checking that the error surfaces cleanly");
    CHECK(by_tag.error().message.find("INVALIDATETAG") != std::string::npos);
  } else {
    REQUIRE(by_tag.ok());
    CHECK(*by_tag == (tagged.ok() ? 1 : 0));
    CHECK_FALSE(c.get(k + "dash:7")->has_value());
  }
  CHECK(c.ping().ok());
  (void)c.del({k + "course:42", k + "course:42:stats", k + "course:421"});
}
