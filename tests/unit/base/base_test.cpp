// tests/unit/base/base_test.cpp: the std-only base library: ASCII case folding and hex digits,
// Redis's string2ll acceptance, CRC16 and hash slots, sdssplitargs, percent-decoding, UTF-8 validation and repair, the version header.
#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>

#include "base/ascii.h"
#include "base/hash_slot.h"
#include "base/numbers.h"
#include "base/split_args.h"
#include "base/text.h"
#include "shardcache/version.h"

using namespace shardcache::base;

namespace {
std::string repaired(std::string_view s) {
  std::string out;
  append_utf8_repaired(s, out);
  return out;
}
}  // namespace

TEST_CASE("iequals, istarts_with, lower, upper fold ASCII letters only") {
  CHECK(iequals("Base64", "base64"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("base6", "base64"));
  CHECK_FALSE(iequals("base65", "base64"));
  CHECK_FALSE(iequals("[", "{"));          // '[' | 0x20 == '{': not a letter, so not folded
  CHECK_FALSE(iequals("\xC9", "\xE9"));  // Latin-1 É / é are not ASCII
  CHECK(istarts_with("REDIS://host", "redis://"));
  CHECK_FALSE(istarts_with("redis:/", "redis://"));
  CHECK(lower("MaxMemory-POLICY") == "maxmemory-policy");
  CHECK(upper("client|list") == "CLIENT|LIST");
  CHECK(lower("\xC9@[") == "\xC9@[");
}

TEST_CASE("hex_digit") {
  CHECK(hex_digit('0') == 0);
  CHECK(hex_digit('9') == 9);
  CHECK(hex_digit('a') == 10);
  CHECK(hex_digit('F') == 15);
  CHECK(hex_digit('g') == -1);
  CHECK(hex_digit('/') == -1);
  CHECK(hex_digit(':') == -1);
}

TEST_CASE("parse_ll accepts what Redis's string2ll accepts") {
  CHECK(parse_ll("0") == 0);
  CHECK(parse_ll("-1") == -1);
  CHECK(parse_ll("12345") == 12345);
  CHECK(parse_ll("9223372036854775807") == LLONG_MAX);
  CHECK(parse_ll("-9223372036854775808") == LLONG_MIN);
  CHECK_FALSE(parse_ll("9223372036854775808"));
  CHECK_FALSE(parse_ll("-9223372036854775809"));
  CHECK_FALSE(parse_ll("18446744073709551616"));  // wraps an unsigned accumulator
  CHECK_FALSE(parse_ll(""));
  CHECK_FALSE(parse_ll("-"));
  CHECK_FALSE(parse_ll("+1"));
  CHECK_FALSE(parse_ll("01"));
  CHECK_FALSE(parse_ll("-0"));
  CHECK_FALSE(parse_ll(" 1"));
  CHECK_FALSE(parse_ll("1 "));
  CHECK_FALSE(parse_ll("1.0"));
  CHECK_FALSE(parse_ll("00000000000000000000001"));  // 21+ characters are refused outright
  long long v = 7;
  CHECK_FALSE(string2ll("12x", 3, v));
  CHECK(v == 7);  // untouched on failure
  CHECK(string2ll("12x", 2, v));  // only `len` bytes are read
  CHECK(v == 12);
}

TEST_CASE("version header: the project version from meson.build") {
  const std::string v = shardcache::kVersion;
  CHECK(v == SHARDCACHE_VERSION);
  // MAJOR.MINOR.PATCH
  CHECK(std::count(v.begin(), v.end(), '.') == 2);
  CHECK(v.find_first_not_of("0123456789.") == std::string::npos);
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


TEST_CASE("split_args follows Redis's sdssplitargs") {
  using V = std::vector<std::string>;
  CHECK(split_args("") == V{});
  CHECK(split_args(" \t ") == V{});
  CHECK(split_args("set  k\tv ") == V{"set", "k", "v"});
  CHECK(split_args("\"a b\" 'c d'") == V{"a b", "c d"});
  CHECK(split_args(R"("\x41\x4a\n\t\q")") == V{std::string("AJ\n\tq")});
  CHECK(split_args(R"("\x4")") == V{"x4"});  // not two hex digits: \x is x
  CHECK(split_args(R"('it\'s' '\n')") == V{"it's", "\\n"});
  CHECK(split_args("pre\"quoted\" x") == V{"prequoted", "x"});
  CHECK(split_args(std::string_view("a\0b", 3)) == V{"a", "b"});  // a NUL ends an argument
  CHECK_FALSE(split_args("\"unterminated"));
  CHECK_FALSE(split_args("'unterminated"));
  CHECK_FALSE(split_args("\"a\"b"));  // a closing quote must end the argument
  CHECK_FALSE(split_args("'a'b"));
  CHECK(split_args("\"a\"\vb") == V{"a", "b"});  // \v is a blank after a quote (isspace)
}

TEST_CASE("crc16: the eight-bytes-per-step CRC equals the bitwise XMODEM CRC at every length") {
  auto bitwise = [](const std::string& s) {
    uint16_t crc = 0;
    for (unsigned char c : s) {
      crc = static_cast<uint16_t>(crc ^ (c << 8));
      for (int b = 0; b < 8; ++b) crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
  };
  CHECK(shardcache::base::crc16("123456789", 9) == 0x31C3);
  uint32_t x = 12345;
  std::string s;
  for (int len = 0; len <= 70; ++len) {
    CHECK_MESSAGE(shardcache::base::crc16(s.data(), s.size()) == bitwise(s), "length ", len);
    x = x * 1103515245 + 12345;
    s.push_back(static_cast<char>(x >> 16));
  }
  CHECK(shardcache::base::key_hash_slot("foo") == 12182);
  CHECK(shardcache::base::key_hash_slot("key:000000012345") == bitwise("key:000000012345") % 16384);
  CHECK(shardcache::base::key_hash_slot("{user1000}.following") == shardcache::base::key_hash_slot("user1000"));
}
