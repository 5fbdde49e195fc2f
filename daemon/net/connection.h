// daemon/net/connection.h: one RESP client connection. Reads into a reusable buffer, parses
// every complete command in it, runs them in order, and sends all replies with one write.
// The connection's one strong reference (`Ref`) travels from each completion handler to the
// next operation by move, so a request costs no shared_ptr reference-count traffic.
#pragma once
#include <asio.hpp>

#include <memory>
#include <string>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/net/resp_sink.h"
#include "protocol/request_parser.h"

namespace shardcache::net {

/// Size the input buffer should have when the command starting at `pos` needs `need` bytes
/// (from the parser; 0 = unknown) and `len` bytes are held in a buffer of `size`: toward
/// pos + need, but never past twice what has arrived, so a bulk that is declared but never
/// sent costs no more than its bytes that came (Redis 7 also allocates without touching).
/// `limit` is client-query-buffer-limit; a larger need is not grown for (the client is closed).
size_t input_buffer_target(size_t size, size_t pos, size_t len, size_t need, size_t limit);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket sock, commands::ServerState& state, commands::ThreadStats& ts,
             std::atomic<size_t>& live);
  ~Connection();
  /// Registers the client and starts reading.
  void start();

 private:
  using Ref = std::shared_ptr<Connection>;
  void read_more(Ref self);
  void on_read(std::error_code ec, size_t n, Ref self);
  /// Runs the buffered commands, then flushes (or continues a stepped command first).
  void handle_input(Ref self);
  /// Runs one slice of the pending continuation per turn of the io loop; when it has replied,
  /// goes on with the buffered input.
  void continue_command(Ref self);
  /// Parses and runs every complete command in the buffer; false when the connection must close.
  bool process_input();
  void flush_and_continue(Ref self);
  void on_written(std::error_code ec, size_t n, Ref self);
  void close();
  /// `timeout`: closes the connection if it has been idle for more than `max_idle_ms`.
  void close_if_idle(int64_t max_idle_ms);
  void compact();
  /// Publishes the input buffer's fill and size for CLIENT LIST (qbuf, qbuf-free, rbs, rbp).
  void note_input_buffer();
  /// Grows the input buffer to `size` bytes and publishes the new peak (rbp).
  void grow_input(size_t size);
  /// Sets the parser's limits from the config and whether the client has authenticated.
  void apply_parser_limits();

  asio::ip::tcp::socket sock_;
  commands::ServerState& state_;
  commands::ThreadStats& ts_;
  std::atomic<size_t>& live_;
  std::shared_ptr<commands::ClientState> client_;
  protocol::RequestParser parser_;
  std::vector<std::string_view> batch_args_;  // arguments of the requests parse_batch() parsed ahead
  std::vector<char> in_;     // [0, len_) holds unprocessed input
  size_t len_ = 0;
  std::string out_;
  RespSink sink_;
  bool closing_ = false;
  bool limits_unauth_ = false;  // the parser has the unauthenticated limits
};

}  // namespace shardcache::net
