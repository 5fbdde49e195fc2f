// tests/unit/protocol/parser_test.cpp: RequestParser tests. Every command shape is fed whole,
// split at every byte boundary and byte by byte (with the buffer moved between reads), and
// must give the same commands; every Redis error text and limit is checked.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"

using shardcache::protocol::ParseStatus;
using shardcache::protocol::ParserLimits;
using shardcache::protocol::RequestParser;

namespace {

using Command = std::vector<std::string>;
using namespace std::string_literals;

/// What a connection would have seen after feeding a whole input.
struct Outcome {
  std::vector<Command> commands;
  bool failed = false;
  std::string error;
  size_t leftover = 0;  // unconsumed bytes at the end (only when not failed)
  bool operator==(const Outcome&) const = default;
};

/// Simulates a connection: input arrives in chunks ending at `cuts`; unconsumed bytes are kept
/// and, before every parse() call, copied to a new position (the buffer "moves").
/// `drop_skipped`: whether the caller drops consumed() bytes after Incomplete.
Outcome run(std::string_view input, const std::vector<size_t>& cuts, ParserLimits limits = {},
            bool drop_skipped = true) {
  RequestParser parser(limits);
  Outcome out;
  std::string buf;
  size_t fed = 0;
  size_t shift = 0;
  auto feed_to = [&](size_t upto) {
    buf.append(input.substr(fed, upto - fed));
    fed = upto;
    for (;;) {
      shift = (shift + 1) % 8;
      const std::string storage = std::string(shift, '#') + buf;
      const ParseStatus st = parser.parse(std::string_view(storage).substr(shift));
      if (st == ParseStatus::Error) {
        out.failed = true;
        out.error = parser.error();
        return false;
      }
      if (st == ParseStatus::Incomplete) {
        if (drop_skipped) buf.erase(0, parser.consumed());
        out.leftover = buf.size() - (drop_skipped ? 0 : parser.consumed());  // skipped bytes don't count
        return true;
      }
      out.commands.emplace_back(parser.args().begin(), parser.args().end());
      buf.erase(0, parser.consumed());
    }
  };
  for (size_t cut : cuts) {
    if (!feed_to(cut)) {
      out.leftover = 0;
      return out;
    }
  }
  if (!feed_to(input.size())) out.leftover = 0;
  return out;
}

Outcome run_once(std::string_view input, ParserLimits limits = {}) { return run(input, {}, limits); }

/// Checks that every split point and byte-by-byte feeding give the one-shot outcome.
void check_all_splits(std::string_view input, ParserLimits limits = {}) {
  const Outcome whole = run_once(input, limits);
  std::vector<size_t> every;
  for (size_t k = 0; k <= input.size(); ++k) {
    const Outcome split = run(input, {k}, limits);
    CHECK_MESSAGE(split == whole, "split at " << k);
    const Outcome kept = run(input, {k}, limits, false);
    CHECK_MESSAGE(kept == whole, "split at " << k << " keeping skipped bytes");
    every.push_back(k);
  }
  CHECK(run(input, every, limits) == whole);
  CHECK(run(input, every, limits, false) == whole);
}

std::string error_of(std::string_view input, ParserLimits limits = {}) {
  const Outcome o = run_once(input, limits);
  CHECK(o.failed);
  return o.error;
}

struct Shape {
  std::string wire;
  std::vector<Command> expected;
};

std::vector<Shape> shapes() {
  return {
      {"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", {{"SET", "key", "value"}}},
      {"*2\r\n$3\r\nSET\r\n$7\r\na\r\nb\0c\n\r\n"s, {{"SET", "a\r\nb\0c\n"s}}},
      {"*3\r\n$0\r\n\r\n$0\r\n\r\n$1\r\nx\r\n", {{"", "", "x"}}},
      {"*1\r\n$4\r\nPING\r\n", {{"PING"}}},
      {"SET key value\r\n", {{"SET", "key", "value"}}},
      {"  set\t a   b  \n", {{"set", "a", "b"}}},
      {"SET \"a b\" 'c d'\r\n", {{"SET", "a b", "c d"}}},
      {"ECHO \"\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n", {{"ECHO", "Az\n\r\t\b\a\\\"q"}}},
      {"ECHO 'it\\'s' 'a\\nb'\r\n", {{"ECHO", "it's", "a\\nb"}}},
      {"ECHO foo\"bar baz\" x'y z'\r\n", {{"ECHO", "foobar baz", "xy z"}}},
      {"ECHO \"\\x4g\" \"\\xZZ\"\r\n", {{"ECHO", "x4g", "xZZ"}}},
      {"SET k \"\" ''\r\n", {{"SET", "k", "", ""}}},
      {"ECHO a\vb\fc\r\n", {{"ECHO", "a\vb\fc"}}},
      {"GET a\0b c\r\n"s, {{"GET", "a"}}},
      {"GET a\rb\r\n", {{"GET", "a", "b"}}},
      {"\r\n\n  \r\n\t\nPING\r\n", {{"PING"}}},
      {"PING\r\n\r\n\n", {{"PING"}}},
      {"\0\r]@995999\r\n"s, {}},
      {"*0\r\n*-1\r\n*-10\r\n*1\r\n$4\r\nPING\r\n", {{"PING"}}},
      {"PING\nPING\r\n*1\r\n$4\r\nPING\r\nECHO x\n", {{"PING"}, {"PING"}, {"PING"}, {"ECHO", "x"}}},
  };
}

}  // namespace

