// daemon/http/json_sink.cpp: reply -> Upstash JSON envelope entries (see json_sink.h).
#include "daemon/http/json_sink.h"

#include "base/text.h"
#include "daemon/http/encoding.h"
#include "protocol/reply_writer.h"

namespace shardcache::http {

JsonSink::JsonSink(rapidjson::StringBuffer& buf, bool base64) : buf_(buf), w_(buf), base64_(base64) {}

void JsonSink::begin_value(bool is_error) {
  if (!open_.empty()) return;
  w_.StartObject();
  w_.Key(is_error ? "error" : "result");
  last_error_ = is_error;
}

void JsonSink::value_done() {
  while (!open_.empty()) {
    if (--open_.back() > 0) return;
    open_.pop_back();
    w_.EndArray();
  }
  w_.EndObject();
  ++entries_;
}

bool JsonSink::fits(std::string_view s, bool b64) const {
  const size_t used = buf_.GetSize();
  if (used >= limit_) return false;
  const size_t room = limit_ - used;
  if (b64) return (s.size() + 2) / 3 * 4 + 2 < room;
  if (6 * s.size() + 2 < room) return true;  // fits even if every byte is escaped
  // Escaped size (an upper bound): \u00XX for a control byte, a backslash before '"' and '\'.
  size_t n = s.size() + 2;
  for (unsigned char c : s) n += c < 0x20 ? 5 : (c == '"' || c == '\\') ? 1 : 0;
  return n < room;
}

void JsonSink::string(std::string_view s, bool encodable) {
  const bool b64 = base64_ && encodable;
  if (!b64 && !base::valid_utf8(s)) {
    scratch_.clear();
    base::append_utf8_repaired(s, scratch_);
    s = scratch_;
  }
  if (limit_ && (over_ || !fits(s, b64))) [[unlikely]] {
    over_ = true;
    s = {};
  }
  if (b64) {  // base64 needs no JSON escaping: write the quoted token as is
    scratch_.assign(1, '"');
    base64_append(s, scratch_);
    scratch_ += '"';
    w_.RawValue(scratch_.data(), scratch_.size(), rapidjson::kStringType);
  } else {
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
}

void JsonSink::simple(std::string_view s) {
  // The client decodes a top-level "OK" as is; nested strings are always base64-decoded.
  bool top = open_.empty();
  begin_value(false);
  string(s, !(top && s == "OK"));
  value_done();
}

void JsonSink::write_error(std::string_view msg) {
  begin_value(true);
  string(msg, false);
  value_done();
}

void JsonSink::integer(long long v) {
  begin_value(false);
  w_.Int64(v);
  value_done();
}

void JsonSink::bulk(std::string_view s) {
  begin_value(false);
  string(s, true);
  value_done();
}

void JsonSink::null() {
  begin_value(false);
  w_.Null();
  value_done();
}

void JsonSink::array(size_t n) {
  begin_value(false);
  w_.StartArray();
  if (n == 0) {
    w_.EndArray();
    return value_done();
  }
  open_.push_back(n);
}

void JsonSink::dbl(double d) {
  begin_value(false);
  string(protocol::ReplyWriter::format_double(d), true);
  value_done();
}

}  // namespace shardcache::http
