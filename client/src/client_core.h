// client/src/client_core.h: the engine behind shardcache::Client: I/O threads, the connection
// pool, and blocking submission with a deadline.
#pragma once
#include <asio.hpp>
#include <atomic>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "client/src/connection.h"
#include "protocol/reply_reader.h"
#include "shardcache/options.h"
#include "shardcache/result.h"

namespace shardcache::detail {

/// Owns the I/O threads and connections of one Client.
class ClientCore {
 public:
  explicit ClientCore(ClientOptions opts);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  /// Sends `bytes` (holding `n` commands) on one pooled connection and waits for all n
  /// replies, or an error (transport, timeout). Error replies stay in the vector.
  Result<std::vector<protocol::Reply>> run(std::string_view bytes, size_t n);
  /// One command; an error reply becomes Error{Server, text}.
  Result<protocol::Reply> run1(std::string_view bytes);

  const ClientOptions& options() const { return opts_; }
  int protocol() const;

 private:
  Connection& pick();

  ClientOptions opts_;
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> rr_{0};
};

}  // namespace shardcache::detail
