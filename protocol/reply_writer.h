// protocol/reply_writer.h: writes RESP2/RESP3 replies into a caller-owned byte buffer, with the
// RESP2 downgrades Redis applies when a connection has not said HELLO 3.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace shardcache::protocol {

/// Appends encoded replies to `out`. Never allocates beyond growing `out`.
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string& out, int proto = 2) : out_(&out), proto_(proto) {}

  void set_proto(int proto) { proto_ = proto; }
  int proto() const { return proto_; }
  void set_buffer(std::string& out) { out_ = &out; }
  std::string& buffer() { return *out_; }

  void simple(std::string_view s);              ///< +s  (CR/LF in s become spaces)
  void error(std::string_view msg);             ///< -msg (msg has its code, e.g. "ERR ...")
  void integer(long long v);                    ///< :v
  void bulk(std::string_view s);                ///< $len s
  void null();                                  ///< RESP3 _  / RESP2 $-1
  void null_array();                            ///< RESP3 _  / RESP2 *-1
  void array(size_t n);                         ///< *n header
  void map(size_t pairs);                       ///< RESP3 %n / RESP2 *2n
  void set(size_t n);                           ///< RESP3 ~n / RESP2 *n
  void push(size_t n);                          ///< RESP3 >n / RESP2 *n
  void dbl(double d);                           ///< RESP3 ,d / RESP2 bulk (Redis %.17g form, inf/-inf/nan)
  void boolean(bool b);                         ///< RESP3 #t/#f / RESP2 :1/:0
  void verbatim(std::string_view text, std::string_view fmt = "txt");  ///< RESP3 =len fmt:text / RESP2 bulk
  void bignum(std::string_view digits);         ///< RESP3 (digits / RESP2 bulk

  /// Formats a double the way Redis 7 does for replies (shortest "%.17g" round-trip form).
  static std::string format_double(double d);

 private:
  void header(char type, long long n);
  std::string* out_;
  int proto_;
};

}  // namespace shardcache::protocol
