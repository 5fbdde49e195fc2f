// daemon/persist/rdb_format.h: Redis's RDB file format, version 10 (Redis 7.0), as bytes: the
// encoder shardcache's snapshots are written with, and a decoder for files written by
// shardcached or redis-server. Strings in every encoding Redis writes (raw, int8/16/32, LZF);
// string keys with ms expiry (0xFC) or s expiry (0xFD); AUX, SELECTDB, RESIZEDB, EOF and the
// CRC-64 trailer. Keys of other types (lists, sets, hashes, zsets, streams, modules) and the
// other opcodes (FUNCTION2, MODULE_AUX, IDLE, FREQ) are walked over, not decoded, so a dump of
// a whole Redis server can be loaded for its strings. Depends on std and liblzf only: knows
// nothing of the store, of files or of threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardcache::persist {

inline constexpr int kRdbVersion = 10;
/// The AUX field that carries a string key's tags (SET ... TAGS); written right after the key.
/// Its value: RDB string key, RDB length n, then n RDB strings (the tags). redis-server and
/// redis-check-rdb skip AUX fields they do not know, as the format requires.
inline constexpr std::string_view kTagsAux = "sc-tags";

// RDB value types and opcodes (Redis's rdb.h).
inline constexpr uint8_t kTypeString = 0;
inline constexpr uint8_t kOpFunction2 = 245, kOpModuleAux = 247, kOpIdle = 248, kOpFreq = 249, kOpAux = 250,
                         kOpResizeDb = 251, kOpExpireMs = 252, kOpExpireSec = 253, kOpSelectDb = 254, kOpEof = 255;

/// Redis's CRC-64 (Jones polynomial, reflected input and output, initial 0, no final xor; as
/// Redis's crc64.c): crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca. Feeding a buffer in pieces
/// gives the same result as feeding it whole.
uint64_t crc64(uint64_t crc, const void* data, size_t len);

/// Appends RDB encodings to a byte string. One per writer thread (it keeps a scratch buffer).
class RdbEncoder {
 public:
  /// `compress`: rdbcompression (LZF for strings longer than 20 bytes, when that saves space).
  explicit RdbEncoder(bool compress = true) : compress_(compress) {}

  /// "REDIS0010".
  static void header(std::string& out);
  /// 0xFA, then key and value as RDB strings.
  void aux(std::string& out, std::string_view key, std::string_view value);
  /// 0xFE db.
  static void select_db(std::string& out, uint64_t db);
  /// 0xFB keys expires.
  static void resize_db(std::string& out, uint64_t keys, uint64_t expires);
  /// A string key: [0xFC expire_ms as 8 bytes little-endian, if expire_ms != 0] 0x00 key value.
  void string_key(std::string& out, std::string_view key, std::string_view value, int64_t expire_ms);
  /// The kTagsAux field for `key`.
  void tags(std::string& out, std::string_view key, std::span<const std::string> tags);
  /// 0xFF. The file's last 8 bytes, the CRC-64 of everything before them (little-endian; 0 when
  /// rdbchecksum is off), are the writer's to append.
  static void eof(std::string& out);

  /// An RDB string as Redis writes it: an int8/16/32 encoding for the decimal form of an integer
  /// that fits 32 bits (no sign '+', no leading zeros, "-0" excluded), LZF when compressing and
  /// longer than 20 bytes and the compressed form is shorter, else length + bytes.
  void string(std::string& out, std::string_view s);
  /// An RDB length (6, 14, 32 or 64 bits).
  static void length(std::string& out, uint64_t n);

 private:
  bool compress_;
  std::string scratch_;   // LZF output
  std::string tags_buf_;  // the kTagsAux value being built
};

/// The largest uncompressed length an LZF string may declare (Redis's proto-max-bulk-len
/// default); a longer one is refused before anything is allocated.
inline constexpr uint64_t kMaxLzfLength = 512ULL * 1024 * 1024;


/// Where and why a file could not be read.
struct RdbError {
  size_t offset = 0;  ///< byte offset of the item (or field) that is wrong
  std::string what;   ///< e.g. "unexpected end of file", "unknown RDB type 99", "checksum mismatch"
};

/// Splits a kTagsAux value (RdbEncoder::tags) into the key and its tags. False with `err` set
/// (offset within `aux_value`) when it is malformed or has bytes after the last tag.
bool parse_tags(std::string_view aux_value, std::string& key, std::vector<std::string>& tags, RdbError& err);

class RdbCursor;  // the decoder's bounds-checked reader (rdb_format.cpp)

/// One item of an RDB file, as RdbDecoder::next returns it.
struct RdbItem {
  enum class Kind : uint8_t {
    StringKey,  ///< a string key: key, value, expire_ms
    OtherKey,   ///< a key of another type, walked over: key, type, expire_ms
    Aux,        ///< an AUX field: key = field name, value = its value
    SelectDb,   ///< db = the database number
    ResizeDb,   ///< keys, expires = the hint's counts
    Skipped,    ///< FUNCTION2, MODULE_AUX: walked over (IDLE and FREQ belong to the key they precede)
    End,        ///< 0xFF and the checksum trailer (checked unless verify_checksum was false or it is 0)
  };
  Kind kind = Kind::End;
  uint8_t type = 0;           ///< RDB type of a StringKey / OtherKey, opcode of a Skipped item
  std::string_view key;       ///< valid until the next call to next()
  std::string_view value;     ///< valid until the next call to next()
  int64_t expire_ms = 0;      ///< 0 = none; a seconds expiry (0xFD) is converted to ms
  uint64_t db = 0, keys = 0, expires = 0;
  size_t offset = 0;          ///< where the item began (its expiry or IDLE/FREQ prefix included)
};

/// Reads an RDB file held whole in memory (a mapped file), item by item.
class RdbDecoder {
 public:
  /// `data`: the whole file; it must outlive the decoder.
  explicit RdbDecoder(std::string_view data) : data_(data) {}

  /// Reads "REDIS" and a version from 1 to kRdbVersion (a newer version is an error naming it).
  bool header(RdbError& err);
  /// The version header() read.
  int version() const { return version_; }
  /// The next item. False with `err` set when the file is malformed or truncated (an item may
  /// not run past the end of the data), never reading outside `data`. After End, further calls
  /// return End again. `decode` false walks over a StringKey or OtherKey without decompressing
  /// or materialising it (key and value are then empty; AUX fields are still decoded) — for a
  /// quick pass that only finds item boundaries. An expiry, IDLE or FREQ must be followed by a
  /// key (Redis writes them only there); before any other opcode it is an error.
  bool next(RdbItem& item, RdbError& err, bool decode = true);
  /// Byte offset of the next item.
  size_t offset() const { return pos_; }
  /// Continue from `offset`, which must be where an item begins (one that next() reported, or
  /// offset() after it), e.g. to decode one part of a file found by an earlier pass.
  void seek(size_t offset) {
    pos_ = offset;
    done_ = false;
  }
  /// Whether End checks the trailer against crc64 of the file (default true). A trailer of 0
  /// means "saved without a checksum" and is never checked, as Redis does.
  void set_verify_checksum(bool on) { verify_ = on; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int version_ = 0;
  bool verify_ = true;
  bool done_ = false;      // End was returned
  size_t end_offset_ = 0;  // where the 0xFF was
  std::string key_buf_, val_buf_;  // decoded integer / LZF strings

  bool opcode(uint8_t op, RdbItem& item, RdbCursor& c);
  bool key(uint8_t type, RdbItem& item, RdbCursor& c, bool decode);
  bool end(RdbItem& item, RdbCursor& c);
};

}  // namespace shardcache::persist
