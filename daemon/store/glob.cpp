// daemon/store/glob.cpp: Redis's glob semantics (KEYS, SCAN MATCH, INVALIDATE, CONFIG GET) with
// a polynomial worst case. Every token but '*' consumes exactly one character, so a mismatch only
// needs to retry from the most recent '*' with one more character given to it: O(pattern x key)
// steps and no recursion. (Redis's pre-7.0.9 backtracking matcher, which this replaces, is
// exponential on patterns like "a*a*a*...*b": CVE-2022-36021.)
#include <string>

#include "daemon/store/glob.h"

namespace shardcache::store {
namespace {

unsigned char fold(unsigned char c, bool nocase) {
  return nocase && c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Matches a [...] class starting after '['. Advances `p` to the closing ']' (or, unterminated,
// to the pattern's last byte, as Redis does). Where `p` ends does not depend on `c`.
bool match_class(const char*& p, const char* pend, unsigned char c, bool nocase) {
  bool negate = false, match = false;
  if (p < pend && *p == '^') { negate = true; ++p; }
  for (;;) {
    if (p >= pend) { --p; break; }  // unterminated: treat like Redis (pattern ends)
    if (*p == '\\' && pend - p >= 2) {
      ++p;
      if (fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase)) match = true;
    } else if (*p == ']') {
      break;
    } else if (pend - p >= 3 && p[1] == '-') {
      unsigned char start = fold(static_cast<unsigned char>(p[0]), nocase);
      unsigned char end = fold(static_cast<unsigned char>(p[2]), nocase);
      if (start > end) std::swap(start, end);
      unsigned char cc = fold(c, nocase);
      p += 2;
      if (cc >= start && cc <= end) match = true;
    } else if (fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase)) {
      match = true;
    }
    ++p;
  }
  return negate ? !match : match;
}

// Matches the one-character token at `p` ('?', a class, an escape or a literal; never '*')
// against `c`. On a match advances `p` past the token and returns true.
bool match_one(const char*& p, const char* pend, unsigned char c, bool nocase) {
  const char* t = p;
  bool ok;
  switch (*t) {
    case '?':
      ok = true;
      break;
    case '[':
      ++t;
      ok = match_class(t, pend, c, nocase);
      break;
    case '\\':
      if (pend - t >= 2) ++t;  // a trailing '\' is a literal backslash
      [[fallthrough]];
    default:
      ok = fold(static_cast<unsigned char>(*t), nocase) == fold(c, nocase);
      break;
  }
  if (ok) p = t + 1;
  return ok;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  size_t steps = 0;
  return glob_match_counted(pattern, str, nocase, steps);
}

bool glob_match_counted(std::string_view pattern, std::string_view str, bool nocase, size_t& steps) {
  const char* p = pattern.data();
  const char* const pend = p + pattern.size();
  const char* s = str.data();
  const char* const send = s + str.size();
  const char* star_p = nullptr;  // pattern just after the most recent run of '*'
  const char* star_s = nullptr;  // where the string stood when that '*' matched nothing yet
  while (s < send) {
    ++steps;
    if (p < pend && *p == '*') {
      while (p < pend && *p == '*') ++p;
      if (p == pend) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    if (p < pend && match_one(p, pend, static_cast<unsigned char>(*s), nocase)) {
      ++s;
      continue;
    }
    if (star_p == nullptr) return false;
    // Give the last '*' one more character. Earlier stars never need to take more: whatever
    // the rest of the pattern could match from a later start, the last star reaches as well.
    p = star_p;
    s = ++star_s;
  }
  while (p < pend && *p == '*') ++p;
  return p == pend;
}

bool glob_literal_prefix(std::string_view pattern, std::string& prefix) {
  if (pattern.empty() || pattern.back() != '*') return false;
  prefix.clear();
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*' || c == '?' || c == '[') return false;
    if (c == '\\') {
      if (i + 2 >= pattern.size()) return false;  // escapes the final '*': not a prefix glob
      c = pattern[++i];
    }
    prefix.push_back(c);
  }
  return true;
}

GlobShape glob_shape(std::string_view pattern, std::string& literal) {
  literal.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      bool only_stars = pattern.find_first_not_of('*', i) == std::string_view::npos;
      return only_stars ? GlobShape::Prefix : GlobShape::Other;
    }
    if (c == '?' || c == '[') return GlobShape::Other;
    if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];  // a trailing '\\' is literal
    literal.push_back(c);
  }
  return GlobShape::Literal;
}

}  // namespace shardcache::store
