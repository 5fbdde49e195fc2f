// tests/unit/client/request_writer_test.cpp: protocol::RequestWriter (the request encoder the
// client uses): exact bytes, binary safety, and a round trip through protocol::RequestParser.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/request_parser.h"
#include "protocol/request_writer.h"

using shardcache::protocol::ParseStatus;
using shardcache::protocol::RequestParser;
using shardcache::protocol::RequestWriter;

TEST_CASE("request writer: exact multibulk bytes") {
  std::string out;
  RequestWriter w(out);
  w.begin(3).arg("SET").arg("k").arg("v");
  CHECK(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  out.clear();
  w.begin(3).arg("EXPIRE").arg("key").arg(-42LL);
  CHECK(out == "*3\r\n$6\r\nEXPIRE\r\n$3\r\nkey\r\n$3\r\n-42\r\n");
  out.clear();
  w.begin(2).arg("GET").arg("");
  CHECK(out == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
  out.clear();
  std::vector<std::string> args{"MGET", "a", "bb"};
  w.command(args);
  CHECK(out == "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbb\r\n");
}

TEST_CASE("request writer: commands append, and binary arguments survive a parse") {
  std::string out;
  RequestWriter w(out);
  const std::string binary("a\r\nb\0c$*", 9);
  const std::string big(100000, 'x');
  w.begin(3).arg("SET").arg(binary).arg(big);
  w.begin(1).arg("PING");
  RequestParser p;
  REQUIRE(p.parse(out) == ParseStatus::Complete);
  REQUIRE(p.args().size() == 3);
  CHECK(p.args()[0] == "SET");
  CHECK(p.args()[1] == binary);
  CHECK(p.args()[2] == big);
  std::string_view rest = std::string_view(out).substr(p.consumed());
  REQUIRE(p.parse(rest) == ParseStatus::Complete);
  REQUIRE(p.args().size() == 1);
  CHECK(p.args()[0] == "PING");
  CHECK(p.consumed() == rest.size());
}

TEST_CASE("request writer: integer extremes") {
  std::string out;
  RequestWriter w(out);
  w.begin(2).arg(static_cast<long long>(-9223372036854775807LL - 1)).arg(9223372036854775807LL);
  CHECK(out == "*2\r\n$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n");
}
