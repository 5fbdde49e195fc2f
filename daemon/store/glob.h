// daemon/store/glob.h: Redis's glob syntax (stringmatchlen) with a polynomial worst case: * ? [a-z] [^x] and \ escapes.
#pragma once
#include <cstddef>
#include <string_view>

namespace shardcache::store {

/// True when `str` matches the glob `pattern` exactly as Redis KEYS/SCAN MATCH do.
/// Worst case O(pattern.size() x str.size()) steps, without recursion.
bool glob_match(std::string_view pattern, std::string_view str, bool nocase = false);

/// glob_match that also adds its loop iterations to `steps` (tests and the fuzz target check the
/// bound: at most (str.size() + 1) x (pattern.size() + 1)).
bool glob_match_counted(std::string_view pattern, std::string_view str, bool nocase, size_t& steps);

/// If `pattern` is a literal prefix followed by one final '*' (e.g. "course:42:*"), sets
/// `prefix` to the unescaped literal part and returns true.
bool glob_literal_prefix(std::string_view pattern, std::string& prefix);

/// How a pattern can be answered: Literal (no wildcard: matches exactly one key), Prefix (a
/// literal followed only by '*'s), or Other. `literal` receives the unescaped text before the
/// first wildcard (the whole key for Literal; possibly empty for Other).
enum class GlobShape { Literal, Prefix, Other };
GlobShape glob_shape(std::string_view pattern, std::string& literal);

}  // namespace shardcache::store
