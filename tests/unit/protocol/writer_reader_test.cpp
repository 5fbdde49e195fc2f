// tests/unit/protocol/writer_reader_test.cpp: ReplyWriter exact bytes (RESP2 downgrades and
// RESP3), Redis-style double formatting, and ReplyReader round trips, incremental reads,
// attributes, errors and limits.
#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "protocol/reply_reader.h"
#include "protocol/reply_writer.h"

using shardcache::protocol::ParseStatus;
using shardcache::protocol::Reply;
using shardcache::protocol::ReplyReader;
using shardcache::protocol::ReplyWriter;
using Type = Reply::Type;

namespace {

std::string encode(int proto, const std::function<void(ReplyWriter&)>& f) {
  std::string out;
  ReplyWriter w(out, proto);
  f(w);
  return out;
}

/// A compact, comparable rendering of a decoded reply.
std::string show(const Reply& r) {
  switch (r.type) {
    case Type::Simple: return "+" + r.str;
    case Type::Error: return "-" + r.str;
    case Type::Integer: return ":" + std::to_string(r.integer);
    case Type::Bulk: return "$" + r.str;
    case Type::Null: return "null";
    case Type::Double: return "," + r.str;
    case Type::Boolean: return r.boolean ? "#t" : "#f";
    case Type::Verbatim: return "=" + r.format + ":" + r.str;
    case Type::BigNumber: return "(" + r.str;
    default: break;
  }
  const char* open = r.type == Type::Map ? "%[" : r.type == Type::Set ? "~[" : r.type == Type::Push ? ">[" : "[";
  std::string s = open;
  for (size_t i = 0; i < r.elements.size(); ++i) s += (i ? " " : "") + show(r.elements[i]);
  return s + "]";
}

/// Reads every reply in `wire` in one go; fails the test on Error or leftover bytes.
std::vector<std::string> read_all(std::string_view wire) {
  ReplyReader reader;
  Reply r;
  std::vector<std::string> out;
  while (!wire.empty()) {
    const ParseStatus st = reader.parse(wire, r);
    REQUIRE_MESSAGE(st == ParseStatus::Complete, reader.error());
    out.push_back(show(r));
    wire.remove_prefix(reader.consumed());
  }
  return out;
}

std::string read_error(std::string_view wire, ReplyReader::Limits limits = {}) {
  ReplyReader reader(limits);
  Reply r;
  CHECK(reader.parse(wire, r) == ParseStatus::Error);
  return reader.error();
}

/// Writes one of each reply type.
void write_every_type(ReplyWriter& w) {
  w.simple("OK");
  w.error("ERR bad");
  w.integer(-42);
  w.bulk("a\r\nb");
  w.bulk("");
  w.null();
  w.null_array();
  w.array(2);
  w.integer(1);
  w.bulk("x");
  w.map(2);
  w.bulk("k1");
  w.integer(1);
  w.bulk("k2");
  w.array(0);
  w.set(2);
  w.bulk("m");
  w.bulk("n");
  w.push(2);
  w.bulk("message");
  w.simple("hi");
  w.dbl(1.5);
  w.dbl(-std::numeric_limits<double>::infinity());
  w.boolean(true);
  w.boolean(false);
  w.verbatim("abcd");
  w.bignum("-12345678901234567890123");
}

}  // namespace