TEST_CASE("every command shape parses to the expected arguments") {
  for (const Shape& s : shapes()) {
    CAPTURE(s.wire);
    const Outcome o = run_once(s.wire);
    CHECK_FALSE(o.failed);
    CHECK(o.commands == s.expected);
    CHECK(o.leftover == 0);
  }
}

TEST_CASE("every command shape gives the same arguments when split at every byte") {
  for (const Shape& s : shapes()) {
    CAPTURE(s.wire);
    check_all_splits(s.wire);
  }
}

TEST_CASE("all shapes pipelined in one buffer, split at every byte") {
  std::string all;
  std::vector<Command> expected;
  for (const Shape& s : shapes()) {
    all += s.wire;
    expected.insert(expected.end(), s.expected.begin(), s.expected.end());
  }
  CHECK(run_once(all).commands == expected);
  check_all_splits(all);
}

TEST_CASE("multibulk args are views into the input, inline plain args too") {
  RequestParser p;
  const std::string in = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nECHO plain \"quoted\"\r\n";
  REQUIRE(p.parse(in) == ParseStatus::Complete);
  CHECK(p.args()[0].data() == in.data() + 8);
  CHECK(p.args()[1].data() == in.data() + 17);
  const size_t used = p.consumed();
  CHECK(used == 20);
  REQUIRE(p.parse(std::string_view(in).substr(used)) == ParseStatus::Complete);
  CHECK(p.args()[1].data() == in.data() + used + 5);
  CHECK(p.args()[2] == "quoted");
  CHECK(p.consumed() == in.size() - used);
}

TEST_CASE("incomplete input, bytes_needed and skipped empty lines") {
  RequestParser p;
  CHECK(p.parse("") == ParseStatus::Incomplete);
  CHECK(p.parse("*1\r\n$100000\r\nabc") == ParseStatus::Incomplete);
  CHECK(p.bytes_needed() == 4 + 9 + 100000 + 2);
  CHECK(p.consumed() == 0);
  p.reset();
  CHECK(p.parse("\r\n\r\n*1\r\n$4\r\nPI") == ParseStatus::Incomplete);
  CHECK(p.consumed() == 4);
  CHECK(p.bytes_needed() == 4 + 4 + 4 + 6);
  CHECK(p.parse("\r\n") == ParseStatus::Incomplete);
  CHECK(p.consumed() == 2);
  CHECK(p.parse("\r\n\r\nPING\r\n") == ParseStatus::Complete);
  CHECK(p.consumed() == 10);
  CHECK(p.args().size() == 1);
}

TEST_CASE("a large bulk arriving in many small reads") {
  const std::string value(300000, 'v');
  const std::string wire = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$300000\r\n" + value + "\r\n*1\r\n$4\r\nPING\r\n";
  std::vector<size_t> cuts;
  for (size_t k = 1; k < wire.size(); k += 997) cuts.push_back(k);
  const Outcome o = run(wire, cuts);
  REQUIRE(o.commands.size() == 2);
  CHECK(o.commands[0] == Command{"SET", "k", value});
  CHECK(o.commands[1] == Command{"PING"});
}

TEST_CASE("many pipelined commands in one buffer") {
  std::string wire;
  std::vector<Command> expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    if (i % 3 == 0) {
      wire += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$5\r\nvalue\r\n";
      expected.push_back({"SET", key, "value"});
    } else if (i % 3 == 1) {
      wire += "*2\r\n$3\r\nGET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n";
      expected.push_back({"GET", key});
    } else {
      wire += "GET " + key + "\r\n";
      expected.push_back({"GET", key});
    }
  }
  CHECK(run_once(wire).commands == expected);
  std::vector<size_t> cuts;
  std::uint32_t x = 12345;
  for (size_t k = 0; k < wire.size();) {
    x = x * 1103515245u + 12345u;
    k += 1 + (x >> 16) % 1500;
    if (k < wire.size()) cuts.push_back(k);
  }
  CHECK(run(wire, cuts).commands == expected);
  // Parsing many commands reuses the argument vector: no growth after the first few.
  RequestParser p;
  std::string_view rest = wire;
  size_t n = 0;
  while (p.parse(rest) == ParseStatus::Complete) {
    rest.remove_prefix(p.consumed());
    ++n;
  }
  CHECK(n == expected.size());
  CHECK(rest.empty());
}

