// tests/unit/daemon/glob_test.cpp: glob matching exactly as Redis's stringmatchlen.
#include <doctest/doctest.h>

#include <string>

#include "daemon/store/glob.h"

using shardcache::store::glob_literal_prefix;
using shardcache::store::glob_match;

TEST_CASE("glob: star, question mark and literals") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("course:*", "course:42"));
  CHECK_FALSE(glob_match("course:*", "courses"));
  CHECK(glob_match("h?llo", "hello"));
  CHECK_FALSE(glob_match("h?llo", "hllo"));
  CHECK(glob_match("*:progress", "student:7:progress"));
  CHECK(glob_match("a*b*c", "axxbyyc"));
  CHECK_FALSE(glob_match("a*b*c", "axxbyy"));
  CHECK(glob_match("**x", "abx"));
}

TEST_CASE("glob: classes, ranges, negation and escapes") {
  CHECK(glob_match("h[ae]llo", "hallo"));
  CHECK_FALSE(glob_match("h[ae]llo", "hillo"));
  CHECK(glob_match("h[^e]llo", "hallo"));
  CHECK_FALSE(glob_match("h[^e]llo", "hello"));
  CHECK(glob_match("h[a-b]llo", "hbllo"));
  CHECK(glob_match("h[b-a]llo", "hallo"));  // reversed range, as Redis
  CHECK(glob_match("course:[0-9]*:students", "course:42:students"));
  CHECK_FALSE(glob_match("course:[0-9]*:students", "course:x2:students"));
  CHECK(glob_match("a\\*b", "a*b"));
  CHECK_FALSE(glob_match("a\\*b", "axb"));
  CHECK(glob_match("[\\]]", "]"));
  CHECK(glob_match("HELLO", "hello", true));
}

TEST_CASE("glob: literal prefix detection") {
  std::string p;
  CHECK(glob_literal_prefix("course:42:*", p));
  CHECK(p == "course:42:");
  CHECK(glob_literal_prefix("a\\?b*", p));
  CHECK(p == "a?b");
  CHECK_FALSE(glob_literal_prefix("a?b*", p));
  CHECK_FALSE(glob_literal_prefix("course:*:x", p));
  CHECK_FALSE(glob_literal_prefix("abc", p));
}
