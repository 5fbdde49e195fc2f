// daemon/net/resp_session.h: one RESP client connection (a server::Session). Reads into a
// reusable buffer, parses every complete command in it, runs them in order, and sends all
// replies with one write.
// The connection's one strong reference (`Ref`) travels from each completion handler to the
// next operation by move, so a request costs no shared_ptr reference-count traffic.
// Input is read into a small buffer inside the connection; a pooled 16 KB buffer is taken only
// when a read fills the small one or a request does not fit in it, and given back once a read
// has drained the socket and every command has run (an idle connection holds no pooled buffer,
// and its pending read needs no epoll_ctl). Replies are bounded by client-output-buffer-limit while they
// are appended and while they wait for the socket; the connection's buffer bytes are published
// for maxmemory-clients.
#pragma once
#include <asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/commands/client_memory.h"
#include "daemon/commands/context.h"
#include "daemon/net/resp_sink.h"
#include "daemon/server/io_buffer.h"
#include "daemon/server/session.h"
#include "protocol/request_parser.h"

namespace shardcache::net {

/// Size the input buffer should have when the command starting at `pos` needs `need` bytes
/// (from the parser; 0 = unknown) and `len` bytes are held in a buffer of `size`: toward
/// pos + need, but never past twice what has arrived, so a bulk that is declared but never
/// sent costs no more than its bytes that came (Redis 7 also allocates without touching).
/// `limit` is client-query-buffer-limit; a larger need is not grown for (the client is closed).
size_t input_buffer_target(size_t size, size_t pos, size_t len, size_t need, size_t limit);

class RespSession final : public server::Session {
 public:
  /// Size of the pooled read buffer a connection takes when its inline buffer is not enough.
  static constexpr size_t kInitialBuffer = 16 * 1024;
  /// Size of the read buffer inside the connection, read into while it holds no pooled one:
  /// about 1 KB, sized so the connection and make_shared's control block fit one 1536-byte
  /// allocation (a jemalloc size class).
  static constexpr size_t kInlineBuffer = 992;
  /// Counts itself in `live` (maxclients) until destroyed; runs on io thread `thread`, whose
  /// free read buffers are `pool`.
  RespSession(asio::ip::tcp::socket sock, commands::ServerState& state, std::atomic<size_t>& live, size_t thread,
              server::BufferPool& pool);
  /// Buffer bytes a connection publishes when it holds no buffer (an empty std::string's
  /// capacity): the cron asks idle connections publishing more to trim.
  static inline const size_t kIdleBytes = std::string().capacity();
  /// Registers the client and starts reading.
  void start();

 private:
  using Ref = std::shared_ptr<RespSession>;
  void read_more(Ref self);
  void on_read(std::error_code ec, size_t n, Ref self);
  /// After a read filled the inline buffer (more is probably waiting): takes a pooled buffer,
  /// copies the input over and reads on into it without waiting. Returns the bytes read.
  size_t read_on_into_pooled();
  /// Runs the buffered commands, then flushes (or steps a sliced command first: Session).
  void handle_input(Ref self);
  /// Parses and runs every complete command in the buffer; false when the connection must close.
  bool process_input();
  void flush_and_continue(Ref self) { send_output(std::move(self)); }
  // Session's hooks (send_output, step_command).
  friend class server::Session;
  bool output_waits() { return watch_soft_limit(); }
  void output_sent(Ref self, bool waited);
  void after_slice() {
    if (out_.size() >= check_at_ || sink_.over()) output_grown();  // over: closing_, replies dropped
  }
  void command_replied(Ref self);
  /// The output passed check_at_ while replies were appended: false when it is over its limit
  /// (the client is then closing); else sends what the socket takes now, without waiting.
  bool output_grown();
  /// Sets check_at_ from the limits and the output's size.
  void reset_output_check();
  /// Marks the connection closing for client-output-buffer-limit (logged and counted) and
  /// drops the replies, unless a write still uses them.
  void close_for_output_limit(bool write_pending = false);
  /// While replies wait for the socket over the soft limit, checks again when its time is up;
  /// false when they are over their limit now (the caller closes).
  bool watch_soft_limit(bool write_pending = false);
  /// Releases the input buffer (and a big output buffer) once nothing is buffered.
  void release_idle_buffers();
  /// Publishes this connection's buffer bytes (maxmemory-clients, CLIENT LIST, INFO).
  void publish_memory();
  void close() override;
  /// `timeout`: closes the connection if it has been idle for more than `max_idle_ms`.
  void close_if_idle(int64_t max_idle_ms);
  /// Gives back the output buffer's and the parsed-ahead arguments' memory if the connection
  /// has been idle for more than `min_idle_ms` (nothing buffered, no reply going out).
  void trim_if_idle(int64_t min_idle_ms);
  void compact();
  /// Publishes the input buffer's fill and size for CLIENT LIST (qbuf, qbuf-free, rbs, rbp).
  void note_input_buffer() {
    auto clamp = [](size_t v) { return static_cast<uint32_t>(std::min<size_t>(v, UINT32_MAX)); };
    client_->qbuf.store(clamp(len_), std::memory_order_relaxed);
    client_->qbuf_free.store(clamp(in_size() - len_), std::memory_order_relaxed);
  }
  /// Grows the input buffer to at least `size` bytes (leaving the inline buffer for a pooled
  /// one, the unprocessed input copied over) and publishes the new peak (rbp).
  void grow_input(size_t size);
  /// The input buffer: the pooled one when held, else the inline one.
  char* in_data() { return in_.empty() ? inline_in_.data() : in_.data(); }
  size_t in_size() const { return in_.empty() ? kInlineBuffer : in_.size(); }
  /// Sets the parser's limits from the config and whether the client has authenticated.
  void apply_parser_limits();
  /// Client-side caching: an invalidation for this client, on its own thread (ClientState::push).
  /// Encoded in its protocol and sent now when the connection waits for input, appended to
  /// the replies of a running sliced command, or held until the write in flight is done.
  void deliver(const state::TrackingMessage& m);
  /// Pushes the connection could not write while it waits for input: sent when the socket
  /// can take them (or with the next replies).
  void wait_writable();

  server::BufferPool& pool_;
  protocol::RequestParser parser_;
  std::vector<std::string_view> batch_args_;  // arguments of the requests parse_batch() parsed ahead
  server::IoBuffer in_;           // pooled input buffer, empty while the inline one is used
  size_t len_ = 0;        // in_data()[0, len_) holds unprocessed input
  RespSink sink_;  // appends to out_
  commands::OutputLimit out_limit_;
  uint64_t check_at_ = UINT64_MAX;  // output size from which output_grown() runs
  std::unique_ptr<asio::steady_timer> soft_timer_;  // only while over the soft limit
  bool read_filled_ = false;  // the last read filled the buffer: more is probably waiting
  bool reading_ = false;      // a read is pending (nothing being processed or written)
  bool push_wait_ = false;    // wait_writable() is armed
  std::string push_pending_;  // pushes that arrived while a write was in flight
  bool closing_ = false;
  bool limits_unauth_ = false;  // the parser has the unauthenticated limits
  std::array<char, kInlineBuffer> inline_in_;  // uninitialised: reads fill it
};

}  // namespace shardcache::net
