// protocol/reply_writer.cpp: encodes RESP2/RESP3 replies into a caller-owned buffer, with
// Redis's RESP2 downgrades and Redis 7's double formatting (util.c d2string + fpconv layout).
#include "protocol/reply_writer.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>

namespace shardcache::protocol {

namespace {

constexpr size_t kDoubleChars = 40;  // longest d2string output plus sign, with room to spare

/// Lays out shortest round-trip digits the way fpconv's emit_digits does (value is
/// digits * 10^k). Returns the length written at dest.
size_t emit_digits(const char* digits, int nd, int k, char* dest) {
  int exp = std::abs(k + nd - 1);
  if (k >= 0 && exp < nd + 7) {  // plain integer
    std::memcpy(dest, digits, static_cast<size_t>(nd));
    std::memset(dest + nd, '0', static_cast<size_t>(k));
    return static_cast<size_t>(nd + k);
  }
  if (k < 0 && (k > -7 || exp < 4)) {  // decimal without exponent
    int offset = nd + k;
    if (offset <= 0) {  // below 1.0: leading "0." and zeros
      dest[0] = '0';
      dest[1] = '.';
      std::memset(dest + 2, '0', static_cast<size_t>(-offset));
      std::memcpy(dest + 2 - offset, digits, static_cast<size_t>(nd));
      return static_cast<size_t>(nd + 2 - offset);
    }
    std::memcpy(dest, digits, static_cast<size_t>(offset));
    dest[offset] = '.';
    std::memcpy(dest + offset + 1, digits + offset, static_cast<size_t>(nd - offset));
    return static_cast<size_t>(nd + 1);
  }
  size_t i = 0;  // scientific: d[.ddd]e(+|-)exp, exponent without zero padding
  dest[i++] = digits[0];
  if (nd > 1) {
    dest[i++] = '.';
    std::memcpy(dest + i, digits + 1, static_cast<size_t>(nd - 1));
    i += static_cast<size_t>(nd - 1);
  }
  dest[i++] = 'e';
  dest[i++] = k + nd - 1 < 0 ? '-' : '+';
  i = static_cast<size_t>(std::to_chars(dest + i, dest + i + 4, exp).ptr - dest);
  return i;
}

/// Redis d2string: nan, inf/-inf, 0/-0, exact integers via the integer printer, otherwise
/// the shortest digits that round-trip, laid out as fpconv_dtoa does.
size_t format_double_to(double d, char* out) {
  if (std::isnan(d)) {
    std::memcpy(out, "nan", 3);
    return 3;
  }
  if (std::isinf(d)) {
    const char* s = d < 0 ? "-inf" : "inf";
    const size_t n = std::strlen(s);
    std::memcpy(out, s, n);
    return n;
  }
  if (d == 0) {
    if (std::signbit(d)) {
      std::memcpy(out, "-0", 2);
      return 2;
    }
    out[0] = '0';
    return 1;
  }
  if (d >= static_cast<double>(-LLONG_MAX / 2) && d <= static_cast<double>(LLONG_MAX / 2)) {
    const auto ll = static_cast<long long>(d);
    if (static_cast<double>(ll) == d) return static_cast<size_t>(std::to_chars(out, out + kDoubleChars, ll).ptr - out);
  }
  char sci[kDoubleChars];
  const char* end = std::to_chars(sci, sci + sizeof sci, std::fabs(d), std::chars_format::scientific).ptr;
  char digits[24];
  int nd = 0;
  const char* p = sci;
  for (; p < end && *p != 'e'; ++p)
    if (*p != '.') digits[nd++] = *p;
  int e10 = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, e10);
  size_t n = 0;
  if (d < 0) out[n++] = '-';
  return n + emit_digits(digits, nd, e10 - (nd - 1), out + n);
}

/// Appends s, turning CR and LF into spaces (status and error lines must stay one line).
void append_line_text(std::string& out, std::string_view s) {
  const size_t start = out.size();
  out.append(s);
  for (size_t i = start; i < out.size(); ++i)
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
}

}  // namespace

std::string ReplyWriter::format_double(double d) {
  char buf[kDoubleChars];
  return std::string(buf, format_double_to(d, buf));
}

void ReplyWriter::header(char type, long long n) {
  char buf[32];
  buf[0] = type;
  char* p = std::to_chars(buf + 1, buf + sizeof buf - 2, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  out_->append(buf, static_cast<size_t>(p - buf));
}

void ReplyWriter::simple(std::string_view s) {
  out_->push_back('+');
  append_line_text(*out_, s);
  out_->append("\r\n", 2);
}

void ReplyWriter::error(std::string_view msg) {
  out_->push_back('-');
  append_line_text(*out_, msg);
  out_->append("\r\n", 2);
}

void ReplyWriter::integer(long long v) { header(':', v); }

void ReplyWriter::bulk(std::string_view s) {
  char buf[32];
  buf[0] = '$';
  char* p = std::to_chars(buf + 1, buf + sizeof buf - 2, s.size()).ptr;
  *p++ = '\r';
  *p++ = '\n';
  const auto head = static_cast<size_t>(p - buf);
  out_->append(buf, head);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::null() { out_->append(proto_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::null_array() { out_->append(proto_ >= 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::array(size_t n) { header('*', static_cast<long long>(n)); }

void ReplyWriter::map(size_t pairs) {
  if (proto_ >= 3)
    header('%', static_cast<long long>(pairs));
  else
    header('*', static_cast<long long>(pairs * 2));
}

void ReplyWriter::set(size_t n) { header(proto_ >= 3 ? '~' : '*', static_cast<long long>(n)); }

void ReplyWriter::push(size_t n) { header(proto_ >= 3 ? '>' : '*', static_cast<long long>(n)); }

void ReplyWriter::dbl(double d) {
  char buf[kDoubleChars + 4];
  const size_t n = format_double_to(d, buf + 1);
  if (proto_ < 3) {
    bulk(std::string_view(buf + 1, n));
    return;
  }
  buf[0] = ',';
  buf[n + 1] = '\r';
  buf[n + 2] = '\n';
  out_->append(buf, n + 3);
}

void ReplyWriter::boolean(bool b) {
  if (proto_ >= 3)
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  else
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
}

void ReplyWriter::verbatim(std::string_view text, std::string_view fmt) {
  if (proto_ < 3) {
    bulk(text);
    return;
  }
  // The format is always three bytes on the wire (RESP3 spec); pad or cut what we were given.
  char ext[4] = {' ', ' ', ' ', ':'};
  if (!fmt.empty()) std::memcpy(ext, fmt.data(), std::min<size_t>(fmt.size(), 3));
  header('=', static_cast<long long>(text.size() + 4));
  out_->append(ext, 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyWriter::bignum(std::string_view digits) {
  if (proto_ < 3) {
    bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n", 2);
}

}  // namespace shardcache::protocol
