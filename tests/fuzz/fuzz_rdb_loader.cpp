// tests/fuzz/fuzz_rdb_loader.cpp: libFuzzer target for the RDB codec (daemon/persist/rdb_format.h).
// The first input byte picks the set-up: bit 0 prefixes "REDIS0010" (so most inputs get past the
// header), bit 1 turns checksum checking off. The rest is decoded twice, with decode=true and
// decode=false: both walks must report the same item kinds at the same offsets (the full
// decode may stop earlier, at a corrupt LZF string the quick walk does not open), offsets must
// strictly increase and stay inside the input. Then a round trip: a few (key, value, expiry,
// tags) records cut from the input are encoded, decoded and compared exactly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "daemon/persist/rdb_format.h"

using namespace shardcache::persist;
using Kind = RdbItem::Kind;

namespace {

[[noreturn]] void die(const char* what, size_t a = 0, size_t b = 0) {
  std::fprintf(stderr, "fuzz_rdb_loader: %s (%zu, %zu)\n", what, a, b);
  std::abort();
}

struct Walk {
  std::vector<std::pair<Kind, size_t>> items;
  bool ended = false;
  RdbError err;
};

Walk walk(std::string_view in, bool decode, bool verify) {
  Walk w;
  RdbDecoder dec(in);
  dec.set_verify_checksum(verify);
  if (!dec.header(w.err)) return w;
  size_t last = 0;
  // Every item takes at least one byte, so size + 1 calls always reach an End or an error.
  for (size_t i = 0; i <= in.size() + 1; ++i) {
    RdbItem it;
    if (!dec.next(it, w.err, decode)) {
      if (w.err.offset > in.size() || w.err.what.empty()) die("bad error", w.err.offset, in.size());
      return w;
    }
    if (it.offset >= in.size() || (i > 0 && it.offset <= last)) die("offset not increasing inside the input", it.offset, last);
    if (dec.offset() > in.size()) die("decoder ran past the input", dec.offset(), in.size());
    if (!decode && (!it.key.empty() || !it.value.empty()) && it.kind != Kind::Aux) die("decode=false materialised a key");
    last = it.offset;
    w.items.emplace_back(it.kind, it.offset);
    if (it.kind == Kind::End) {
      RdbItem again;
      if (!dec.next(again, w.err, decode) || again.kind != Kind::End) die("End does not repeat");
      w.ended = true;
      return w;
    }
  }
  die("no End or error after size + 1 items", in.size());
}

void check_walks(std::string_view in, bool verify) {
  Walk full = walk(in, true, verify), quick = walk(in, false, verify);
  size_t common = std::min(full.items.size(), quick.items.size());
  for (size_t i = 0; i < common; ++i)
    if (full.items[i] != quick.items[i]) die("walks disagree at item", i, full.items[i].second);
  if (full.ended && (!quick.ended || quick.items.size() != full.items.size())) die("quick walk failed where decode ended");
  if (!quick.ended && full.items.size() > quick.items.size()) die("full decode went past the quick walk's error");
}

// Cuts bytes off the front of the input.
struct Source {
  const uint8_t* p;
  size_t n;
  uint8_t byte() { return n ? (--n, *p++) : 0; }
  std::string bytes(size_t len) {
    len = std::min(len, n);
    std::string s(reinterpret_cast<const char*>(p), len);
    p += len;
    n -= len;
    return s;
  }
};

struct Record {
  std::string key, value;
  int64_t expire = 0;
  std::vector<std::string> tags;
};

void round_trip(Source src, bool compress) {
  std::vector<Record> recs;
  for (int i = 0; i < 4 && src.n; ++i) {
    Record r;
    r.key = src.bytes(src.byte() % 24);
    size_t vlen = src.byte() * 8u + src.byte() % 8;
    r.value = src.bytes(vlen);
    if (src.byte() & 1) r.value += r.value;  // sometimes compressible
    if (src.byte() & 1) std::memcpy(&r.expire, src.bytes(8).append(8, '\0').data(), 8);
    for (int t = src.byte() % 4; t > 0; --t) r.tags.push_back(src.bytes(src.byte() % 12));
    recs.push_back(std::move(r));
  }
  RdbEncoder enc(compress);
  std::string f;
  RdbEncoder::header(f);
  enc.aux(f, "redis-ver", "7.0.15");
  RdbEncoder::select_db(f, 0);
  RdbEncoder::resize_db(f, recs.size(), 0);
  for (const Record& r : recs) {
    enc.string_key(f, r.key, r.value, r.expire);
    if (!r.tags.empty()) enc.tags(f, r.key, r.tags);
  }
  RdbEncoder::eof(f);
  uint64_t crc = crc64(0, f.data(), f.size());
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));

  RdbDecoder dec(f);
  RdbError err;
  RdbItem it;
  if (!dec.header(err)) die("round trip: header");
  for (int i = 0; i < 3; ++i)
    if (!dec.next(it, err)) die("round trip: preamble", i);
  for (const Record& r : recs) {
    if (!dec.next(it, err) || it.kind != Kind::StringKey) die("round trip: no string key", err.offset);
    if (it.key != r.key || it.value != r.value || it.expire_ms != r.expire) die("round trip: key differs");
    if (r.tags.empty()) continue;
    std::string key;
    std::vector<std::string> tags;
    if (!dec.next(it, err) || it.kind != Kind::Aux || it.key != kTagsAux) die("round trip: no tags");
    if (!parse_tags(it.value, key, tags, err) || key != r.key || tags != r.tags) die("round trip: tags differ");
  }
  if (!dec.next(it, err) || it.kind != Kind::End) die("round trip: no End", err.offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  uint8_t mode = data[0];
  std::string in = (mode & 1) ? "REDIS0010" : "";
  in.append(reinterpret_cast<const char*>(data + 1), size - 1);
  check_walks(in, !(mode & 2));
  round_trip(Source{data + 1, size - 1}, !(mode & 4));
  return 0;
}
