// protocol/request_parser.cpp: the incremental RESP request parser. Mirrors Redis 7's
// processMultibulkBuffer / processInlineBuffer / sdssplitargs, including their error texts,
// but hands out views into the caller's buffer and keeps its progress as offsets.
#include "protocol/request_parser.h"

#include "base/numbers.h"
#include "base/split_args.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

namespace shardcache::protocol {

namespace {

enum class LineStatus { Found, Incomplete, TooBig };

/// Finds the '\r' that ends the header line starting at `start` (Redis searches for '\r' and
/// then only requires one more byte). The '\r' must lie within `limit` bytes of `start`, so
/// the outcome depends only on a bounded prefix and never on how the input was split.
LineStatus find_line(std::string_view in, size_t start, size_t limit, size_t& cr) {
  const size_t avail = in.size() - start;
  const size_t window = std::min(avail, limit + 1);
  const void* hit = std::memchr(in.data() + start, '\r', window);
  if (hit == nullptr) return avail > limit ? LineStatus::TooBig : LineStatus::Incomplete;
  cr = static_cast<size_t>(static_cast<const char*>(hit) - in.data());
  return cr + 1 < in.size() ? LineStatus::Found : LineStatus::Incomplete;
}

/// Fast path for the common "$123\r" / "*3\r" header: plain positive digits ending in '\r'
/// with a byte after it. Returns false whenever the general path must decide.
/// Inlined into both parse paths: it runs for every header of every command.
[[gnu::always_inline]] inline bool fast_length(const char* p, size_t avail, size_t limit, unsigned long long& v,
                                               size_t& cr) {
  if (avail < 4 || p[1] < '1' || p[1] > '9') return false;
  v = static_cast<unsigned long long>(p[1] - '0');
  size_t i = 2;
  const size_t max_i = std::min<size_t>(avail - 1, 20);
  for (; i < max_i; ++i) {
    const unsigned digit = static_cast<unsigned>(static_cast<unsigned char>(p[i])) - '0';
    if (digit > 9) break;
    v = v * 10 + digit;
  }
  if (i >= max_i || p[i] != '\r' || i > limit || v > static_cast<unsigned long long>(LLONG_MAX)) return false;
  cr = i;
  return true;
}

/// The whole of a well-formed multibulk command already in `in`, in one pass: "*N\r\n" and N
/// "$len\r\n<len bytes>\r\n" with headers fast_length accepts and within the limits, its
/// arguments appended to `args`. Returns false (leaving some appended) whenever anything else
/// is seen or bytes are missing,
/// so the general, resumable path decides exactly as before; when it returns true the result
/// (args, consumed) is what the general path produces for the same input.
bool fast_multibulk(std::string_view in, const ParserLimits& lim, std::vector<std::string_view>& args,
                    size_t& consumed) {
  const char* base = in.data();
  const size_t n = in.size();
  unsigned long long count = 0, len = 0;
  size_t cr = 0;
  if (!fast_length(base, n, lim.max_inline_len, count, cr) || count > lim.max_args) return false;
  if (lim.unauth_max_args > 0 && count > lim.unauth_max_args) return false;  // the general path errors
  size_t pos = cr + 2;
  if (args.empty()) args.reserve(static_cast<size_t>(std::min<unsigned long long>(count, 1024)));
  for (unsigned long long i = 0; i < count; ++i) {
    if (pos >= n || base[pos] != '$') return false;
    if (!fast_length(base + pos, n - pos, lim.max_inline_len, len, cr) || len > lim.max_bulk_len) return false;
    if (lim.unauth_max_bulk_len > 0 && len > lim.unauth_max_bulk_len) return false;
    pos += cr + 2;  // fast_length leaves a byte after '\r', so pos <= n
    if (n - pos < len + 2) return false;
    args.emplace_back(base + pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len) + 2;  // like Redis, the two bytes after the bulk are not inspected
  }
  consumed = pos;
  return true;
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::clear_progress() {
  expected_args_ = -1;
  pos_ = 0;
  bulk_len_ = -1;
  inline_scanned_ = 0;
  offsets_.clear();
}

void RequestParser::reset() {
  clear_progress();
  args_.clear();
  consumed_ = 0;
  needed_ = 0;
}

ParseStatus RequestParser::fail(std::string msg) {
  error_ = std::move(msg);
  reset();
  return ParseStatus::Error;
}

ParseStatus RequestParser::parse(std::string_view input) {
  consumed_ = 0;
  needed_ = 0;
  // Progress from an earlier call is only valid for input at least as long as what was seen.
  if (pos_ > input.size() || inline_scanned_ > input.size()) clear_progress();
  size_t skipped = 0;
  for (;;) {
    const ParseStatus st = parse_one(input.substr(skipped));
    if (st == ParseStatus::Error) return st;
    if (st == ParseStatus::Incomplete) {
      if (skipped > 0) {
        // Progress offsets are relative to the command start; the caller may or may not drop
        // the skipped bytes, so start this command afresh next time.
        clear_progress();
        if (needed_ != 0) needed_ += skipped;
      }
      consumed_ = skipped;
      return st;
    }
    if (!args_.empty()) {
      consumed_ += skipped;
      return st;
    }
    skipped += consumed_;  // an empty command: skip it, as Redis's resetClient() does
  }
}

ParseStatus RequestParser::parse_one(std::string_view input) {
  consumed_ = 0;
  if (expected_args_ >= 0) return parse_multibulk(input);
  if (input.empty()) return ParseStatus::Incomplete;
  return input[0] == '*' ? parse_multibulk(input) : parse_inline(input);
}

void RequestParser::save_progress(std::string_view input, size_t pos) {
  offsets_.clear();
  for (const auto& a : args_) offsets_.emplace_back(static_cast<size_t>(a.data() - input.data()), a.size());
  pos_ = pos;
}

ParseStatus RequestParser::read_count(std::string_view input, size_t& pos) {
  const char* base = input.data();
  unsigned long long fast = 0;
  size_t cr = 0;
  long long count = 0;
  if (fast_length(base, input.size(), limits_.max_inline_len, fast, cr)) {
    count = static_cast<long long>(fast);
  } else {
    const LineStatus ls = find_line(input, 0, limits_.max_inline_len, cr);
    if (ls == LineStatus::TooBig) return fail("Protocol error: too big mbulk count string");
    if (ls == LineStatus::Incomplete) return ParseStatus::Incomplete;
    if (!base::string2ll(base + 1, cr - 1, count)) return fail("Protocol error: invalid multibulk length");
  }
  if (count > 0 && static_cast<unsigned long long>(count) > limits_.max_args)
    return fail("Protocol error: invalid multibulk length");
  if (limits_.unauth_max_args > 0 && count > 0 && static_cast<unsigned long long>(count) > limits_.unauth_max_args)
    return fail("Protocol error: unauthenticated multibulk length");
  pos = cr + 2;
  if (count <= 0) return ParseStatus::Complete;  // "*0" and negative counts: no command
  expected_args_ = count;
  bulk_len_ = -1;
  if (args_.capacity() < static_cast<size_t>(count))
    args_.reserve(static_cast<size_t>(std::min<long long>(count, 1024)));  // as Redis: grow on demand
  return ParseStatus::Complete;
}

ParseStatus RequestParser::parse_multibulk(std::string_view input) {
  if (expected_args_ < 0) {  // a fresh command: most arrive whole, in the common shape
    size_t used = 0;
    args_.clear();
    if (fast_multibulk(input, limits_, args_, used)) {
      clear_progress();
      consumed_ = used;
      return ParseStatus::Complete;
    }
  }
  const char* base = input.data();
  size_t pos = 0;
  args_.clear();
  if (expected_args_ < 0) {
    const ParseStatus st = read_count(input, pos);
    if (st != ParseStatus::Complete) return st;
    if (expected_args_ < 0) {  // an empty command, skipped by parse()
      consumed_ = pos;
      return st;
    }
  } else {
    for (const auto& [off, len] : offsets_) args_.emplace_back(base + off, len);
    pos = pos_;
  }
  const auto expected = static_cast<size_t>(expected_args_);
  const size_t n = input.size();
  long long bulk = bulk_len_;
  while (args_.size() < expected) {
    if (bulk < 0) {
      const char* p = base + pos;
      unsigned long long v = 0;
      size_t cr = 0;
      if (pos < n && p[0] == '$' && fast_length(p, n - pos, limits_.max_inline_len, v, cr) &&
          v <= limits_.max_bulk_len && (limits_.unauth_max_bulk_len == 0 || v <= limits_.unauth_max_bulk_len)) {
        bulk = static_cast<long long>(v);
        pos += cr + 2;
      } else {
        const ParseStatus st = read_bulk_header(input, pos);
        if (st != ParseStatus::Complete) return st;
        bulk = bulk_len_;
      }
    }
    const size_t need = static_cast<size_t>(bulk) + 2;
    if (n - pos < need) {
      bulk_len_ = bulk;
      needed_ = pos + need;
      save_progress(input, pos);
      return ParseStatus::Incomplete;
    }
    args_.emplace_back(base + pos, static_cast<size_t>(bulk));
    pos += need;  // like Redis, the two bytes after the bulk are not inspected
    bulk = -1;
  }
  clear_progress();
  consumed_ = pos;
  return ParseStatus::Complete;
}

ParseStatus RequestParser::read_bulk_header(std::string_view input, size_t& pos) {
  bulk_len_ = -1;
  size_t cr = 0;
  const LineStatus ls = pos < input.size() ? find_line(input, pos, limits_.max_inline_len, cr) : LineStatus::Incomplete;
  if (ls == LineStatus::TooBig) return fail("Protocol error: too big bulk count string");
  if (ls == LineStatus::Incomplete) {
    save_progress(input, pos);
    return ParseStatus::Incomplete;
  }
  const char* p = input.data() + pos;
  if (p[0] != '$') {
    const char got = (p[0] == '\r' || p[0] == '\n') ? ' ' : p[0];
    return fail(std::string("Protocol error: expected '$', got '") + got + "'");
  }
  long long len = 0;
  const size_t digits = cr - pos - 1;
  if (!base::string2ll(p + 1, digits, len) || len < 0 || static_cast<unsigned long long>(len) > limits_.max_bulk_len)
    return fail("Protocol error: invalid bulk length");
  if (limits_.unauth_max_bulk_len > 0 && static_cast<unsigned long long>(len) > limits_.unauth_max_bulk_len)
    return fail("Protocol error: unauthenticated bulk length");
  bulk_len_ = len;
  pos = cr + 2;
  return ParseStatus::Complete;
}

ParseStatus RequestParser::parse_inline(std::string_view input) {
  const size_t window = std::min(input.size(), limits_.max_inline_len + 1);
  const size_t from = std::min(inline_scanned_, window);
  const void* hit = std::memchr(input.data() + from, '\n', window - from);
  if (hit == nullptr) {
    if (input.size() > limits_.max_inline_len) return fail("Protocol error: too big inline request");
    inline_scanned_ = window;
    return ParseStatus::Incomplete;
  }
  inline_scanned_ = 0;
  const size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - input.data());
  std::string_view line = input.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // sdssplitargs sees a C string: anything after a NUL byte is ignored.
  if (const void* nul = std::memchr(line.data(), '\0', line.size()); nul != nullptr)
    line = line.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - line.data()));
  if (!split_inline(line)) return fail("Protocol error: unbalanced quotes in request");
  consumed_ = nl + 1;
  return ParseStatus::Complete;
}

