// daemon/store/glob.cpp: port of Redis's util.c stringmatchlen (same semantics, iterative '*').
#include <string>

#include "daemon/store/glob.h"

namespace shardcache::store {
namespace {

unsigned char fold(unsigned char c, bool nocase) {
  return nocase && c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Matches a [...] class starting after '['. Advances `p` to the closing ']' (or end).
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

bool match_impl(const char* p, const char* pend, const char* s, const char* send, bool nocase, int depth) {
  if (depth > 1000) return false;  // Redis bounds recursion the same way
  while (p < pend) {
    switch (*p) {
      case '*':
        while (pend - p >= 2 && p[1] == '*') ++p;
        if (pend - p == 1) return true;
        for (const char* t = s; t <= send; ++t)
          if (match_impl(p + 1, pend, t, send, nocase, depth + 1)) return true;
        return false;
      case '?':
        if (s >= send) return false;
        ++s;
        break;
      case '[': {
        if (s >= send) return false;
        ++p;
        if (!match_class(p, pend, static_cast<unsigned char>(*s), nocase)) return false;
        ++s;
        break;
      }
      case '\\':
        if (pend - p >= 2) ++p;
        [[fallthrough]];
      default:
        if (s >= send || fold(static_cast<unsigned char>(*p), nocase) != fold(static_cast<unsigned char>(*s), nocase))
          return false;
        ++s;
        break;
    }
    ++p;
    if (s >= send) {
      while (p < pend && *p == '*') ++p;
      break;
    }
  }
  return p >= pend && s >= send;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view str, bool nocase) {
  return match_impl(pattern.data(), pattern.data() + pattern.size(), str.data(), str.data() + str.size(), nocase, 0);
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
