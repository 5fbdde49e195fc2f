// protocol/reply_reader.h: incremental reader of any RESP2/RESP3 reply (for libshardcache and
// tests). Depends only on the standard library.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"  // ParseStatus

namespace shardcache::protocol {

/// One decoded reply. Map and Attribute store keys and values flat: k0, v0, k1, v1, ...
struct Reply {
  enum class Type { Simple, Error, Integer, Bulk, Null, Array, Map, Set, Double, Boolean, Verbatim, Push, BigNumber };
  Type type = Type::Null;
  std::string str;               ///< Simple, Error, Bulk, Verbatim (text without "txt:"), BigNumber digits, Double text
  std::string format;            ///< Verbatim format, e.g. "txt"
  long long integer = 0;         ///< Integer
  double dbl = 0;                ///< Double
  bool boolean = false;          ///< Boolean
  std::vector<Reply> elements;   ///< Array, Set, Push, Map (flat)

  bool is_error() const { return type == Type::Error; }
  bool is_null() const { return type == Type::Null; }
};

/// Reads replies from the front of a byte stream. RESP2 null bulk ($-1) and null array (*-1)
/// both decode as Type::Null. RESP3 attributes (|) are skipped.
class ReplyReader {
 public:
  struct Limits { size_t max_bulk_len = 512ull * 1024 * 1024; size_t max_elements = 1ull << 31; size_t max_depth = 64; };
  ReplyReader() = default;
  explicit ReplyReader(Limits limits) : limits_(limits) {}

  /// Parse one reply from `input`. Complete: `out` is filled and consumed() bytes were used.
  /// Incomplete: need more bytes (call again with the same start). Error: error() says why.
  /// `out`'s strings and element vectors are reused, so passing the same Reply each time
  /// avoids allocating in steady state.
  ParseStatus parse(std::string_view input, Reply& out);
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }
  /// Forget the progress kept after Incomplete (call when the stream is discarded).
  void reset();

 private:
  struct Header;  // one decoded type byte + line (+ bulk body); defined in the .cpp
  ParseStatus scan(std::string_view input, size_t& end);
  ParseStatus read_header(std::string_view input, size_t pos, Header& h);
  ParseStatus read_line_value(std::string_view input, Header& h);
  ParseStatus read_bulk_value(std::string_view input, Header& h);
  ParseStatus read_aggregate(std::string_view input, Header& h);
  ParseStatus build(std::string_view input, size_t& pos, Reply& out, size_t depth);
  void fill(std::string_view input, const Header& h, Reply& out);
  ParseStatus fail(std::string msg);

  Limits limits_;
  size_t consumed_ = 0;
  std::string error_;
  // Progress kept after Incomplete: where the next value header starts, the elements still
  // owed by each open aggregate, and the first bytes seen (a sanity check on the restart).
  size_t scan_pos_ = 0;
  std::vector<unsigned long long> stack_;
  std::string prefix_;
};

}  // namespace shardcache::protocol
