// daemon/net/connection.h: one RESP client connection. Reads into a reusable buffer, parses
// every complete command in it, runs them in order, and sends all replies with one write.
#pragma once
#include <asio.hpp>

#include <memory>
#include <string>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/net/resp_sink.h"
#include "protocol/request_parser.h"

namespace shardcache::net {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket sock, commands::ServerState& state, commands::ThreadStats& ts,
             std::atomic<size_t>& live);
  ~Connection();
  /// Registers the client and starts reading.
  void start();

 private:
  void read_more();
  void on_read(std::error_code ec, size_t n);
  /// Runs the buffered commands, then flushes (or continues a stepped command first).
  void handle_input();
  /// Parses and runs every complete command in the buffer; false when the connection must close.
  /// Stops after a command that left a continuation (see ClientState::continuation).
  bool process_input();
  /// Runs one slice of the pending continuation per turn of the io loop; when it has replied,
  /// goes on with the buffered input.
  void continue_command();
  void flush_and_continue();
  void close();
  void compact();

  asio::ip::tcp::socket sock_;
  commands::ServerState& state_;
  commands::ThreadStats& ts_;
  std::atomic<size_t>& live_;
  std::shared_ptr<commands::ClientState> client_;
  protocol::RequestParser parser_;
  std::vector<char> in_;     // [0, len_) holds unprocessed input
  size_t len_ = 0;
  std::string out_;
  RespSink sink_;
  bool closing_ = false;
};

}  // namespace shardcache::net
