// tests/unit/http/encoding_test.cpp: base64 (RFC 4648 vectors, padding and alphabet errors).
#include <doctest/doctest.h>

#include <string>

#include "daemon/http/encoding.h"

using namespace shardcache::http;

namespace {
std::string b64(std::string_view s) {
  std::string out;
  base64_append(s, out);
  return out;
}
}  // namespace

TEST_CASE("base64: RFC 4648 test vectors, binary bytes, round trip") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  CHECK(b64("PONG") == "UE9ORw==");
  CHECK(b64("1.5") == "MS41");
  CHECK(b64(std::string("\xff\xfe\x00\x01", 4)) == "//4AAQ==");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(base64_decode(b64(all)) == all);
  std::string appended = "x";
  base64_append("hi", appended);
  CHECK(appended == "xaGk=");
}

TEST_CASE("base64_decode refuses what is not padded standard base64") {
  CHECK(base64_decode("Zg==") == std::string("f"));
  CHECK_FALSE(base64_decode("Zg=").has_value());
  CHECK_FALSE(base64_decode("Z===").has_value());
  CHECK_FALSE(base64_decode("Zg=a").has_value());
  CHECK_FALSE(base64_decode("Zm9v!A==").has_value());
  CHECK_FALSE(base64_decode("Zg==Zg==").has_value());
}
