// protocol/reply_reader.cpp: incremental reader of RESP2/RESP3 replies. The Reply tree is
// built straight from the input (reusing `out`'s storage); when that does not complete, a
// cheap resumable scan (no allocation) decides between Incomplete and Error and remembers how
// far it got, so a multi-megabyte reply arriving in many reads is not re-parsed per read.
#include "protocol/reply_reader.h"

#include "base/numbers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

namespace shardcache::protocol {

/// What read_header() learned about the value starting at some offset.
struct ReplyReader::Header {
  Reply::Type type = Reply::Type::Null;
  char tag = 0;            // the type byte
  size_t text = 0;         // offset of the payload (line text or bulk body)
  size_t text_len = 0;
  long long n = 0;         // Integer value, or number of child values of an aggregate
  double dbl = 0;
  bool boolean = false;
  bool aggregate = false;  // n child values follow
  bool attribute = false;  // a RESP3 attribute: its children and then the real value follow
  size_t next = 0;         // offset just past this header (and bulk body)
};

namespace {

enum class LineStatus { Found, Incomplete, TooLong };

constexpr unsigned long long kAttrBit = 1ull << 63;  // marks an attribute on the scan stack
constexpr size_t kCountLineMax = 64;                 // length/count/boolean/null lines
constexpr size_t kDoubleLineMax = 512;

/// Finds the CRLF ending the line that starts at `from`. Its '\r' must lie within `limit`
/// bytes of `from`, so the outcome depends only on a bounded prefix of the input.
LineStatus find_crlf(std::string_view in, size_t from, size_t limit, size_t& cr) {
  limit = std::min<size_t>(limit, size_t{1} << 60);
  const size_t end = in.size() - from > limit + 1 ? from + limit + 2 : in.size();
  const char* data = in.data();
  size_t i = from;
  while (i < end) {
    const void* hit = std::memchr(data + i, '\r', end - i);
    if (hit == nullptr) break;
    const auto r = static_cast<size_t>(static_cast<const char*>(hit) - data);
    if (r + 1 >= end) break;
    if (data[r + 1] == '\n') {
      cr = r;
      return LineStatus::Found;
    }
    i = r + 1;
  }
  return in.size() - from >= limit + 2 ? LineStatus::TooLong : LineStatus::Incomplete;
}

/// Fast path for the usual "<digits>\r\n" line after '$', ':' or '*': no sign, no leading
/// zero (unless just "0"), at most 18 digits. Returns false whenever the general path must
/// decide; anything accepted here the general path would accept the same way.
[[gnu::always_inline]] inline bool fast_number(std::string_view in, size_t from, long long& v, size_t& next) {
  const char* p = in.data() + from;
  const char* end = in.data() + in.size();
  const char* lim = end - p > 20 ? p + 20 : end;  // 18 digits + CRLF
  if (p >= lim) return false;
  auto digit = static_cast<unsigned char>(*p - '0');
  if (digit >= 10) return false;
  unsigned long long x = digit;
  const char* q = p + 1;
  if (digit != 0) {
    while (q < lim && (digit = static_cast<unsigned char>(*q - '0')) < 10) {
      x = x * 10 + digit;
      ++q;
    }
  }
  if (lim - q < 2 || q[0] != '\r' || q[1] != '\n') return false;
  v = static_cast<long long>(x);
  next = static_cast<size_t>(q + 2 - in.data());
  return true;
}

bool parse_double(const char* s, size_t len, double& out) {
  if (len > 0 && s[0] == '+') ++s, --len;
  if (len == 0 || s[0] == '+') return false;
  const auto [ptr, ec] = std::from_chars(s, s + len, out);
  return ec == std::errc() && ptr == s + len;
}

bool valid_bignum(const char* s, size_t len) {
  size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
  if (i == len) return false;
  for (; i < len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::string describe_byte(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  static constexpr char kHex[] = "0123456789abcdef";
  const auto u = static_cast<unsigned char>(c);
  return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
}

size_t line_limit(char tag, size_t max_bulk_len) {
  if (tag == '+' || tag == '-' || tag == '(') return max_bulk_len;
  return tag == ',' ? kDoubleLineMax : kCountLineMax;
}

}  // namespace

void ReplyReader::reset() {
  scan_pos_ = 0;
  stack_.clear();
  prefix_.clear();
  consumed_ = 0;
}

ParseStatus ReplyReader::fail(std::string msg) {
  error_ = std::move(msg);
  return ParseStatus::Error;
}

ParseStatus ReplyReader::read_header(std::string_view in, size_t pos, Header& h) {
  if (pos >= in.size()) return ParseStatus::Incomplete;
  h = Header{};
  h.tag = in[pos];
  h.text = pos + 1;
  long long v = 0;
  size_t next = 0;
  if ((h.tag == '$' || h.tag == ':' || h.tag == '*') && fast_number(in, pos + 1, v, next)) {
    if (h.tag == ':') {
      h.type = Reply::Type::Integer;
      h.n = v;
      h.next = next;
      return ParseStatus::Complete;
    }
    if (h.tag == '*' && static_cast<unsigned long long>(v) <= limits_.max_elements) {
      h.type = Reply::Type::Array;
      h.aggregate = true;
      h.n = v;
      h.next = next;
      return ParseStatus::Complete;
    }
    const auto len = static_cast<size_t>(v);
    if (h.tag == '$' && len <= limits_.max_bulk_len) {
      if (in.size() - next < len + 2) return ParseStatus::Incomplete;
      if (in[next + len] == '\r' && in[next + len + 1] == '\n') {
        h.type = Reply::Type::Bulk;
        h.text = next;
        h.text_len = len;
        h.next = next + len + 2;
        return ParseStatus::Complete;
      }
    }
  }
  switch (h.tag) {
    case '+': case '-': case ':': case ',': case '#': case '_': case '(':
      return read_line_value(in, h);
    case '$': case '=': case '!':
      return read_bulk_value(in, h);
    case '*': case '%': case '~': case '>': case '|':
      return read_aggregate(in, h);
    default:
      return fail("Protocol error: invalid reply type '" + describe_byte(h.tag) + "'");
  }
}

ParseStatus ReplyReader::read_line_value(std::string_view in, Header& h) {
  size_t cr = 0;
  const LineStatus ls = find_crlf(in, h.text, line_limit(h.tag, limits_.max_bulk_len), cr);
  if (ls == LineStatus::Incomplete) return ParseStatus::Incomplete;
  if (ls == LineStatus::TooLong) return fail("Protocol error: too long reply line");
  h.text_len = cr - h.text;
  h.next = cr + 2;
  const char* s = in.data() + h.text;
  const size_t len = h.text_len;
  switch (h.tag) {
    case '+': h.type = Reply::Type::Simple; break;
    case '-': h.type = Reply::Type::Error; break;
    case ':':
      h.type = Reply::Type::Integer;
      if (!base::string2ll(s, len, h.n)) return fail("Protocol error: invalid integer");
      break;
    case ',':
      h.type = Reply::Type::Double;
      if (!parse_double(s, len, h.dbl)) return fail("Protocol error: invalid double");
      break;
    case '#':
      h.type = Reply::Type::Boolean;
      if (len != 1 || (s[0] != 't' && s[0] != 'f')) return fail("Protocol error: invalid boolean");
      h.boolean = s[0] == 't';
      break;
    case '_':
      h.type = Reply::Type::Null;
      if (len != 0) return fail("Protocol error: invalid null");
      break;
    default:  // '('
      h.type = Reply::Type::BigNumber;
      if (!valid_bignum(s, len)) return fail("Protocol error: invalid big number");
      break;
  }
  return ParseStatus::Complete;
}

ParseStatus ReplyReader::read_bulk_value(std::string_view in, Header& h) {
  size_t cr = 0;
  const LineStatus ls = find_crlf(in, h.text, kCountLineMax, cr);
  if (ls == LineStatus::Incomplete) return ParseStatus::Incomplete;
  if (ls == LineStatus::TooLong) return fail("Protocol error: too long reply line");
  long long len = 0;
  if (!base::string2ll(in.data() + h.text, cr - h.text, len)) return fail("Protocol error: invalid bulk length");
  h.next = cr + 2;
  if (len == -1 && h.tag == '$') {
    h.type = Reply::Type::Null;
    return ParseStatus::Complete;
  }
  if (len < 0 || static_cast<unsigned long long>(len) > limits_.max_bulk_len)
    return fail("Protocol error: invalid bulk length");
  const size_t body = cr + 2;
  const auto ulen = static_cast<size_t>(len);
  if (in.size() - body < ulen + 2) return ParseStatus::Incomplete;
  if (in[body + ulen] != '\r' || in[body + ulen + 1] != '\n') return fail("Protocol error: bad bulk string terminator");
  h.text = body;
  h.text_len = ulen;
  h.next = body + ulen + 2;
  if (h.tag == '$') {
    h.type = Reply::Type::Bulk;
  } else if (h.tag == '!') {
    h.type = Reply::Type::Error;
  } else {
    h.type = Reply::Type::Verbatim;
    if (ulen < 4 || in[body + 3] != ':') return fail("Protocol error: invalid verbatim string");
  }
  return ParseStatus::Complete;
}

ParseStatus ReplyReader::read_aggregate(std::string_view in, Header& h) {
  size_t cr = 0;
  const LineStatus ls = find_crlf(in, h.text, kCountLineMax, cr);
  if (ls == LineStatus::Incomplete) return ParseStatus::Incomplete;
  if (ls == LineStatus::TooLong) return fail("Protocol error: too long reply line");
  long long n = 0;
  if (!base::string2ll(in.data() + h.text, cr - h.text, n)) return fail("Protocol error: invalid multibulk length");
  h.next = cr + 2;
  if (n == -1 && h.tag != '|') {
    h.type = Reply::Type::Null;
    return ParseStatus::Complete;
  }
  if (n < 0 || static_cast<unsigned long long>(n) > limits_.max_elements)
    return fail("Protocol error: invalid multibulk length");
  const bool pairs = h.tag == '%' || h.tag == '|';
  h.n = pairs ? 2 * n : n;
  h.aggregate = true;
  h.attribute = h.tag == '|';
  switch (h.tag) {
    case '%': h.type = Reply::Type::Map; break;
    case '~': h.type = Reply::Type::Set; break;
    case '>': h.type = Reply::Type::Push; break;
    default: h.type = Reply::Type::Array; break;
  }
  return ParseStatus::Complete;
}

ParseStatus ReplyReader::scan(std::string_view in, size_t& end) {
  size_t pos = scan_pos_;
  for (;;) {
    Header h;
    const ParseStatus st = read_header(in, pos, h);
    if (st != ParseStatus::Complete) {
      scan_pos_ = pos;
      return st;
    }
    pos = h.next;
    if (h.aggregate && h.n > 0) {
      if (stack_.size() >= limits_.max_depth) return fail("Protocol error: reply nested too deep");
      stack_.push_back(static_cast<unsigned long long>(h.n) | (h.attribute ? kAttrBit : 0));
      continue;
    }
    if (h.attribute) continue;  // "|0": nothing to skip, the value follows
    // A whole value ends at pos: settle the counts of the aggregates it completes.
    for (;;) {
      if (stack_.empty()) {
        end = pos;
        return ParseStatus::Complete;
      }
      unsigned long long& top = stack_.back();
      if (((--top) & ~kAttrBit) > 0) break;
      const bool was_attribute = (top & kAttrBit) != 0;
      stack_.pop_back();
      if (was_attribute) break;  // the annotated value comes next
    }
  }
}

void ReplyReader::fill(std::string_view in, const Header& h, Reply& out) {
  out.type = h.type;
  out.integer = h.type == Reply::Type::Integer ? h.n : 0;
  out.dbl = h.dbl;
  out.boolean = h.boolean;
  if (h.type == Reply::Type::Verbatim) {
    out.format.assign(in.data() + h.text, 3);
    out.str.assign(in.data() + h.text + 4, h.text_len - 4);
  } else {
    out.format.clear();
    const bool has_text = h.type != Reply::Type::Integer && h.type != Reply::Type::Boolean &&
                          h.type != Reply::Type::Null && !h.aggregate;
    out.str.assign(in.data() + h.text, has_text ? h.text_len : 0);
  }
}

ParseStatus ReplyReader::build(std::string_view in, size_t& pos, Reply& out, size_t depth) {
  Header h;
  for (;;) {
    const ParseStatus st = read_header(in, pos, h);
    if (st != ParseStatus::Complete) return st;
    pos = h.next;
    if (!h.attribute) break;
    if (h.n > 0 && depth >= limits_.max_depth) return ParseStatus::Error;
    Reply skipped;
    for (long long i = 0; i < h.n; ++i) {
      const ParseStatus sub = build(in, pos, skipped, depth + 1);
      if (sub != ParseStatus::Complete) return sub;
    }
  }
  fill(in, h, out);
  if (!h.aggregate || h.n == 0) {
    out.elements.clear();
    return ParseStatus::Complete;
  }
  if (depth >= limits_.max_depth) return ParseStatus::Error;
  // Every value takes at least 3 bytes: if they cannot all be here, do not allocate for them.
  if (static_cast<unsigned long long>(h.n) > (in.size() - pos) / 3) return ParseStatus::Incomplete;
  out.elements.resize(static_cast<size_t>(h.n));
  for (Reply& e : out.elements) {
    const ParseStatus sub = build(in, pos, e, depth + 1);
    if (sub != ParseStatus::Complete) return sub;
  }
  return ParseStatus::Complete;
}

ParseStatus ReplyReader::parse(std::string_view input, Reply& out) {
  consumed_ = 0;
  bool resuming = scan_pos_ != 0 || !stack_.empty();
  if (resuming && (input.size() < scan_pos_ || input.substr(0, prefix_.size()) != prefix_)) {
    reset();
    resuming = false;
  }
  if (!resuming) {
    // Fast path: build straight away. Anything but Complete (a partial reply, an error) is
    // settled by the scan below, which is authoritative and keeps progress for the next call.
    size_t pos = 0;
    if (build(input, pos, out, 0) == ParseStatus::Complete) {
      consumed_ = pos;
      return ParseStatus::Complete;
    }
  }
  size_t end = 0;
  const ParseStatus st = scan(input, end);
  if (st == ParseStatus::Incomplete) {
    prefix_.assign(input.substr(0, std::min<size_t>(input.size(), 32)));
    if (scan_pos_ == 0 && stack_.empty()) prefix_.clear();
    return st;
  }
  reset();
  if (st == ParseStatus::Error) return st;
  size_t pos = 0;
  build(input, pos, out, 0);
  consumed_ = end;
  return ParseStatus::Complete;
}

}  // namespace shardcache::protocol
