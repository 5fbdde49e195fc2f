// daemon/net/server.h: the RESP front end: N io threads (one io_context each, concurrency hint
// 1), an acceptor spreading connections round-robin over them, a cron thread for the store's
// background steps, and graceful stop.
#pragma once
#include <asio.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/net/accept_limits.h"
#include "daemon/net/io_buffer.h"

namespace shardcache::net {

class Server {
 public:
  /// Binds and listens (throws std::system_error if it cannot). `threads` io threads.
  Server(commands::ServerState& state, size_t threads);
  ~Server();

  /// Runs the io threads and the cron thread; returns after stop().
  void run();
  /// Stops accepting, lets in-flight replies go out, then stops every loop. Thread-safe.
  void stop();
  /// The io_context of io thread i (other front ends put their acceptors here).
  asio::io_context& context(size_t i) { return *ctxs_[i]; }
  size_t thread_count() const { return ctxs_.size(); }
  uint16_t port() const { return port_; }
  /// Live client connections of both front ends, RESP and HTTP (one maxclients for both). Both
  /// acceptors run on io thread 0 and a connection counts itself when constructed there, so
  /// the check before constructing one is never raced by another accept.
  std::atomic<size_t>& connection_count() { return connections_; }

 private:
  void accept_next();
  void cron_loop();

  commands::ServerState& state_;
  // Declared before the io contexts: connections still owned by a context when it is destroyed
  // decrement this counter in their destructors.
  std::atomic<size_t> connections_{0};
  std::vector<std::unique_ptr<BufferPool>> pools_;  ///< one per io thread; outlive the connections
  std::vector<std::unique_ptr<asio::io_context>> ctxs_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  asio::ip::tcp::acceptor acceptor_;
  AcceptRetry accept_retry_;  ///< paces accepts after EMFILE and the like
  size_t next_ctx_ = 0;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread cron_;
};

}  // namespace shardcache::net
