// tests/fuzz/fuzz_reply_reader.cpp: libFuzzer target for protocol::ReplyReader. Reads every
// reply in the input in one go and split into two chunks (must agree), then re-encodes each
// decoded reply with ReplyWriter (RESP3) and reads it back (must give the same reply).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_reader.h"
#include "protocol/reply_writer.h"

using shardcache::protocol::ParseStatus;
using shardcache::protocol::Reply;
using shardcache::protocol::ReplyReader;
using shardcache::protocol::ReplyWriter;
using Type = Reply::Type;

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_reply_reader: %s\n", what);
  std::abort();
}

const ReplyReader::Limits kLimits{.max_bulk_len = 4096, .max_elements = 1024, .max_depth = 16};

/// A canonical rendering: what survives a write/read round trip (line texts lose CR/LF,
/// doubles are shown in the writer's own format).
void render(const Reply& r, std::string& s) {
  s += static_cast<char>('A' + static_cast<int>(r.type));
  std::string text = r.str;
  if (r.type == Type::Simple || r.type == Type::Error)
    for (char& c : text)
      if (c == '\r' || c == '\n') c = ' ';
  if (r.type == Type::Double) text = ReplyWriter::format_double(r.dbl);
  if (r.type == Type::Integer) text = std::to_string(r.integer);
  if (r.type == Type::Boolean) text = r.boolean ? "t" : "f";
  s += std::to_string(text.size()) + ":" + text + r.format + "[" + std::to_string(r.elements.size());
  for (const Reply& e : r.elements) render(e, s);
  s += "]";
}

void encode(ReplyWriter& w, const Reply& r) {
  switch (r.type) {
    case Type::Simple: w.simple(r.str); return;
    case Type::Error: w.error(r.str); return;
    case Type::Integer: w.integer(r.integer); return;
    case Type::Bulk: w.bulk(r.str); return;
    case Type::Null: w.null(); return;
    case Type::Double: w.dbl(r.dbl); return;
    case Type::Boolean: w.boolean(r.boolean); return;
    case Type::Verbatim: w.verbatim(r.str, r.format); return;
    case Type::BigNumber: w.bignum(r.str); return;
    case Type::Array: w.array(r.elements.size()); break;
    case Type::Map: w.map(r.elements.size() / 2); break;
    case Type::Set: w.set(r.elements.size()); break;
    case Type::Push: w.push(r.elements.size()); break;
  }
  for (const Reply& e : r.elements) encode(w, e);
}

struct Outcome {
  std::vector<std::string> replies;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

bool drain(ReplyReader& reader, std::string& buf, Outcome& out, std::vector<Reply>* decoded) {
  Reply r;
  for (;;) {
    const std::string moved = "#" + buf;
    const ParseStatus st = reader.parse(std::string_view(moved).substr(1), r);
    if (st == ParseStatus::Incomplete) return true;
    if (st == ParseStatus::Error) {
      out.error = reader.error().empty() ? "?" : reader.error();
      return false;
    }
    if (reader.consumed() == 0 || reader.consumed() > buf.size()) die("bad consumed()");
    std::string s;
    render(r, s);
    out.replies.push_back(std::move(s));
    if (decoded != nullptr) decoded->push_back(r);
    buf.erase(0, reader.consumed());
  }
}

Outcome run(std::string_view in, size_t cut, std::vector<Reply>* decoded) {
  ReplyReader reader(kLimits);
  Outcome out;
  std::string buf(in.substr(0, cut));
  if (!drain(reader, buf, out, decoded)) return out;
  buf.append(in.substr(cut));
  drain(reader, buf, out, decoded);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<Reply> decoded;
  const Outcome whole = run(in, size, &decoded);
  const size_t cut = size ? (data[0] * 257u + size) % (size + 1) : 0;
  if (!(run(in, cut, nullptr) == whole)) die("split read differs from the one-shot read");
  if (!(run(in, size / 2, nullptr) == whole)) die("split read (half) differs from the one-shot read");
  for (size_t i = 0; i < decoded.size(); ++i) {
    std::string wire;
    ReplyWriter w(wire, 3);
    encode(w, decoded[i]);
    ReplyReader again(kLimits);
    Reply back;
    if (again.parse(wire, back) != ParseStatus::Complete || again.consumed() != wire.size())
      die("a re-encoded reply does not read back");
    std::string s;
    render(back, s);
    if (s != whole.replies[i]) die("round trip changed a reply");
  }
  return 0;
}