TEST_CASE("multibulk protocol errors have Redis's texts") {
  CHECK(error_of("*abc\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*01\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*3x\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*1\r\nx\r\n") == "Protocol error: expected '$', got 'x'");
  CHECK(error_of("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n") == "Protocol error: expected '$', got 'f'");
  CHECK(error_of("*1\r\n\r\n") == "Protocol error: expected '$', got ' '");
  CHECK(error_of("*1\r\n$abc\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$-1\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$01\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$99999999999999999999999\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$536870913\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1048577\r\n") == "Protocol error: invalid multibulk length");
  CHECK(run_once("*1048576\r\n").commands.empty());
  CHECK_FALSE(run_once("*1048576\r\n").failed);
}

TEST_CASE("inline protocol errors have Redis's texts") {
  CHECK(error_of("SET \"abc\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET 'abc\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET \"a\"b\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET 'a'b\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET foo\"bar\"qux\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET \"abc\\\"\r\n") == "Protocol error: unbalanced quotes in request");
  CHECK(error_of("SET \"a\0\"\r\n"s) == "Protocol error: unbalanced quotes in request");
  CHECK(error_of(std::string(70000, 'a')) == "Protocol error: too big inline request");
}

TEST_CASE("limits set through ParserLimits") {
  ParserLimits small;
  small.max_inline_len = 16;
  small.max_bulk_len = 10;
  small.max_args = 4;
  SUBCASE("inline length") {
    CHECK(run_once(std::string(16, 'a') + "\n", small).commands.size() == 1);
    CHECK(error_of(std::string(17, 'a') + "\n", small) == "Protocol error: too big inline request");
    CHECK(error_of(std::string(17, 'a'), small) == "Protocol error: too big inline request");
    CHECK_FALSE(run_once(std::string(16, 'a'), small).failed);
    check_all_splits(std::string(40, 'a') + "\n", small);
  }
  SUBCASE("multibulk count string") {
    CHECK(error_of("*" + std::string(20, '1'), small) == "Protocol error: too big mbulk count string");
    CHECK(error_of("*" + std::string(20, '1') + "\r\n", small) == "Protocol error: too big mbulk count string");
    CHECK_FALSE(run_once("*" + std::string(15, '1'), small).failed);
    check_all_splits("*" + std::string(30, '1') + "\r\n", small);
  }
  SUBCASE("bulk count string") {
    CHECK(error_of("*1\r\n$" + std::string(20, '1'), small) == "Protocol error: too big bulk count string");
    CHECK(error_of("*1\r\n$" + std::string(16, '0') + "\r\n", small) == "Protocol error: too big bulk count string");
    CHECK(error_of("*1\r\n$" + std::string(15, '0') + "\r\n", small) == "Protocol error: invalid bulk length");
    check_all_splits("*1\r\n$" + std::string(30, '1') + "\r\n", small);
  }
  SUBCASE("bulk length and argument count") {
    CHECK(run_once("*1\r\n$10\r\n0123456789\r\n", small).commands.size() == 1);
    CHECK(error_of("*1\r\n$11\r\n", small) == "Protocol error: invalid bulk length");
    CHECK(run_once("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", small).commands.size() == 1);
    CHECK(error_of("*5\r\n", small) == "Protocol error: invalid multibulk length");
  }
}

TEST_CASE("every error gives the same outcome at every split point") {
  const std::vector<std::string> bad = {
      "PING\r\n*abc\r\n",
      "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\nxyz\r\n",
      "*1\r\n$-3\r\n",
      "ECHO \"unterminated\r\n",
      "ECHO 'x'y\r\nPING\r\n",
      "\r\n\r\n*1\r\n$1x\r\n",
  };
  for (const std::string& s : bad) {
    CAPTURE(s);
    CHECK(run_once(s).failed);
    check_all_splits(s);
  }
}

TEST_CASE("after an error the parser starts clean") {
  RequestParser p;
  CHECK(p.parse("*1\r\n$x\r\n") == ParseStatus::Error);
  CHECK(p.error() == "Protocol error: invalid bulk length");
  CHECK(p.parse("*1\r\n$4\r\nPING\r\n") == ParseStatus::Complete);
  CHECK(p.args().size() == 1);
  CHECK(p.parse("*2\r\n$4\r\nECHO\r\n") == ParseStatus::Incomplete);
  p.reset();
  CHECK(p.parse("PING\r\n") == ParseStatus::Complete);
  CHECK(p.args()[0] == "PING");
}

