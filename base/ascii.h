// base/ascii.h: ASCII case-insensitive comparison, case conversion and hex digits (Redis's command names,
// options and config values are ASCII; bytes >= 0x80 compare as themselves).
#pragma once
#include <string>
#include <string_view>

namespace shardcache::base {

/// 'A'..'Z' to 'a'..'z'; every other byte unchanged (no locale).
constexpr char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
/// 'a'..'z' to 'A'..'Z'; every other byte unchanged.
constexpr char to_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

/// The value of a hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1 for any other byte.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// ASCII case-insensitive equality.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

/// True if `s` starts with `prefix`, ignoring ASCII case.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// Lowercase copy.
std::string lower(std::string_view s);
/// Uppercase copy.
std::string upper(std::string_view s);

}  // namespace shardcache::base
