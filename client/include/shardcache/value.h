// shardcache/value.h: a decoded server reply (RESP2 or RESP3), as returned by the generic
// Client::command() and by Pipeline::exec().
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace shardcache {

/// One reply. Maps keep keys and values flat in `elements`: k0, v0, k1, v1, ...
struct Value {
  enum class Type { Simple, Error, Integer, Bulk, Null, Array, Map, Set, Double, Boolean, Verbatim, Push, BigNumber };
  Type type = Type::Null;
  std::string str;              ///< Simple, Error, Bulk, Verbatim text, BigNumber digits, Double text
  long long integer = 0;        ///< Integer (also 1/0 for a Boolean)
  double dbl = 0;               ///< Double
  bool boolean = false;         ///< Boolean
  std::vector<Value> elements;  ///< Array, Set, Push, Map (flat)

  bool is_null() const { return type == Type::Null; }
  bool is_error() const { return type == Type::Error; }
  bool is_string() const { return type == Type::Bulk || type == Type::Simple || type == Type::Verbatim; }
  bool is_array() const { return type == Type::Array || type == Type::Set || type == Type::Push; }
  /// The text of a string reply, or nullopt for anything else (a Null included).
  std::optional<std::string> as_string() const {
    if (is_string()) return str;
    return std::nullopt;
  }
  /// A readable rendering for logs and tests, e.g. `["0", ["a", "b"]]`, `(nil)`, `(error) ERR x`.
  std::string to_string() const;
};

}  // namespace shardcache
