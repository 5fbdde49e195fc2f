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
#include "client/src/near_cache.h"
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
  Result<std::vector<protocol::Reply>> run(std::string_view bytes, size_t n, const Connection** used = nullptr);
  /// One command; an error reply becomes Error{Server, text}.
  Result<protocol::Reply> run1(std::string_view bytes);

  const ClientOptions& options() const { return opts_; }
  int protocol() const;

  /// The near cache, or null when ClientOptions::near_cache is off.
  NearCache* near() { return near_.get(); }
  /// Waits (up to command_timeout) until every pending push of every connection is parsed.
  bool drain_pushes() const;
  /// True when some Ready connection has CLIENT TRACKING on.
  bool tracking_any() const;
  /// True once a connection reported that the server refused tracking (the near cache is idle).
  bool tracking_refused() const { return refusal_logged_.load(std::memory_order_relaxed); }

 private:
  Connection& pick();
  void on_push(const protocol::Reply& push);

  ClientOptions opts_;
  std::unique_ptr<NearCache> near_;
  TrackingHooks hooks_;
  std::atomic<bool> refusal_logged_{false};
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> rr_{0};
};

}  // namespace shardcache::detail