TEST_CASE("RESP2 bytes, with Redis's downgrades") {
  auto two = [](const std::function<void(ReplyWriter&)>& f) { return encode(2, f); };
  CHECK(two([](ReplyWriter& w) { w.simple("OK"); }) == "+OK\r\n");
  CHECK(two([](ReplyWriter& w) { w.simple("a\r\nb"); }) == "+a  b\r\n");
  CHECK(two([](ReplyWriter& w) { w.error("ERR x\ny"); }) == "-ERR x y\r\n");
  CHECK(two([](ReplyWriter& w) { w.integer(-42); }) == ":-42\r\n");
  CHECK(two([](ReplyWriter& w) { w.integer(std::numeric_limits<long long>::min()); }) == ":-9223372036854775808\r\n");
  CHECK(two([](ReplyWriter& w) { w.bulk(""); }) == "$0\r\n\r\n");
  CHECK(two([](ReplyWriter& w) { w.bulk("a\r\nb"); }) == "$4\r\na\r\nb\r\n");
  CHECK(two([](ReplyWriter& w) { w.null(); }) == "$-1\r\n");
  CHECK(two([](ReplyWriter& w) { w.null_array(); }) == "*-1\r\n");
  CHECK(two([](ReplyWriter& w) { w.array(3); }) == "*3\r\n");
  CHECK(two([](ReplyWriter& w) { w.map(2); }) == "*4\r\n");
  CHECK(two([](ReplyWriter& w) { w.set(3); }) == "*3\r\n");
  CHECK(two([](ReplyWriter& w) { w.push(2); }) == "*2\r\n");
  CHECK(two([](ReplyWriter& w) { w.dbl(1.5); }) == "$3\r\n1.5\r\n");
  CHECK(two([](ReplyWriter& w) { w.dbl(3.0); }) == "$1\r\n3\r\n");
  CHECK(two([](ReplyWriter& w) { w.dbl(-std::numeric_limits<double>::infinity()); }) == "$4\r\n-inf\r\n");
  CHECK(two([](ReplyWriter& w) { w.boolean(true); }) == ":1\r\n");
  CHECK(two([](ReplyWriter& w) { w.boolean(false); }) == ":0\r\n");
  CHECK(two([](ReplyWriter& w) { w.verbatim("abcd"); }) == "$4\r\nabcd\r\n");
  CHECK(two([](ReplyWriter& w) { w.bignum("123"); }) == "$3\r\n123\r\n");
}

TEST_CASE("RESP3 bytes") {
  auto three = [](const std::function<void(ReplyWriter&)>& f) { return encode(3, f); };
  CHECK(three([](ReplyWriter& w) { w.null(); }) == "_\r\n");
  CHECK(three([](ReplyWriter& w) { w.null_array(); }) == "_\r\n");
  CHECK(three([](ReplyWriter& w) { w.map(1); w.bulk("k"); w.integer(1); }) == "%1\r\n$1\r\nk\r\n:1\r\n");
  CHECK(three([](ReplyWriter& w) { w.set(3); }) == "~3\r\n");
  CHECK(three([](ReplyWriter& w) { w.push(2); }) == ">2\r\n");
  CHECK(three([](ReplyWriter& w) { w.array(0); }) == "*0\r\n");
  CHECK(three([](ReplyWriter& w) { w.dbl(1.5); }) == ",1.5\r\n");
  CHECK(three([](ReplyWriter& w) { w.dbl(std::numeric_limits<double>::infinity()); }) == ",inf\r\n");
  CHECK(three([](ReplyWriter& w) { w.dbl(-std::numeric_limits<double>::infinity()); }) == ",-inf\r\n");
  CHECK(three([](ReplyWriter& w) { w.dbl(std::nan("")); }) == ",nan\r\n");
  CHECK(three([](ReplyWriter& w) { w.boolean(true); }) == "#t\r\n");
  CHECK(three([](ReplyWriter& w) { w.boolean(false); }) == "#f\r\n");
  CHECK(three([](ReplyWriter& w) { w.verbatim("abcd"); }) == "=8\r\ntxt:abcd\r\n");
  CHECK(three([](ReplyWriter& w) { w.verbatim("# x", "mkd"); }) == "=7\r\nmkd:# x\r\n");
  CHECK(three([](ReplyWriter& w) { w.bignum("123"); }) == "(123\r\n");
  CHECK(three([](ReplyWriter& w) { w.simple("OK"); w.error("ERR e"); w.integer(7); w.bulk("v"); }) ==
        "+OK\r\n-ERR e\r\n:7\r\n$1\r\nv\r\n");
}