TEST_CASE("unauthenticated limits (Redis 7: 10 arguments, 16384-byte bulks before AUTH)") {
  ParserLimits unauth;
  unauth.unauth_max_args = 10;
  unauth.unauth_max_bulk_len = 16384;
  CHECK(error_of("*11\r\n", unauth) == "Protocol error: unauthenticated multibulk length");
  CHECK_FALSE(run_once("*10\r\n", unauth).failed);
  CHECK(error_of("*1\r\n$16385\r\n", unauth) == "Protocol error: unauthenticated bulk length");
  CHECK(error_of("*1\r\n$" + std::string(30, '1') + "\r\n", unauth) == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$-1\r\n", unauth) == "Protocol error: invalid bulk length");
  const std::string ok = "*2\r\n$4\r\nAUTH\r\n$16384\r\n" + std::string(16384, 'p') + "\r\n";
  CHECK(run_once(ok, unauth).commands.size() == 1);
  check_all_splits("*1\r\n$16385\r\n", unauth);
  CHECK(run_once("*1\r\n$16385\r\n").failed == false);  // off by default
}

namespace protocol = shardcache::protocol;

TEST_CASE("parse_batch: every whole request ahead in one pass, as parse() gives each") {
  protocol::RequestParser parser;
  std::vector<std::string_view> args;
  protocol::RequestParser::BatchedRequest out[4];
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nk:1\r\n";
  const std::string set = "*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$5\r\nhello\r\n";
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  const std::string in = get + set + ping;
  REQUIRE(parser.parse_batch(in, args, out) == 3);
  REQUIRE(args.size() == 6);
  auto req = [&](size_t i) { return std::vector<std::string_view>(args.begin() + out[i].first_arg, args.begin() + out[i].first_arg + out[i].argc); };
  CHECK(req(0) == std::vector<std::string_view>{"GET", "k:1"});
  CHECK(req(1) == std::vector<std::string_view>{"SET", "k2", "hello"});
  CHECK(req(2) == std::vector<std::string_view>{"PING"});
  CHECK(out[0].end == get.size());
  CHECK(out[1].end == get.size() + set.size());
  CHECK(out[2].end == in.size());
  CHECK(args[1].data() == in.data() + get.size() - 5);  // views into the input, no copies

  // Each request is what parse() makes of the same bytes.
  size_t pos = 0;
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(parser.parse(std::string_view(in).substr(pos)) == protocol::ParseStatus::Complete);
    CHECK(parser.args() == req(i));
    pos += parser.consumed();
    CHECK(pos == out[i].end);
  }

  // Stops at out's size, at an incomplete request, at inline commands, at garbage and over a limit.
  CHECK(parser.parse_batch(in, args, std::span(out, 1)) == 1);
  for (size_t cut = 0; cut < get.size(); ++cut) CHECK(parser.parse_batch(in.substr(0, cut), args, out) == 0);
  CHECK(parser.parse_batch(in.substr(0, in.size() - 1), args, out) == 2);
  CHECK(args.size() == 5);  // the incomplete PING left nothing behind
  CHECK(parser.parse_batch(get + "GET k\r\n", args, out) == 1);
  CHECK(parser.parse_batch("*2\r\n$3\r\nGET\r\n$x\r\n", args, out) == 0);
  CHECK(parser.parse_batch("*2\r\n$3\r\nGET\r\n$99999999999999\r\nk\r\n", args, out) == 0);
  CHECK(parser.parse_batch("*-1\r\n", args, out) == 0);
  CHECK(parser.parse_batch("*0\r\n" + ping, args, out) == 0);  // parse() skips the empty command
  CHECK(parser.parse_batch(ping + "*0\r\n" + ping, args, out) == 1);
  protocol::RequestParser unauth(protocol::ParserLimits{.unauth_max_args = 10, .unauth_max_bulk_len = 4});
  CHECK(unauth.parse_batch(ping + get + set, args, out) == 2);  // "hello" is over 4 bytes: parse() errors on it
  const std::string binary = std::string("*2\r\n$3\r\nGET\r\n$3\r\n") + std::string("\r\n\0", 3) + "\r\n";
  REQUIRE(parser.parse_batch(binary, args, out) == 1);
  CHECK(args[1] == std::string_view("\r\n\0", 3));

  // Nothing while a command is partly parsed: parse() owns it until it completes.
  REQUIRE(parser.parse(set.substr(0, 10)) == protocol::ParseStatus::Incomplete);
  CHECK(parser.parse_batch(in, args, out) == 0);
}
