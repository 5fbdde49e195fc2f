// tests/unit/client/json_test.cpp: the JSON layer stores and loads exactly as @upstash/redis
// does (JSON.stringify text, JavaScript number text, parseResponse's string fallbacks), and
// the Codec it gives the cache-aside helpers.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "shardcache/json.h"

using nlohmann::json;
using nlohmann::ordered_json;
namespace sj = shardcache::json;

namespace lms {
struct Course {
  int id = 0;
  std::string title;
  double price = 0;
  std::vector<std::string> tags;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Course, id, title, price, tags)
}  // namespace lms

TEST_CASE("js_number prints like JavaScript's Number#toString") {
  CHECK(sj::js_number(1.5) == "1.5");
  CHECK(sj::js_number(100.0) == "100");
  CHECK(sj::js_number(-2.5) == "-2.5");
  CHECK(sj::js_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(sj::js_number(1e20) == "100000000000000000000");
  CHECK(sj::js_number(1e21) == "1e+21");
  CHECK(sj::js_number(1.2345678901234568e20) == "123456789012345680000");
  CHECK(sj::js_number(0.000001) == "0.000001");
  CHECK(sj::js_number(1e-7) == "1e-7");
  CHECK(sj::js_number(1.5e-10) == "1.5e-10");
  CHECK(sj::js_number(-0.0) == "0");
  CHECK(sj::js_number(5e-324) == "5e-324");
  CHECK(sj::js_number(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(sj::js_number(std::nan("")) == "null");
  CHECK(sj::js_number(std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("stringify matches JSON.stringify (captured @upstash/redis bodies)") {
  ordered_json obj = {{"a", 1}, {"b", {1, 2}}, {"s", "str"}};
  CHECK(sj::stringify(obj) == R"({"a":1,"b":[1,2],"s":"str"})");
  CHECK(sj::stringify(json{{"nested", true}}) == R"({"nested":true})");
  CHECK(sj::stringify(json{{"x", 1.0}, {"y", 2.5}, {"z", nullptr}}) == R"({"x":1,"y":2.5,"z":null})");
  CHECK(sj::stringify(json(std::string("q\"b\\n\n\t\x01\x1f\x7f é"))) == "\"q\\\"b\\\\n\\n\\t\\u0001\\u001f\x7f é\"");
  CHECK(sj::stringify(json::array()) == "[]");
  CHECK(sj::stringify(json::object()) == "{}");
  CHECK(sj::stringify(json(12345678901234567890ull)) == "12345678901234567000");
}

TEST_CASE("to_stored follows @upstash/redis's serializer") {
  CHECK(sj::to_stored(json("hello")) == "hello");  // strings raw, not quoted
  CHECK(sj::to_stored(json(42)) == "42");
  CHECK(sj::to_stored(json(1.5)) == "1.5");
  CHECK(sj::to_stored(json(true)) == "true");
  CHECK(sj::to_stored(json(nullptr)) == "null");
  CHECK(sj::to_stored(ordered_json{{"o", 1}}) == R"({"o":1})");
  CHECK(sj::to_stored(json{1, "a"}) == R"([1,"a"])");
}

TEST_CASE("from_stored follows @upstash/redis's parseResponse") {
  CHECK(sj::from_stored("hello") == json("hello"));
  CHECK(sj::from_stored("42") == json(42));
  CHECK(sj::from_stored("42").is_number_integer());
  CHECK(sj::from_stored("1.5") == json(1.5));
  CHECK(sj::from_stored("-7") == json(-7));
  CHECK(sj::from_stored("true") == json(true));
  CHECK(sj::from_stored("null").is_null());
  CHECK(sj::from_stored(R"({"a":1})") == json{{"a", 1}});
  CHECK(sj::from_stored("[1,2]") == json{1, 2});
  // numbers that would not print back identically stay strings
  CHECK(sj::from_stored("0123") == json("0123"));
  CHECK(sj::from_stored("12345678901234567890") == json("12345678901234567890"));
  CHECK(sj::from_stored("1.50") == json("1.50"));
  CHECK(sj::from_stored(" 42") == json(" 42"));
  CHECK(sj::from_stored("-0") == json("-0"));
  CHECK(sj::from_stored("1e3") == json("1e3"));
  CHECK(sj::from_stored("{broken") == json("{broken"));
  CHECK(sj::from_stored("") == json(""));
}

TEST_CASE("stringify orders array-index keys first, as JavaScript objects do") {
  ordered_json o = {{"b", 1}, {"2", 2}, {"a", 3}, {"10", 4}, {"01", 5}, {"-1", 6}, {"4294967295", 7}, {"4294967294", 8}};
  CHECK(sj::stringify(o) == R"({"2":2,"10":4,"4294967294":8,"b":1,"a":3,"01":5,"-1":6,"4294967295":7})");
  CHECK(sj::stringify(json{{"10", 1}, {"9", 2}, {"x", 3}}) == R"({"9":2,"10":1,"x":3})");  // not std::map's "10" < "9"
  CHECK(sj::stringify(ordered_json{{"0", {{"z", 1}, {"1", 2}}}}) == R"({"0":{"1":2,"z":1}})");
}

TEST_CASE("from_stored decodes bytes as TextDecoder does before JSON.parse") {
  CHECK(sj::from_stored("\xEF\xBB\xBF" "42") == json(42));  // the BOM is dropped
  CHECK(sj::from_stored("\xEF\xBB\xBF" "hello") == json("hello"));
  CHECK(sj::from_stored("a\xFF" "b\xC3") == json("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
  CHECK(sj::from_stored("{\"a\":\"a\xFF\"}") == json{{"a", "a\xEF\xBF\xBD"}});
  // maximal subparts: E2 82 is one truncated sequence (one U+FFFD), ED A0 80 (a surrogate) is three
  CHECK(sj::detail::decode_utf8("\xE2\x82" "x") == "\xEF\xBF\xBD" "x");
  CHECK(sj::detail::decode_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(sj::detail::decode_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  CHECK(sj::detail::decode_utf8("\xF4\x90\x80\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // past U+10FFFF
  CHECK(sj::detail::decode_utf8("h\xC3\xA9 \xF0\x9F\x98\x80") == "h\xC3\xA9 \xF0\x9F\x98\x80");  // valid text unchanged
  CHECK(sj::detail::decode_utf8("x\xEF\xBB\xBF") == "x\xEF\xBB\xBF");  // only a leading BOM goes
}

TEST_CASE("from_stored: numbers inside objects and arrays are JavaScript numbers") {
  json j = sj::from_stored(R"({"big":12345678901234567890,"n":9007199254740993,"f":1.0,"a":[2.0,-3,0.5]})");
  CHECK(j["big"].is_number_float());
  CHECK(j["big"].get<double>() == 12345678901234567890.0);
  CHECK(j["n"].get<double>() == 9007199254740992.0);
  CHECK(j["f"].is_number_integer());
  CHECK(j["a"][0].is_number_integer());
  CHECK(j["a"][2] == json(0.5));
  CHECK(sj::stringify(j) == R"({"a":[2,-3,0.5],"big":12345678901234567000,"f":1,"n":9007199254740992})");
  CHECK(sj::from_stored(R"({"a":1,"b":2,"a":3})") == json{{"a", 3}, {"b", 2}});  // JSON.parse: the last wins
}

TEST_CASE("Codec: structs, containers and numbers round-trip; bad stored text decodes as nothing") {
  using shardcache::Codec;
  lms::Course c{7, "Algebra", 19.5, {"math"}};
  std::string stored = Codec<lms::Course>::encode(c);
  CHECK(stored == R"({"id":7,"price":19.5,"tags":["math"],"title":"Algebra"})");
  auto back = Codec<lms::Course>::decode(stored);
  REQUIRE(back.has_value());
  CHECK(back->title == "Algebra");
  CHECK(back->price == 19.5);
  CHECK(Codec<std::vector<int>>::encode({1, 2, 3}) == "[1,2,3]");
  CHECK(Codec<int>::encode(42) == "42");
  CHECK(Codec<int>::decode("42") == 42);
  CHECK_FALSE(Codec<int>::decode("forty-two").has_value());
  CHECK_FALSE(Codec<lms::Course>::decode(R"({"id":"x"})").has_value());
  CHECK(Codec<json>::decode("hello") == json("hello"));
  // strings use the raw codec, not JSON: what @upstash/redis stores for a string
  CHECK(Codec<std::string>::encode("a\"b") == "a\"b");
}