TEST_CASE("the writer switches protocol and buffer") {
  std::string a, b;
  ReplyWriter w(a);
  CHECK(w.proto() == 2);
  w.null();
  w.set_proto(3);
  w.null();
  w.set_buffer(b);
  w.boolean(true);
  CHECK(a == "$-1\r\n_\r\n");
  CHECK(b == "#t\r\n");
  CHECK(&w.buffer() == &b);
}

TEST_CASE("doubles are formatted as Redis 7 does") {
  const auto f = ReplyWriter::format_double;
  CHECK(f(1.5) == "1.5");
  CHECK(f(3.0) == "3");
  CHECK(f(-2.5) == "-2.5");
  CHECK(f(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(f(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(f(std::nan("")) == "nan");
  CHECK(f(0.0) == "0");
  CHECK(f(-0.0) == "-0");
  CHECK(f(0.1) == "0.1");
  CHECK(f(0.3) == "0.3");
  CHECK(f(0.1 + 0.2) == "0.30000000000000004");
  CHECK(f(123.456) == "123.456");
  CHECK(f(0.00001) == "0.00001");
  CHECK(f(1e-7) == "1e-7");
  CHECK(f(1.2345e-9) == "1.2345e-9");
  CHECK(f(1e18) == "1000000000000000000");
  CHECK(f(-1e15) == "-1000000000000000");
  CHECK(f(5e18) == "5e+18");
  CHECK(f(1e20) == "1e+20");
  CHECK(f(1.2345678901234567e19) == "12345678901234567000");
  CHECK(f(1e300) == "1e+300");
  CHECK(f(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(f(5e-324) == "5e-324");
  CHECK(f(3.14159) == "3.14159");
  // Every output parses back to the same double.
  std::uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 100000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double d = 0;
    std::memcpy(&d, &x, sizeof d);
    if (!std::isfinite(d)) continue;
    const std::string s = f(d);
    double back = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), back);
    REQUIRE(res.ptr == s.data() + s.size());
    REQUIRE_MESSAGE(back == d, s);
  }
}

TEST_CASE("writer to reader round trip, RESP2") {
  const std::string wire = encode(2, write_every_type);
  const std::vector<std::string> expected = {
      "+OK", "-ERR bad", ":-42", "$a\r\nb", "$", "null", "null", "[:1 $x]", "[$k1 :1 $k2 []]", "[$m $n]",
      "[$message +hi]", "$1.5", "$-inf", ":1", ":0", "$abcd", "$-12345678901234567890123"};
  CHECK(read_all(wire) == expected);
}

TEST_CASE("writer to reader round trip, RESP3") {
  const std::string wire = encode(3, write_every_type);
  const std::vector<std::string> expected = {
      "+OK", "-ERR bad", ":-42", "$a\r\nb", "$", "null", "null", "[:1 $x]", "%[$k1 :1 $k2 []]", "~[$m $n]",
      ">[$message +hi]", ",1.5", ",-inf", "#t", "#f", "=txt:abcd", "(-12345678901234567890123"};
  CHECK(read_all(wire) == expected);
  ReplyReader reader;
  Reply r;
  REQUIRE(reader.parse(encode(3, [](ReplyWriter& w) { w.dbl(0.1); }), r) == ParseStatus::Complete);
  CHECK(r.dbl == 0.1);
  REQUIRE(reader.parse(encode(3, [](ReplyWriter& w) { w.dbl(-std::numeric_limits<double>::infinity()); }), r) ==
          ParseStatus::Complete);
  CHECK(std::isinf(r.dbl));
  CHECK(r.dbl < 0);
  REQUIRE(reader.parse(":-9223372036854775808\r\n", r) == ParseStatus::Complete);
  CHECK(r.integer == std::numeric_limits<long long>::min());
}

TEST_CASE("the reader is incremental: every split point gives the same replies") {
  for (int proto : {2, 3}) {
    const std::string wire = encode(proto, write_every_type) + "|1\r\n+ttl\r\n:5\r\n*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n";
    const std::vector<std::string> whole = read_all(wire);
    for (size_t k = 0; k <= wire.size(); ++k) {
      ReplyReader reader;
      Reply r;
      std::vector<std::string> got;
      std::string buf;
      size_t fed = 0;
      for (size_t upto : {k, wire.size()}) {
        buf.append(wire, fed, upto - fed);
        fed = upto;
        for (;;) {
          const std::string moved = " " + buf;  // a new address each time
          const ParseStatus st = reader.parse(std::string_view(moved).substr(1), r);
          REQUIRE(st != ParseStatus::Error);
          if (st == ParseStatus::Incomplete) break;
          got.push_back(show(r));
          buf.erase(0, reader.consumed());
        }
      }
      CHECK(buf.empty());
      CHECK_MESSAGE(got == whole, "split at " << k);
    }
  }
}

TEST_CASE("a partial reply is Incomplete until its last byte") {
  const std::string wire = "*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n~1\r\n,2.5\r\n:7\r\n";
  ReplyReader reader;
  Reply r;
  for (size_t n = 0; n < wire.size(); ++n) CHECK(reader.parse(std::string_view(wire).substr(0, n), r) == ParseStatus::Incomplete);
  REQUIRE(reader.parse(wire, r) == ParseStatus::Complete);
  CHECK(reader.consumed() == wire.size());
  CHECK(show(r) == "[$hello %[+k ~[,2.5]] :7]");
}

TEST_CASE("attributes are skipped, RESP2 nulls decode as Null") {
  CHECK(read_all("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n+OK\r\n") == std::vector<std::string>{"+OK"});
  CHECK(read_all("|0\r\n:1\r\n") == std::vector<std::string>{":1"});
  CHECK(read_all("*2\r\n:1\r\n|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n+d\r\n:2\r\n") == std::vector<std::string>{"[:1 :2]"});
  CHECK(read_all("$-1\r\n*-1\r\n_\r\n") == std::vector<std::string>{"null", "null", "null"});
  CHECK(read_all("!8\r\nERR x\r\ny\r\n") == std::vector<std::string>{"-ERR x\r\ny"});
  CHECK(read_all(",+inf\r\n,-1.5e3\r\n,nan\r\n") == std::vector<std::string>{",+inf", ",-1.5e3", ",nan"});
}

TEST_CASE("the reader reuses the output reply") {
  ReplyReader reader;
  Reply r;
  REQUIRE(reader.parse("*2\r\n$3\r\nabc\r\n=7\r\nmkd:xyz\r\n", r) == ParseStatus::Complete);
  CHECK(r.elements.size() == 2);
  CHECK(r.elements[1].format == "mkd");
  REQUIRE(reader.parse(":5\r\n", r) == ParseStatus::Complete);
  CHECK(r.type == Type::Integer);
  CHECK(r.elements.empty());
  CHECK(r.str.empty());
  REQUIRE(reader.parse("*1\r\n:9\r\n", r) == ParseStatus::Complete);
  CHECK(show(r) == "[:9]");
  REQUIRE(reader.parse("$2\r\nhi\r\n", r) == ParseStatus::Complete);
  CHECK(r.str == "hi");
  CHECK(r.integer == 0);
  CHECK(r.format.empty());
}

TEST_CASE("the reader copes with a new stream after Incomplete") {
  ReplyReader reader;
  Reply r;
  CHECK(reader.parse("*3\r\n:1\r\n:2\r\n", r) == ParseStatus::Incomplete);
  REQUIRE(reader.parse(":9\r\n", r) == ParseStatus::Complete);  // shorter than the progress: restart
  CHECK(r.integer == 9);
  CHECK(reader.parse("*3\r\n:1\r\n:2\r\n", r) == ParseStatus::Incomplete);
  REQUIRE(reader.parse("*1\r\n:1\r\n:2\r\n:3\r\n", r) == ParseStatus::Complete);  // different bytes: restart
  CHECK(show(r) == "[:1]");
  CHECK(reader.parse("*3\r\n:1\r\n:2\r\n", r) == ParseStatus::Incomplete);
  reader.reset();
  REQUIRE(reader.parse("*3\r\n:4\r\n:5\r\n:6\r\n", r) == ParseStatus::Complete);
  CHECK(show(r) == "[:4 :5 :6]");
}

TEST_CASE("reader errors") {
  CHECK(read_error("x\r\n") == "Protocol error: invalid reply type 'x'");
  CHECK(read_error("\x01") == "Protocol error: invalid reply type '\\x01'");
  CHECK(read_error(":abc\r\n") == "Protocol error: invalid integer");
  CHECK(read_error(":\r\n") == "Protocol error: invalid integer");
  CHECK(read_error("$-2\r\n") == "Protocol error: invalid bulk length");
  CHECK(read_error("$x\r\n") == "Protocol error: invalid bulk length");
  CHECK(read_error("$3\r\nabcXY") == "Protocol error: bad bulk string terminator");
  CHECK(read_error("=3\r\ntxt\r\n") == "Protocol error: invalid verbatim string");
  CHECK(read_error("=5\r\ntxtx1\r\n") == "Protocol error: invalid verbatim string");
  CHECK(read_error("*-2\r\n") == "Protocol error: invalid multibulk length");
  CHECK(read_error("|-1\r\n") == "Protocol error: invalid multibulk length");
  CHECK(read_error(",abc\r\n") == "Protocol error: invalid double");
  CHECK(read_error(",1e999\r\n") == "Protocol error: invalid double");
  CHECK(read_error("#x\r\n") == "Protocol error: invalid boolean");
  CHECK(read_error("_x\r\n") == "Protocol error: invalid null");
  CHECK(read_error("(12a\r\n") == "Protocol error: invalid big number");
  CHECK(read_error("*1\r\n*1\r\nx") == "Protocol error: invalid reply type 'x'");
  CHECK(read_error("$" + std::string(70, '1')) == "Protocol error: too long reply line");
}

TEST_CASE("reader limits") {
  ReplyReader::Limits small;
  small.max_bulk_len = 3;
  small.max_elements = 2;
  small.max_depth = 2;
  CHECK(read_error("$4\r\nabcd\r\n", small) == "Protocol error: invalid bulk length");
  CHECK(read_error("=8\r\ntxt:abcd\r\n", small) == "Protocol error: invalid bulk length");
  CHECK(read_error("*3\r\n", small) == "Protocol error: invalid multibulk length");
  CHECK(read_error("%3\r\n", small) == "Protocol error: invalid multibulk length");
  CHECK(read_error("*1\r\n*1\r\n*1\r\n:1\r\n", small) == "Protocol error: reply nested too deep");
  CHECK(read_error("+" + std::string(5, 'a'), small) == "Protocol error: too long reply line");
  ReplyReader reader(small);
  Reply r;
  CHECK(reader.parse("*1\r\n*2\r\n$3\r\nabc\r\n*0\r\n", r) == ParseStatus::Complete);
  CHECK(show(r) == "[[$abc []]]");
  CHECK(reader.parse("+aaa\r\n", r) == ParseStatus::Complete);
  // A huge count with no data is merely Incomplete and allocates nothing.
  ReplyReader big;
  CHECK(big.parse("*2147483647\r\n:1\r\n", r) == ParseStatus::Incomplete);
  CHECK(read_error("*2147483649\r\n") == "Protocol error: invalid multibulk length");
}

TEST_CASE("many pipelined replies") {
  std::string wire;
  ReplyWriter w(wire, 3);
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) {
    w.bulk("value:" + std::to_string(i));
    w.integer(i);
    w.array(2);
    w.bulk("k");
    w.null();
    expected.push_back("$value:" + std::to_string(i));
    expected.push_back(":" + std::to_string(i));
    expected.push_back("[$k null]");
  }
  CHECK(read_all(wire) == expected);
}
