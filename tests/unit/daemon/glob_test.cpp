// tests/unit/daemon/glob_test.cpp: glob matching exactly as Redis's stringmatchlen.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/store/glob.h"
#include "tests/fuzz/glob_reference.h"

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

TEST_CASE("glob: pathological patterns finish in polynomial steps (CVE-2022-36021)") {
  const std::string key(40, 'a');
  std::string evil;
  for (int i = 0; i < 20; ++i) evil += "a*";
  evil += "b";
  size_t steps = 0;
  CHECK_FALSE(shardcache::store::glob_match_counted(evil, key, false, steps));
  CHECK(steps <= (key.size() + 1) * (evil.size() + 1));
  // Long keys and many stars: still bounded, still right.
  const std::string long_key(10000, 'a');
  std::string many_stars;
  for (int i = 0; i < 200; ++i) many_stars += "*a";
  steps = 0;
  CHECK(shardcache::store::glob_match_counted(many_stars, long_key, false, steps));
  CHECK(steps <= (long_key.size() + 1) * (many_stars.size() + 1));
  steps = 0;
  CHECK_FALSE(shardcache::store::glob_match_counted(many_stars + "b", long_key, false, steps));
  CHECK(steps <= (long_key.size() + 1) * (many_stars.size() + 2));
  CHECK_FALSE(glob_match("*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*[b]", std::string(60, 'x')));
  CHECK(glob_match("*[a-c]*[a-c]*[a-c]*x", "zzazzbzzczzx"));
}

TEST_CASE("glob: agrees with both reference matchers on every short pattern and key") {
  // Every pattern of up to 4 tokens from a small alphabet, against every key of up to 4 bytes.
  const std::vector<std::string> atoms = {"a", "b", "*", "?", "[ab]", "[^a]", "\\*", "[a-b]", "\\", "["};
  std::vector<std::string> patterns = {""};
  for (int len = 0; len < 3; ++len) {
    std::vector<std::string> grown;
    for (const auto& p : patterns)
      for (const auto& a : atoms) grown.push_back(p + a);
    patterns.insert(patterns.end(), grown.begin(), grown.end());
  }
  std::vector<std::string> keys = {""};
  for (int len = 0; len < 4; ++len) {
    std::vector<std::string> grown;
    for (const auto& k : keys)
      for (char c : std::string("ab*[")) grown.push_back(k + c);
    keys.insert(keys.end(), grown.begin(), grown.end());
  }
  size_t disagreements = 0;
  for (const auto& p : patterns)
    for (const auto& k : keys) {
      bool got = glob_match(p, k);
      if (got != glob_reference::reference_dp(p, k) || got != glob_reference::reference_backtrack(p, k)) {
        if (++disagreements < 5) MESSAGE("pattern '" << p << "' key '" << k << "'");
      }
    }
  CHECK(disagreements == 0);
}
