// daemon/http/json_sink.h: the ReplySink the REST front end hands to the dispatcher. It writes
// each command's reply as one Upstash envelope entry, {"result": value} or {"error": "..."},
// with values in RESP2 shapes (maps flattened, doubles and verbatim text as strings, booleans
// as 1/0) and, under `Upstash-Encoding: base64`, every string at every depth base64-encoded
// except a top-level simple "OK"; error texts are never encoded. A string that would take the
// JSON past the sink's limit (client-output-buffer-limit), counted as encoded or escaped, is
// written empty and over() is set.
#pragma once
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

#include "daemon/commands/reply_sink.h"

namespace shardcache::http {

class JsonSink final : public commands::ReplySink {
 public:
  /// Writes JSON text into `buf` (the caller clears it). `base64`: Upstash-Encoding: base64.
  JsonSink(rapidjson::StringBuffer& buf, bool base64);

  /// Opens / closes the outer array of a /pipeline or /multi-exec reply.
  void begin_list() { w_.StartArray(); }
  void end_list() { w_.EndArray(); }
  /// Number of complete entries written so far.
  size_t entries() const { return entries_; }
  /// True if the last complete entry was {"error": ...}.
  bool last_was_error() const { return last_error_; }
  /// True between replies (no array is waiting for more elements).
  bool between_replies() const { return open_.empty(); }
  /// JSON size from which strings are written empty (0 = no limit).
  void set_limit(size_t bytes) { limit_ = bytes; }
  /// A string was left out for the limit: the answer must not be sent.
  bool over() const { return over_; }

  void simple(std::string_view s) override;
  void write_error(std::string_view msg) override;
  void integer(long long v) override;
  void bulk(std::string_view s) override;
  void null() override;
  void null_array() override { null(); }
  void array(size_t n) override;
  void map(size_t pairs) override { array(pairs * 2); }   // RESP2: flat key, value, ...
  void set(size_t n) override { array(n); }
  void dbl(double d) override;                               // RESP2: a string
  void boolean(bool b) override { integer(b ? 1 : 0); }      // RESP2: :1 / :0
  void verbatim(std::string_view text) override { bulk(text); }
  int proto() const override { return 2; }

 private:
  /// Starts an entry when no array is open.
  void begin_value(bool is_error);
  /// One value finished: closes every array it completes, then the entry.
  void value_done();
  /// A string value: base64 when asked (and `encodable`), else UTF-8 repaired if needed.
  void string(std::string_view s, bool encodable);
  /// True when `s` (already UTF-8 repaired), base64-encoded or JSON-escaped, keeps the JSON
  /// under the limit.
  bool fits(std::string_view s, bool b64) const;

  rapidjson::StringBuffer& buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
  bool base64_;
  std::vector<size_t> open_;   // elements still expected by each open array
  size_t entries_ = 0;
  bool last_error_ = false;
  size_t limit_ = 0;
  bool over_ = false;
  std::string scratch_;
};

}  // namespace shardcache::http
