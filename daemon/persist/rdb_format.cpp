// daemon/persist/rdb_format.cpp: the RDB v10 encoder and item decoder (see rdb_format.h). The
// decoder follows Redis 7.0's rdbLoadRio / rdbLoadObject field by field; every read goes through
// RdbCursor, which checks it against the end of the data, so a truncated or corrupt file is an
// RdbError naming the offset. Loops over counts read from the file consume at least one byte an
// iteration, and nothing is allocated by a count: only a decoded LZF string, after its compressed
// bytes are known to be present.
#include "daemon/persist/rdb_format.h"

#include <lzf.h>

#include "base/numbers.h"

#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>

namespace shardcache::persist {

// RDB types of keys that are walked over (Redis's rdb.h).
namespace {
constexpr uint8_t kTypeList = 1, kTypeSet = 2, kTypeZset = 3, kTypeHash = 4, kTypeZset2 = 5, kTypeModule = 6,
                  kTypeModule2 = 7, kTypeListQuicklist = 14, kTypeStream = 15, kTypeListQuicklist2 = 18,
                  kTypeStream2 = 19;
constexpr uint8_t kOpFunction = 246;  // 7.0 release candidates only
constexpr uint8_t kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3;
// One LZF back reference (3 bytes) expands to at most 264 bytes.
constexpr uint64_t kMaxLzfRatio = 88;
constexpr uint64_t kModuleOpEof = 0, kModuleOpSint = 1, kModuleOpUint = 2, kModuleOpFloat = 3,
                   kModuleOpDouble = 4, kModuleOpString = 5;

// rdbTryIntegerEncoding's test: the canonical decimal form of an integer (Redis's string2ll:
// "0", "-12", no '+', no leading zeros, not "-0") that fits 32 bits signed.
bool int32_form(std::string_view s, int32_t& v) {
  long long n = 0;
  if (s.size() > 11 || !base::string2ll(s.data(), s.size(), n) || n < INT32_MIN || n > INT32_MAX) return false;
  v = static_cast<int32_t>(n);
  return true;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace

// ---- encoder ----

void RdbEncoder::header(std::string& out) { out.append("REDIS0010"); }

void RdbEncoder::length(std::string& out, uint64_t n) {
  if (n < (1u << 6)) {
    out.push_back(static_cast<char>(n));
  } else if (n < (1u << 14)) {
    out.push_back(static_cast<char>(0x40 | (n >> 8)));
    out.push_back(static_cast<char>(n & 0xff));
  } else if (n <= UINT32_MAX) {
    out.push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  } else {
    out.push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
}

void RdbEncoder::string(std::string& out, std::string_view s) {
  int32_t v;
  if (int32_form(s, v)) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out.push_back(static_cast<char>(0xC0 | kEncInt8));
      put_le(out, static_cast<uint32_t>(v), 1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out.push_back(static_cast<char>(0xC0 | kEncInt16));
      put_le(out, static_cast<uint32_t>(v), 2);
    } else {
      out.push_back(static_cast<char>(0xC0 | kEncInt32));
      put_le(out, static_cast<uint32_t>(v), 4);
    }
    return;
  }
  // rdbSaveLzfStringObject: worth it only if it saves at least four bytes.
  if (compress_ && s.size() > 20 && s.size() <= UINT_MAX) {
    size_t outlen = s.size() - 4;
    if (scratch_.size() < outlen + 1) scratch_.resize(outlen + 1);
    unsigned n = lzf_compress(s.data(), static_cast<unsigned>(s.size()), scratch_.data(), static_cast<unsigned>(outlen));
    if (n > 0) {
      out.push_back(static_cast<char>(0xC0 | kEncLzf));
      length(out, n);
      length(out, s.size());
      out.append(scratch_.data(), n);
      return;
    }
  }
  length(out, s.size());
  out.append(s);
}

void RdbEncoder::aux(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(static_cast<char>(kOpAux));
  string(out, key);
  string(out, value);
}

void RdbEncoder::select_db(std::string& out, uint64_t db) {
  out.push_back(static_cast<char>(kOpSelectDb));
  length(out, db);
}

void RdbEncoder::resize_db(std::string& out, uint64_t keys, uint64_t expires) {
  out.push_back(static_cast<char>(kOpResizeDb));
  length(out, keys);
  length(out, expires);
}

void RdbEncoder::string_key(std::string& out, std::string_view key, std::string_view value, int64_t expire_ms) {
  if (expire_ms != 0) {
    out.push_back(static_cast<char>(kOpExpireMs));
    put_le(out, static_cast<uint64_t>(expire_ms), 8);
  }
  out.push_back(static_cast<char>(kTypeString));
  string(out, key);
  string(out, value);
}

void RdbEncoder::tags(std::string& out, std::string_view key, std::span<const std::string> tags) {
  tags_buf_.clear();
  string(tags_buf_, key);
  length(tags_buf_, tags.size());
  for (const std::string& t : tags) string(tags_buf_, t);
  aux(out, kTagsAux, tags_buf_);
}

void RdbEncoder::eof(std::string& out) { out.push_back(static_cast<char>(kOpEof)); }

// ---- bounds-checked reading ----

class RdbCursor {
 public:
  RdbCursor(std::string_view data, size_t pos, RdbError& err) : d_(data), pos_(pos), err_(err) {}
  size_t pos() const { return pos_; }
  size_t left() const { return d_.size() - pos_; }

  bool fail(size_t at, std::string what) {
    err_.offset = at;
    err_.what = std::move(what);
    return false;
  }
  bool need(uint64_t n, const char* what) {
    if (pos_ > d_.size() || left() < n) return fail(pos_, std::string("unexpected end of file reading ") + what);
    return true;
  }
  bool skip(uint64_t n, const char* what) {
    if (!need(n, what)) return false;
    pos_ += n;
    return true;
  }
  bool byte(uint8_t& b, const char* what) {
    if (!need(1, what)) return false;
    b = static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool le(uint64_t& v, int bytes, const char* what) {
    if (!need(bytes, what)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(d_[pos_ + i])} << (8 * i);
    pos_ += bytes;
    return true;
  }
  bool length(uint64_t& n, bool* encoded, const char* what);
  bool len(uint64_t& n, const char* what) { return length(n, nullptr, what); }
  /// An RDB string. `out` null: walk over it (an LZF string is not decompressed); `declared`,
  /// if given, gets the string's length (an LZF string's declared length).
  bool string(std::string_view* out, std::string* buf, const char* what, uint64_t* declared = nullptr);
  bool skip_string(const char* what, uint64_t* declared = nullptr) { return string(nullptr, nullptr, what, declared); }

 private:
  bool lzf(std::string_view* out, std::string* buf, size_t at, const char* what, uint64_t* declared);

  std::string_view d_;
  size_t pos_;
  RdbError& err_;
};

bool RdbCursor::length(uint64_t& n, bool* encoded, const char* what) {
  size_t at = pos_;
  uint8_t b;
  if (!byte(b, what)) return false;
  if (encoded) *encoded = false;
  switch (b >> 6) {
    case 0: n = b & 0x3f; return true;
    case 1: {
      uint8_t b2;
      if (!byte(b2, what)) return false;
      n = (uint64_t{b & 0x3fu} << 8) | b2;
      return true;
    }
    case 3:
      if (!encoded) return fail(at, std::string("string encoding where a length was expected, reading ") + what);
      *encoded = true;
      n = b & 0x3f;
      return true;
    default: break;
  }
  int bytes = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
  if (bytes == 0) return fail(at, "unknown length encoding " + std::to_string(b) + " reading " + what);
  if (!need(bytes, what)) return false;
  n = 0;
  for (int i = 0; i < bytes; ++i) n = (n << 8) | static_cast<uint8_t>(d_[pos_ + i]);
  pos_ += bytes;
  return true;
}

bool RdbCursor::string(std::string_view* out, std::string* buf, const char* what, uint64_t* declared) {
  size_t at = pos_;
  uint64_t n;
  bool enc;
  if (!length(n, &enc, what)) return false;
  if (!enc) {
    if (!need(n, what)) return false;
    if (out) *out = d_.substr(pos_, n);
    if (declared) *declared = n;
    pos_ += n;
    return true;
  }
  if (n == kEncLzf) return lzf(out, buf, at, what, declared);
  if (n > kEncInt32) return fail(at, "unknown string encoding " + std::to_string(n) + " reading " + what);
  int bytes = n == kEncInt8 ? 1 : n == kEncInt16 ? 2 : 4;
  uint64_t raw;
  if (!le(raw, bytes, what)) return false;
  int64_t v = bytes == 1 ? int64_t{static_cast<int8_t>(raw)}
              : bytes == 2 ? int64_t{static_cast<int16_t>(raw)} : int64_t{static_cast<int32_t>(raw)};
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  if (declared) *declared = static_cast<uint64_t>(r.ptr - tmp);
  if (out) {
    buf->assign(tmp, r.ptr);
    *out = *buf;
  }
  return true;
}

bool RdbCursor::lzf(std::string_view* out, std::string* buf, size_t at, const char* what, uint64_t* declared) {
  uint64_t clen, ulen;
  if (!len(clen, what) || !len(ulen, what)) return false;
  if (!need(clen, what)) return false;
  if (ulen > kMaxLzfLength)
    return fail(at, "LZF string of " + std::to_string(ulen) + " bytes is longer than the limit (" +
                        std::to_string(kMaxLzfLength) + "), reading " + std::string(what));
  if (ulen > clen * kMaxLzfRatio || clen > UINT_MAX)
    return fail(at, std::string("invalid LZF compressed string, reading ") + what);
  if (declared) *declared = ulen;
  if (out) {
    buf->resize(ulen);
    unsigned got = lzf_decompress(d_.data() + pos_, static_cast<unsigned>(clen), buf->data(), static_cast<unsigned>(ulen));
    if (got != ulen) return fail(at, std::string("invalid LZF compressed string, reading ") + what);
    *out = *buf;
  }
  pos_ += clen;
  return true;
}

// ---- walking over values that are not decoded ----

namespace {

// N strings (lists, sets, quicklist v1 ziplists).
bool skip_strings(RdbCursor& c, uint64_t per_item, const char* what) {
  uint64_t n;
  if (!c.len(n, what)) return false;
  for (uint64_t i = 0; i < n; ++i)
    for (uint64_t j = 0; j < per_item; ++j)
      if (!c.skip_string(what)) return false;
  return true;
}

// rdbLoadDoubleValue: a length byte (253 NaN, 254 +inf, 255 -inf) then that many ASCII bytes.
bool skip_old_double(RdbCursor& c) {
  uint8_t n;
  if (!c.byte(n, "a zset score")) return false;
  return n >= 253 || c.skip(n, "a zset score");
}

// rdbLoadCheckModuleValue: module opcodes until RDB_MODULE_OPCODE_EOF.
bool skip_module_value(RdbCursor& c) {
  for (;;) {
    size_t at = c.pos();
    uint64_t op, v;
    if (!c.len(op, "a module opcode")) return false;
    switch (op) {
      case kModuleOpEof: return true;
      case kModuleOpSint:
      case kModuleOpUint:
        if (!c.len(v, "a module integer")) return false;
        break;
      case kModuleOpFloat:
        if (!c.skip(4, "a module float")) return false;
        break;
      case kModuleOpDouble:
        if (!c.skip(8, "a module double")) return false;
        break;
      case kModuleOpString:
        if (!c.skip_string("a module string")) return false;
        break;
      default: return c.fail(at, "unknown module opcode " + std::to_string(op));
    }
  }
}

// Quicklist v2: N × (container: 1 plain or 2 packed, then the node as a string).
bool skip_quicklist2(RdbCursor& c) {
  uint64_t n;
  if (!c.len(n, "a quicklist length")) return false;
  for (uint64_t i = 0; i < n; ++i) {
    size_t at = c.pos();
    uint64_t container;
    if (!c.len(container, "a quicklist container")) return false;
    if (container != 1 && container != 2) return c.fail(at, "Quicklist integrity check failed.");
    if (!c.skip_string("a quicklist node")) return false;
  }
  return true;
}

bool skip_lens(RdbCursor& c, int n, const char* what) {
  uint64_t v;
  for (int i = 0; i < n; ++i)
    if (!c.len(v, what)) return false;
  return true;
}

// A stream's consumer groups (rdbLoadObject): name, last id, [v2: entries read], the group's
// PEL (raw 16-byte id, 8-byte delivery time, delivery count), its consumers (name, 8-byte seen
// time, their PEL ids).
bool skip_stream_groups(RdbCursor& c, bool v2) {
  uint64_t groups;
  if (!c.len(groups, "a stream's group count")) return false;
  for (uint64_t g = 0; g < groups; ++g) {
    uint64_t pel, consumers, count;
    if (!c.skip_string("a consumer group name") || !skip_lens(c, v2 ? 3 : 2, "a consumer group id")) return false;
    if (!c.len(pel, "a stream PEL size")) return false;
    for (uint64_t i = 0; i < pel; ++i)
      if (!c.skip(16 + 8, "a stream PEL entry") || !c.len(count, "a stream PEL delivery count")) return false;
    if (!c.len(consumers, "a stream consumer count")) return false;
    for (uint64_t i = 0; i < consumers; ++i) {
      if (!c.skip_string("a stream consumer name") || !c.skip(8, "a stream consumer seen time")) return false;
      if (!c.len(pel, "a stream consumer PEL size")) return false;
      for (uint64_t j = 0; j < pel; ++j)
        if (!c.skip(16, "a stream consumer PEL id")) return false;
    }
  }
  return true;
}

// RDB_TYPE_STREAM_LISTPACKS(_2): listpacks (16-byte master id + listpack), length, last id,
// [v2: first id, max deleted id, entries added], consumer groups.
bool skip_stream(RdbCursor& c, bool v2) {
  uint64_t listpacks;
  if (!c.len(listpacks, "a stream's listpack count")) return false;
  for (uint64_t i = 0; i < listpacks; ++i) {
    size_t at = c.pos();
    uint64_t idlen;
    if (!c.skip_string("a stream master id", &idlen)) return false;
    if (idlen != 16) return c.fail(at, "Stream node key entry is not the size of a stream ID");
    if (!c.skip_string("a stream listpack")) return false;
  }
  if (!skip_lens(c, v2 ? 8 : 3, "a stream's length and ids")) return false;
  return skip_stream_groups(c, v2);
}

bool skip_value(RdbCursor& c, uint8_t type, size_t at) {
  switch (type) {
    case kTypeList:
    case kTypeSet:
    case kTypeListQuicklist: return skip_strings(c, 1, "a collection element");
    case kTypeHash: return skip_strings(c, 2, "a hash field");
    case kTypeZset:
    case kTypeZset2: {
      uint64_t n;
      if (!c.len(n, "a zset length")) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!c.skip_string("a zset member")) return false;
        if (type == kTypeZset ? !skip_old_double(c) : !c.skip(8, "a zset score")) return false;
      }
      return true;
    }
    case kTypeModule: return c.fail(at, "module type 6 cannot be skipped");
    case kTypeModule2: {
      uint64_t id;
      return c.len(id, "a module id") && skip_module_value(c);
    }
    case 9: case 10: case 11: case 12: case 13: case 16: case 17:
      return c.skip_string("an encoded value");
    case kTypeStream:
    case kTypeStream2: return skip_stream(c, type == kTypeStream2);
    case kTypeListQuicklist2: return skip_quicklist2(c);
    default: return c.fail(at, "unknown RDB type " + std::to_string(type));
  }
}

}  // namespace

// ---- the decoder ----

bool RdbDecoder::header(RdbError& err) {
  RdbCursor c(data_, 0, err);
  if (!c.need(9, "the header")) return false;
  if (data_.substr(0, 5) != "REDIS") return c.fail(0, "not an RDB file (no REDIS signature)");
  int v = 0;
  for (size_t i = 5; i < 9; ++i) {
    if (data_[i] < '0' || data_[i] > '9') return c.fail(5, "bad RDB version \"" + std::string(data_.substr(5, 4)) + "\"");
    v = v * 10 + (data_[i] - '0');
  }
  if (v < 1) return c.fail(5, "unsupported RDB version " + std::to_string(v));
  if (v > kRdbVersion)
    return c.fail(5, "RDB version " + std::to_string(v) + " is newer than this server supports (" +
                         std::to_string(kRdbVersion) + ")");
  version_ = v;
  pos_ = 9;
  done_ = false;
  return true;
}

bool RdbDecoder::next(RdbItem& item, RdbError& err, bool decode) {
  item = RdbItem{};
  item.offset = done_ ? end_offset_ : pos_;
  if (done_) {  // End again
    item.type = kOpEof;
    return true;
  }
  RdbCursor c(data_, pos_, err);
  bool prefixed = false;  // an expiry, IDLE or FREQ was read: a key must follow
  for (;;) {
    size_t at = c.pos();
    uint8_t op;
    uint64_t v;
    if (!c.byte(op, "an RDB type or opcode")) return false;
    if (op == kOpExpireMs || op == kOpExpireSec) {
      if (!c.le(v, op == kOpExpireMs ? 8 : 4, "an expiry")) return false;
      item.expire_ms = op == kOpExpireMs ? static_cast<int64_t>(v) : int64_t{static_cast<int32_t>(v)} * 1000;
    } else if (op == kOpIdle) {
      if (!c.len(v, "an IDLE time")) return false;
    } else if (op == kOpFreq) {
      if (!c.skip(1, "a FREQ counter")) return false;
    } else if (op >= kOpFunction2 && prefixed) {
      return c.fail(at, "an expiry, IDLE or FREQ is not followed by a key");
    } else {
      bool ok = op >= kOpFunction2 ? opcode(op, item, c) : key(op, item, c, decode);
      if (!ok) return false;
      pos_ = c.pos();
      return true;
    }
    prefixed = true;
  }
}

bool RdbDecoder::opcode(uint8_t op, RdbItem& item, RdbCursor& c) {
  size_t at = c.pos() - 1;
  item.type = op;
  switch (op) {
    case kOpAux:
      item.kind = RdbItem::Kind::Aux;
      return c.string(&item.key, &key_buf_, "an AUX field name") && c.string(&item.value, &val_buf_, "an AUX value");
    case kOpSelectDb: item.kind = RdbItem::Kind::SelectDb; return c.len(item.db, "a SELECTDB number");
    case kOpResizeDb:
      item.kind = RdbItem::Kind::ResizeDb;
      return c.len(item.keys, "a RESIZEDB key count") && c.len(item.expires, "a RESIZEDB expires count");
    case kOpFunction2: item.kind = RdbItem::Kind::Skipped; return c.skip_string("a function library");
    case kOpModuleAux: {
      item.kind = RdbItem::Kind::Skipped;
      uint64_t id, when_op, when;
      if (!c.len(id, "a module id") || !c.len(when_op, "a module aux when_opcode") || !c.len(when, "a module aux when"))
        return false;
      if (when_op != kModuleOpUint) return c.fail(at, "bad when_opcode in MODULE_AUX");
      return skip_module_value(c);
    }
    case kOpFunction: return c.fail(at, "the pre-release FUNCTION opcode (Redis 7.0 rc1/rc2) is not supported");
    case kOpEof: return end(item, c);
    default: return c.fail(at, "unknown RDB opcode " + std::to_string(op));
  }
}

bool RdbDecoder::key(uint8_t type, RdbItem& item, RdbCursor& c, bool decode) {
  size_t at = c.pos() - 1;
  item.type = type;
  if (!c.string(decode ? &item.key : nullptr, &key_buf_, "a key")) return false;
  if (type == kTypeString) {
    item.kind = RdbItem::Kind::StringKey;
    return c.string(decode ? &item.value : nullptr, &val_buf_, "a string value");
  }
  item.kind = RdbItem::Kind::OtherKey;
  return skip_value(c, type, at);
}

bool RdbDecoder::end(RdbItem& item, RdbCursor& c) {
  item.kind = RdbItem::Kind::End;
  size_t eof_at = c.pos() - 1;
  int version = version_;
  if (version == 0) {  // seek() without header(): read the version from the file
    RdbDecoder probe(data_);
    RdbError ignored;
    version = probe.header(ignored) ? probe.version() : kRdbVersion;
  }
  if (version >= 5) {
    uint64_t stored;
    if (!c.le(stored, 8, "the checksum")) return false;
    if (verify_ && stored != 0) {
      uint64_t computed = crc64(0, data_.data(), eof_at + 1);
      if (computed != stored) {
        char msg[96];
        std::snprintf(msg, sizeof msg, "checksum mismatch (stored %016llx, computed %016llx)",
                      static_cast<unsigned long long>(stored), static_cast<unsigned long long>(computed));
        return c.fail(eof_at + 1, msg);
      }
    }
  }
  done_ = true;
  end_offset_ = eof_at;
  item.offset = eof_at;
  return true;
}

bool parse_tags(std::string_view aux_value, std::string& key, std::vector<std::string>& tags, RdbError& err) {
  RdbCursor c(aux_value, 0, err);
  std::string buf;
  std::string_view s;
  uint64_t n;
  if (!c.string(&s, &buf, "a tagged key")) return false;
  key.assign(s);
  if (!c.len(n, "a tag count")) return false;
  tags.clear();
  for (uint64_t i = 0; i < n; ++i) {
    if (!c.string(&s, &buf, "a tag")) return false;
    tags.emplace_back(s);
  }
  if (c.left() != 0) return c.fail(c.pos(), "bytes after the last tag");
  return true;
}

}  // namespace shardcache::persist
