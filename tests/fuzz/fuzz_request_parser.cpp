// tests/fuzz/fuzz_request_parser.cpp: libFuzzer target for protocol::RequestParser. Parses the
// input in one go, then again split into two chunks (at two data-derived points, with and
// without dropping skipped bytes, with the buffer moved between reads) and aborts if any run
// disagrees with the one-shot parse or breaks an invariant. Also checks the look-ahead
// (parse_batch) against what the parser makes of the same requests.
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

// Small limits, so the fuzzer reaches them.
const ParserLimits kLimits{.max_bulk_len = 4096, .max_inline_len = 256, .max_args = 64};

Outcome run(std::string_view input, size_t cut, bool drop_skipped) {
  RequestParser p(kLimits);
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
  // The batch parser stops at anything unusual, so each request it parses is the parser's
  // command at the same place ("*0" gives an empty request, which parse() skips).
  shardcache::protocol::RequestParser batcher(kLimits);
  std::vector<std::string_view> args;
  shardcache::protocol::RequestParser::BatchedRequest batch[16];
  const size_t n = batcher.parse_batch(in, args, batch);
  if (n > std::size(batch)) die("parse_batch beyond its output");
  size_t prev_end = 0, cmd = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& r = batch[i];
    if (r.end <= prev_end || r.end > size || r.first_arg + r.argc > args.size()) die("parse_batch request out of place");
    for (size_t a = r.first_arg; a < r.first_arg + r.argc; ++a)
      if (args[a].data() < in.data() + prev_end || args[a].data() + args[a].size() > in.data() + r.end)
        die("parse_batch argument outside its request");
    prev_end = r.end;
    if (r.argc == 0) continue;
    if (cmd >= whole.commands.size()) die("parse_batch parsed a request the parser did not");
    const auto& want = whole.commands[cmd++];
    if (want.size() != r.argc) die("parse_batch disagrees with the parser (argument count)");
    for (size_t a = 0; a < r.argc; ++a)
      if (args[r.first_arg + a] != std::string_view(want[a])) die("parse_batch disagrees with the parser");
  }
  return 0;
}
