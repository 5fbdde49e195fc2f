// tests/unit/http/encoding_test.cpp: base64 (RFC 4648 vectors), UTF-8 validation and repair,
// percent-decoding.
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
std::string repaired(std::string_view s) {
  std::string out;
  append_utf8_repaired(s, out);
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

TEST_CASE("valid_utf8 accepts well-formed text and rejects overlongs, surrogates and truncation") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
  CHECK_FALSE(valid_utf8("\xc0\x80"));          // overlong NUL
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong '/'
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // UTF-16 surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(valid_utf8("\xe2\x82"));          // truncated
  CHECK_FALSE(valid_utf8("\xff"));
  CHECK_FALSE(valid_utf8("a\x80"));             // stray continuation byte
}

TEST_CASE("append_utf8_repaired replaces each maximal invalid subpart with one U+FFFD") {
  const std::string r = "\xef\xbf\xbd";
  CHECK(repaired("ok \xc3\xa9") == "ok \xc3\xa9");
  CHECK(repaired("a\xff" "b") == "a" + r + "b");
  CHECK(repaired("\xe2\x82") == r);                    // truncated 3-byte sequence: one replacement
  CHECK(repaired("\xe2\x82x") == r + "x");
  CHECK(repaired("\xc0\x80") == r + r);                // C0 is never valid: two replacements
  CHECK(repaired("\xed\xa0\x80") == r + r + r);        // surrogate: ED then two stray bytes
  CHECK(repaired("\xf0\x9f\x98") == r);
}

TEST_CASE("percent_decode") {
  CHECK(percent_decode("a%20b") == std::string("a b"));
  CHECK(percent_decode("%2F%2f") == std::string("//"));
  CHECK(percent_decode("a+b") == std::string("a+b"));  // '+' is not a space in a path or token
  CHECK(percent_decode("%00") == std::string("\0", 1));
  CHECK(percent_decode("%E2%82%AC") == std::string("\xe2\x82\xac"));
  CHECK_FALSE(percent_decode("%").has_value());
  CHECK_FALSE(percent_decode("%4").has_value());
  CHECK_FALSE(percent_decode("%zz").has_value());
}

TEST_CASE("iequals_ascii") {
  CHECK(iequals_ascii("Base64", "base64"));
  CHECK(iequals_ascii("", ""));
  CHECK_FALSE(iequals_ascii("base6", "base64"));
  CHECK_FALSE(iequals_ascii("base65", "base64"));
}
