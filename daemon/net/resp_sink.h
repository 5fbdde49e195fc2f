// daemon/net/resp_sink.h: ReplySink over RESP: encodes handler replies with protocol::ReplyWriter
// in the protocol version the client negotiated (read at every call, so HELLO 3's own reply is
// already RESP3). "+OK" and null, the commonest replies, are appended directly (same bytes).
// A bulk that would take the buffer past `stop_at` (the output buffer's hard limit) is not
// appended: over() says so, and the connection closes.
#pragma once
#include <cstdint>
#include <string>

#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"
#include "protocol/reply_writer.h"

namespace shardcache::net {

class RespSink final : public commands::ReplySink {
 public:
  RespSink(std::string& out, const commands::ClientState& client) : w_(out), client_(client) {}
  void simple(std::string_view s) override {
    if (s == "OK") {  // the commonest reply: the same bytes ReplyWriter::simple writes
      w_.buffer().append("+OK\r\n", 5);
      return;
    }
    sync().simple(s);
  }
  void write_error(std::string_view m) override { sync().error(m); }
  void integer(long long v) override { sync().integer(v); }
  void bulk(std::string_view s) override {
    if (w_.buffer().size() + s.size() >= stop_at_) [[unlikely]] {
      over_ = true;
      return;
    }
    sync().bulk(s);
  }
  void null() override {  // same bytes as ReplyWriter::null() without the strlen
    if (client_.proto >= 3) w_.buffer().append("_\r\n", 3); else w_.buffer().append("$-1\r\n", 5);
  }
  void null_array() override { sync().null_array(); }
  void array(size_t n) override { sync().array(n); }
  void map(size_t n) override { sync().map(n); }
  void set(size_t n) override { sync().set(n); }
  void push(size_t n) override { sync().push(n); }
  void dbl(double d) override { sync().dbl(d); }
  void boolean(bool b) override { sync().boolean(b); }
  void verbatim(std::string_view t) override { sync().verbatim(t, "txt"); }
  int proto() const override { return client_.proto; }
  /// Output size from which a bulk is refused (client-output-buffer-limit's hard limit).
  void set_stop_at(size_t n) { stop_at_ = n; }
  /// A bulk was refused: the output buffer limit is reached.
  bool over() const { return over_; }

 private:
  protocol::ReplyWriter& sync() {
    w_.set_proto(client_.proto);
    return w_;
  }
  protocol::ReplyWriter w_;
  const commands::ClientState& client_;
  size_t stop_at_ = SIZE_MAX;
  bool over_ = false;
};

}  // namespace shardcache::net
