// daemon/http/json_sink.cpp: reply -> Upstash JSON envelope entries (see json_sink.h).
#include "daemon/http/json_sink.h"

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

void JsonSink::string(std::string_view s, bool encodable) {
  if (limit_ && (over_ || buf_.GetSize() + s.size() + s.size() / 3 >= limit_)) [[unlikely]] {
    over_ = true;
    s = {};
  }
  if (base64_ && encodable) {  // base64 needs no JSON escaping: write the quoted token as is
    scratch_.assign(1, '"');
    base64_append(s, scratch_);
    scratch_ += '"';
    w_.RawValue(scratch_.data(), scratch_.size(), rapidjson::kStringType);
  } else if (valid_utf8(s)) {
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  } else {
    scratch_.clear();
    append_utf8_repaired(s, scratch_);
    w_.String(scratch_.data(), static_cast<rapidjson::SizeType>(scratch_.size()));
  }
}

void JsonSink::simple(std::string_view s) {
  // The client decodes a top-level "OK" as is; nested strings are always base64-decoded.
  bool top = open_.empty();
  begin_value(false);
  string(s, !(top && s == "OK"));
  value_done();
}

void JsonSink::error(std::string_view msg) {
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
