// tests/fuzz/glob_reference.h: two independent glob matchers to check store::glob_match against
// (fuzz_glob and the unit tests). `reference_dp` tokenises the pattern exactly as Redis's
// stringmatchlen reads it and fills the classic O(pattern x key) table; `reference_backtrack`
// is the recursive backtracking port of stringmatchlen that the daemon used before (exponential
// on many stars, so callers keep its inputs small).
#pragma once
#include <algorithm>
#include <string_view>
#include <vector>

namespace glob_reference {

inline unsigned char fold(unsigned char c, bool nocase) {
  return nocase && c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Redis's [...] class reader, starting after '['; leaves p on the closing ']' (or the last byte).
inline bool match_class(const char*& p, const char* pend, unsigned char c, bool nocase) {
  bool negate = false, match = false;
  if (p < pend && *p == '^') { negate = true; ++p; }
  for (;;) {
    if (p >= pend) { --p; break; }
    if (*p == '\\' && pend - p >= 2) {
      ++p;
      if (fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase)) match = true;
    } else if (*p == ']') {
      break;
    } else if (pend - p >= 3 && p[1] == '-') {
      unsigned char a = fold(static_cast<unsigned char>(p[0]), nocase);
      unsigned char b = fold(static_cast<unsigned char>(p[2]), nocase);
      if (a > b) std::swap(a, b);
      unsigned char cc = fold(c, nocase);
      p += 2;
      if (cc >= a && cc <= b) match = true;
    } else if (fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase)) {
      match = true;
    }
    ++p;
  }
  return negate ? !match : match;
}

inline bool backtrack_impl(const char* p, const char* pend, const char* s, const char* send, bool nocase) {
  while (p < pend) {
    switch (*p) {
      case '*':
        while (pend - p >= 2 && p[1] == '*') ++p;
        if (pend - p == 1) return true;
        for (const char* t = s; t <= send; ++t)
          if (backtrack_impl(p + 1, pend, t, send, nocase)) return true;
        return false;
      case '?':
        if (s >= send) return false;
        ++s;
        break;
      case '[':
        if (s >= send) return false;
        ++p;
        if (!match_class(p, pend, static_cast<unsigned char>(*s), nocase)) return false;
        ++s;
        break;
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

inline bool reference_backtrack(std::string_view pat, std::string_view str, bool nocase = false) {
  return backtrack_impl(pat.data(), pat.data() + pat.size(), str.data(), str.data() + str.size(), nocase);
}

inline bool reference_dp(std::string_view pat, std::string_view str, bool nocase = false) {
  // Token boundaries: a token is '*', or one character's worth of pattern (?, class, escape, byte).
  std::vector<std::pair<size_t, size_t>> tokens;  // [begin, end) in pat
  const char* base = pat.data();
  const char* pend = base + pat.size();
  for (const char* p = base; p < pend;) {
    const char* t = p;
    if (*t == '[') {
      ++t;
      match_class(t, pend, 0, nocase);  // where a class ends does not depend on the byte
    } else if (*t == '\\' && pend - t >= 2) {
      ++t;
    }
    tokens.emplace_back(p - base, t + 1 - base);
    p = t + 1;
  }
  auto token_matches = [&](size_t k, unsigned char c) {
    const char* p = base + tokens[k].first;
    switch (*p) {
      case '?': return true;
      case '[': { ++p; return match_class(p, pend, c, nocase); }
      case '\\': if (pend - p >= 2) ++p; return fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase);
      default: return fold(static_cast<unsigned char>(*p), nocase) == fold(c, nocase);
    }
  };
  const size_t n = tokens.size(), m = str.size();
  // row[j]: tokens[0..k) match str[0..j)
  std::vector<char> row(m + 1, 0), next(m + 1, 0);
  row[0] = 1;
  for (size_t k = 0; k < n; ++k) {
    bool star = pat[tokens[k].first] == '*';
    std::fill(next.begin(), next.end(), 0);
    for (size_t j = 0; j <= m; ++j) {
      if (star) next[j] = row[j] || (j > 0 && next[j - 1]);
      else if (j > 0) next[j] = row[j - 1] && token_matches(k, static_cast<unsigned char>(str[j - 1]));
    }
    row.swap(next);
  }
  return row[m] != 0;
}

}  // namespace glob_reference
