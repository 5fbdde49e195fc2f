// tests/unit/http/json_sink_test.cpp: the JSON reply sink: envelopes, RESP2 shapes, base64 rules
// (wire.md A5), UTF-8 repair, and real command replies through the dispatcher.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "daemon/http/json_sink.h"
#include "tests/unit/daemon/harness.h"

using shardcache::http::JsonSink;

namespace {

/// Runs `f` on a fresh sink and returns the JSON text.
std::string json(bool base64, const std::function<void(JsonSink&)>& f) {
  rapidjson::StringBuffer buf;
  JsonSink sink(buf, base64);
  f(sink);
  CHECK(sink.between_replies());
  return std::string(buf.GetString(), buf.GetSize());
}

/// Runs commands through the real dispatcher into one JSON list.
std::string run(shardcache::test::Harness& h, bool base64, std::vector<std::vector<std::string>> cmds) {
  rapidjson::StringBuffer buf;
  JsonSink sink(buf, base64);
  sink.begin_list();
  for (auto& c : cmds) {
    std::vector<std::string_view> v(c.begin(), c.end());
    shardcache::commands::CmdContext ctx{h.state, *h.client, *h.state.thread_stats[0]};
    shardcache::commands::dispatch(ctx, shardcache::commands::Args(v.data(), v.size()), sink);
  }
  sink.end_list();
  CHECK(sink.entries() == cmds.size());
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

TEST_CASE("plain values: one envelope entry each, RESP2 shapes") {
  CHECK(json(false, [](JsonSink& s) { s.simple("OK"); }) == R"({"result":"OK"})");
  CHECK(json(false, [](JsonSink& s) { s.integer(-42); }) == R"({"result":-42})");
  CHECK(json(false, [](JsonSink& s) { s.bulk("hello"); }) == R"({"result":"hello"})");
  CHECK(json(false, [](JsonSink& s) { s.null(); }) == R"({"result":null})");
  CHECK(json(false, [](JsonSink& s) { s.null_array(); }) == R"({"result":null})");
  CHECK(json(false, [](JsonSink& s) { s.dbl(1.5); }) == R"({"result":"1.5"})");
  CHECK(json(false, [](JsonSink& s) { s.dbl(2); }) == R"({"result":"2"})");
  CHECK(json(false, [](JsonSink& s) { s.boolean(true); }) == R"({"result":1})");
  CHECK(json(false, [](JsonSink& s) { s.verbatim("# Server\r\n"); }) == R"({"result":"# Server\r\n"})");
  CHECK(json(false, [](JsonSink& s) { s.error("ERR boom"); }) == R"({"error":"ERR boom"})");
  CHECK(json(false, [](JsonSink& s) { s.array(0); }) == R"({"result":[]})");
}

TEST_CASE("arrays nest, maps flatten, sets are arrays") {
  CHECK(json(false, [](JsonSink& s) {
          s.array(2);
          s.bulk("0");
          s.array(2);
          s.bulk("k1");
          s.bulk("k2");
        }) == R"({"result":["0",["k1","k2"]]})");
  CHECK(json(false, [](JsonSink& s) {
          s.map(2);
          s.bulk("f1");
          s.bulk("v1");
          s.bulk("f2");
          s.integer(2);
        }) == R"({"result":["f1","v1","f2",2]})");
  CHECK(json(false, [](JsonSink& s) {
          s.set(1);
          s.array(0);
        }) == R"({"result":[[]]})");
}

TEST_CASE("base64: every string at every depth, except a top-level OK; numbers, nulls, errors untouched") {
  CHECK(json(true, [](JsonSink& s) { s.simple("OK"); }) == R"({"result":"OK"})");
  CHECK(json(true, [](JsonSink& s) { s.simple("PONG"); }) == R"({"result":"UE9ORw=="})");
  CHECK(json(true, [](JsonSink& s) { s.simple("QUEUED"); }) == R"({"result":"UVVFVUVE"})");
  CHECK(json(true, [](JsonSink& s) { s.bulk("hello"); }) == R"({"result":"aGVsbG8="})");
  CHECK(json(true, [](JsonSink& s) { s.dbl(1.5); }) == R"({"result":"MS41"})");
  CHECK(json(true, [](JsonSink& s) { s.integer(7); }) == R"({"result":7})");
  CHECK(json(true, [](JsonSink& s) { s.null(); }) == R"({"result":null})");
  CHECK(json(true, [](JsonSink& s) { s.error("ERR not encoded"); }) == R"({"error":"ERR not encoded"})");
  // Nested: the client base64-decodes every nested string, so even OK is encoded there.
  CHECK(json(true, [](JsonSink& s) {
          s.array(4);
          s.simple("OK");
          s.bulk("0");
          s.null();
          s.array(1);
          s.bulk("k1");
        }) == R"({"result":["T0s=","MA==",null,["azE="]]})");
  CHECK(json(true, [](JsonSink& s) { s.bulk(std::string("\xff\x00", 2)); }) == R"({"result":"/wA="})");
}

TEST_CASE("without base64: JSON escapes, invalid UTF-8 becomes U+FFFD") {
  CHECK(json(false, [](JsonSink& s) { s.bulk("a\"b\\c\n\x01"); }) == "{\"result\":\"a\\\"b\\\\c\\n\\u0001\"}");
  CHECK(json(false, [](JsonSink& s) { s.bulk("caf\xc3\xa9"); }) == "{\"result\":\"caf\xc3\xa9\"}");
  CHECK(json(false, [](JsonSink& s) { s.bulk("a\xff" "b"); }) == "{\"result\":\"a\xef\xbf\xbd" "b\"}");
  CHECK(json(false, [](JsonSink& s) { s.error("ERR \xff"); }) == "{\"error\":\"ERR \xef\xbf\xbd\"}");
}

TEST_CASE("entries: a list of replies, counted, errors flagged") {
  rapidjson::StringBuffer buf;
  JsonSink s(buf, false);
  s.begin_list();
  s.simple("OK");
  CHECK(s.entries() == 1);
  CHECK_FALSE(s.last_was_error());
  s.array(2);
  CHECK_FALSE(s.between_replies());
  s.integer(1);
  s.error("ERR nested");  // an error inside an array stays an unencoded string
  CHECK(s.between_replies());
  s.error("ERR top");
  CHECK(s.last_was_error());
  s.end_list();
  CHECK(s.entries() == 3);
  CHECK(std::string(buf.GetString()) == R"([{"result":"OK"},{"result":[1,"ERR nested"]},{"error":"ERR top"}])");
}

TEST_CASE("real replies through the dispatcher match wire.md A6") {
  shardcache::test::Harness h;
  CHECK(run(h, true, {{"set", "k1", "hello"}, {"get", "k1"}, {"get", "nope"}, {"ping"}}) ==
        R"([{"result":"OK"},{"result":"aGVsbG8="},{"result":null},{"result":"UE9ORw=="}])");
  CHECK(run(h, true, {{"mset", "a", "1", "b", "{\"nested\":true}", "c", "3"}, {"mget", "a", "b", "c", "nope"}}) ==
        R"([{"result":"OK"},{"result":["MQ==","eyJuZXN0ZWQiOnRydWV9","Mw==",null]}])");
  CHECK(run(h, true, {{"incr", "cnt"}, {"incrbyfloat", "f", "1.5"}, {"incr", "k1"}, {"type", "k1"}}) ==
        R"([{"result":1},{"result":"MS41"},{"error":"ERR value is not an integer or out of range"},{"result":"c3RyaW5n"}])");
  CHECK(run(h, false, {{"set", "k1", "hello", "ex", "100"}, {"get", "k1"}, {"ping"}, {"ttl", "k1"}}) ==
        R"([{"result":"OK"},{"result":"hello"},{"result":"PONG"},{"result":100}])");
  CHECK(run(h, true, {{"flushall"}, {"set", "k1", "x"}, {"scan", "0", "match", "k*", "count", "100"}}) ==
        R"([{"result":"OK"},{"result":"OK"},{"result":["MA==",["azE="]]}])");
  // RESP3-only shapes come out RESP2-shaped even after HELLO 3 (CONFIG GET is a map).
  CHECK(run(h, false, {{"hello", "3"}, {"config", "get", "maxmemory-policy"}}).find(
            R"({"result":["maxmemory-policy","allkeys-lru"]})") != std::string::npos);
}

TEST_CASE("json sink: strings past the limit are written empty, the JSON stays whole, over() is set") {
  rapidjson::StringBuffer buf;
  JsonSink sink(buf, false);
  sink.set_limit(100);
  sink.begin_list();
  sink.bulk(std::string(40, 'a'));
  CHECK_FALSE(sink.over());
  sink.bulk(std::string(80, 'b'));
  sink.bulk("c");
  sink.end_list();
  CHECK(sink.over());
  CHECK(std::string(buf.GetString(), buf.GetSize()) == "[{\"result\":\"" + std::string(40, 'a') + "\"},{\"result\":\"\"},{\"result\":\"\"}]");
}

TEST_CASE("json sink: the limit counts a string's escaped size (control bytes take 6, quotes 2)") {
  rapidjson::StringBuffer buf;
  JsonSink sink(buf, false);
  sink.set_limit(1000);
  sink.begin_list();
  sink.bulk(std::string(400, '\x01'));  // 400 bytes, but 2,400 of JSON as \u0001 each
  sink.end_list();
  CHECK(sink.over());
  CHECK(buf.GetSize() < 1000);
  rapidjson::StringBuffer buf2;
  JsonSink quotes(buf2, false);
  quotes.set_limit(1000);
  quotes.begin_list();
  quotes.bulk(std::string(600, '"'));  // 1,200 bytes escaped
  quotes.end_list();
  CHECK(quotes.over());
  rapidjson::StringBuffer buf3;
  JsonSink fits(buf3, false);
  fits.set_limit(1000);
  fits.begin_list();
  fits.bulk(std::string(100, '\n'));  // 200 bytes escaped: fits
  fits.end_list();
  CHECK_FALSE(fits.over());
}
