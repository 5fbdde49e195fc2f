// daemon/commands/reply_sink.h: the protocol-neutral reply interface command handlers write to.
// net/ implements it over RESP (protocol::ReplyWriter); http/ implements it as JSON.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardcache::state {
class ErrorStats;
}

namespace shardcache::commands {

/// Reply shapes as Redis 7 produces them; each front end encodes or downgrades them.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void simple(std::string_view s) = 0;        ///< status reply (+OK)
  /// An error reply with its code ("ERR ..."): counted (errors(); INFO errorstats when
  /// error_stats is set, as the dispatcher does), then written by write_error().
  void error(std::string_view msg);
  /// Writes an error reply (implementations; handlers call error()).
  virtual void write_error(std::string_view msg) = 0;
  virtual void integer(long long v) = 0;
  virtual void bulk(std::string_view s) = 0;
  virtual void null() = 0;                            ///< missing value (nil bulk)
  virtual void null_array() = 0;                      ///< nil multi-bulk (EXEC aborted by WATCH)
  virtual void array(size_t n) = 0;                   ///< n elements follow
  virtual void map(size_t pairs) = 0;                 ///< 2*pairs elements follow (key, value, ...)
  virtual void set(size_t n) = 0;                     ///< n elements follow
  virtual void dbl(double d) = 0;
  virtual void boolean(bool b) = 0;
  virtual void verbatim(std::string_view text) = 0;   ///< "txt" verbatim (INFO, CLIENT INFO)
  /// A push header (RESP3 `>n`, SUBSCRIBE's replies); an array where the front end has none.
  virtual void push(size_t n) { array(n); }
  /// Protocol version the client negotiated (2 or 3); JSON front ends answer 2.
  virtual int proto() const = 0;

  /// Error replies written through this sink so far (failed_calls: the dispatcher compares).
  uint64_t errors() const { return errors_; }
  /// Where error() counts error replies by prefix (the server's INFO errorstats); null = nowhere.
  state::ErrorStats* error_stats = nullptr;

 private:
  uint64_t errors_ = 0;
};

/// A sink that drops every reply (on RESP2); derive from it to keep only part of one.
class NullSink : public ReplySink {
 public:
  void simple(std::string_view) override {}
  void write_error(std::string_view) override {}
  void integer(long long) override {}
  void bulk(std::string_view) override {}
  void null() override {}
  void null_array() override {}
  void array(size_t) override {}
  void map(size_t) override {}
  void set(size_t) override {}
  void dbl(double) override {}
  void boolean(bool) override {}
  void verbatim(std::string_view) override {}
  int proto() const override { return 2; }
};

}  // namespace shardcache::commands