bool RequestParser::split_inline(std::string_view line) {
  args_.clear();
  const char* s = line.data();
  const size_t len = line.size();
  // Unescaped tokens never outgrow the line, so views into scratch_ stay valid while we write.
  if (scratch_.size() < len) scratch_.resize(len);
  char* w = scratch_.data();
  size_t i = 0;
  for (;;) {
    while (i < len && base::is_c_space(s[i])) ++i;
    if (i == len) return true;
    const size_t start = i;
    while (i < len && s[i] != ' ' && s[i] != '\r' && s[i] != '\t' && s[i] != '"' && s[i] != '\'') ++i;
    if (i == len || (s[i] != '"' && s[i] != '\'')) {
      args_.emplace_back(s + start, i - start);  // plain token: a view into the input
      continue;
    }
    char* tok = w;
    std::memcpy(w, s + start, i - start);
    w += i - start;
    if (!base::split_args_token(s, len, i, [&w](char c) { *w++ = c; })) return false;
    args_.emplace_back(tok, static_cast<size_t>(w - tok));
  }
}

size_t RequestParser::parse_batch(std::string_view input, std::vector<std::string_view>& args,
                                  std::span<BatchedRequest> out) const {
  args.clear();
  if (expected_args_ >= 0 || inline_scanned_ != 0) return 0;  // a command is partly parsed
  size_t pos = 0, n = 0;
  while (n < out.size() && pos < input.size() && input[pos] == '*') {
    const size_t first = args.size();
    size_t used = 0;
    if (!fast_multibulk(input.substr(pos), limits_, args, used)) {
      args.resize(first);
      break;
    }
    pos += used;
    out[n++] = BatchedRequest{first, args.size() - first, pos};
  }
  return n;
}

}  // namespace shardcache::protocol
