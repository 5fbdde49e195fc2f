// base/numbers.h: Redis's strict decimal integer parsing (util.c string2ll), shared by the RESP
// parser, the reply reader, command arguments, CONFIG SET and the config file.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace shardcache::base {

/// Redis's string2ll: optional '-', then digits with no leading zero ("0" alone is fine), no '+',
/// no spaces, at most 20 characters, within int64. False (and `out` untouched) otherwise.
bool string2ll(const char* s, size_t len, long long& out);

/// string2ll on a view; nullopt when it does not accept `s`.
inline std::optional<long long> parse_ll(std::string_view s) {
  long long v = 0;
  if (!string2ll(s.data(), s.size(), v)) return std::nullopt;
  return v;
}

}  // namespace shardcache::base
