// protocol/request_writer.h: encodes commands as RESP multibulk requests (the counterpart of
// RequestParser), for libshardcache and test tools. Header-only; depends only on std.
#pragma once
#include <charconv>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace shardcache::protocol {

/// Appends RESP requests (`*N\r\n$len\r\narg\r\n...`) to a caller-owned buffer. Arguments are
/// binary-safe: any byte, CR and LF included, is sent verbatim inside its bulk string.
class RequestWriter {
 public:
  explicit RequestWriter(std::string& out) : out_(&out) {}

  /// Starts a command of `argc` arguments (the command name counts as one).
  RequestWriter& begin(size_t argc) {
    header('*', static_cast<long long>(argc));
    return *this;
  }
  /// Appends one argument as a bulk string.
  RequestWriter& arg(std::string_view a) {
    header('$', static_cast<long long>(a.size()));
    out_->append(a);
    out_->append("\r\n", 2);
    return *this;
  }
  /// Appends an integer argument in decimal.
  RequestWriter& arg(long long v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return arg(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  /// Encodes a whole command from a range of string-like arguments.
  template <class Range>
  RequestWriter& command(const Range& args) {
    begin(static_cast<size_t>(std::distance(std::begin(args), std::end(args))));
    for (const auto& a : args) arg(std::string_view(a));
    return *this;
  }

  std::string& buffer() { return *out_; }

 private:
  void header(char type, long long n) {
    char buf[24];
    buf[0] = type;
    auto r = std::to_chars(buf + 1, buf + sizeof buf - 2, n);
    *r.ptr++ = '\r';
    *r.ptr++ = '\n';
    out_->append(buf, static_cast<size_t>(r.ptr - buf));
  }
  std::string* out_;
};

}  // namespace shardcache::protocol
