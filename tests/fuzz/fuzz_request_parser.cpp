// tests/fuzz/fuzz_request_parser.cpp: libFuzzer target for protocol::RequestParser. Parses the
// input in one go, then again split into two chunks (at two data-derived points, with and
// without dropping skipped bytes, with the buffer moved between reads) and aborts if any run
// disagrees with the one-shot parse or breaks an invariant. Also checks the look-ahead
// (peek_second_args) against what the parser makes of the same requests.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"

using shardcache::protocol::ParseStatus;
using shardcache::protocol::ParserLimits;
using shardcache::protocol::RequestParser;

namespace {

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool failed = false;
  std::string error;
  size_t leftover = 0;
  bool operator==(const Outcome&) const = default;
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_request_parser: %s\n", what);
  std::abort();
}

/// Parses every command in buf (a moved copy of it), keeping what is not consumed.
/// Returns false once the parser reports an error.
bool drain(RequestParser& p, std::string& buf, Outcome& out, bool drop_skipped) {
  for (int guard = 0;; ++guard) {
    if (guard > 1000000) die("parser does not make progress");
    const std::string moved = "##" + buf;
    const std::string_view in = std::string_view(moved).substr(2);
    const ParseStatus st = p.parse(in);
    if (p.consumed() > in.size()) die("consumed() beyond the input");
    if (st == ParseStatus::Error) {
      if (p.error().empty()) die("error without a message");
      out.failed = true;
      out.error = p.error();
      return false;
    }
    if (st == ParseStatus::Incomplete) {
      if (p.bytes_needed() != 0 && p.bytes_needed() <= in.size()) die("bytes_needed() already satisfied");
      if (drop_skipped) buf.erase(0, p.consumed());
      out.leftover = buf.size() - (drop_skipped ? 0 : p.consumed());  // skipped bytes don't count
      return true;
    }
    if (p.args().empty() || p.consumed() == 0) die("Complete without a command");
    out.commands.emplace_back(p.args().begin(), p.args().end());
    buf.erase(0, p.consumed());
  }
}

Outcome run(std::string_view input, size_t cut, bool drop_skipped) {
  const ParserLimits limits{.max_bulk_len = 4096, .max_inline_len = 256, .max_args = 64};
  RequestParser p(limits);
  Outcome out;
  std::string buf(input.substr(0, cut));
  if (!drain(p, buf, out, drop_skipped)) {
    out.leftover = 0;
    return out;
  }
  buf.append(input.substr(cut));
  if (!drain(p, buf, out, drop_skipped)) out.leftover = 0;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Outcome whole = run(in, size, true);
  const size_t cuts[] = {size / 2, size ? (data[size - 1] * 131u + size) % (size + 1) : 0};
  for (size_t cut : cuts) {
    if (!(run(in, cut, true) == whole)) die("split parse differs from the one-shot parse");
    if (!(run(in, cut, false) == whole)) die("split parse (keeping skipped bytes) differs");
  }
  // The look-ahead stops at anything unusual, so each request it reports is the parser's
  // command at the same place (as far as the parser, with its limits, got).
  std::string_view ahead[16];
  const size_t n = shardcache::protocol::peek_second_args(in, ahead);
  if (n > std::size(ahead)) die("peek_second_args beyond its output");
  for (size_t i = 0; i < n; ++i) {
    if (!ahead[i].empty() && (ahead[i].data() < in.data() || ahead[i].data() + ahead[i].size() > in.data() + in.size()))
      die("peek_second_args points outside the input");
    if (i < whole.commands.size()) {
      const auto& cmd = whole.commands[i];
      if (ahead[i] != (cmd.size() >= 2 ? std::string_view(cmd[1]) : std::string_view()))
        die("peek_second_args disagrees with the parser");
    }
  }
  return 0;
}
