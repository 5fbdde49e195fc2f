// daemon/http/server.h: the HTTP/1.1 front end (Upstash REST, /metrics, /healthz, dashboard) on
// --http-port, on the RESP server's io threads: an acceptor spreading connections round-robin
// over them, each connection living on one thread, keep-alive and pipelined requests, one write
// per batch of responses.
#pragma once
#include <asio.hpp>

#include <memory>

#include "daemon/commands/context.h"
#include "daemon/http/shared.h"
#include "daemon/net/accept_limits.h"
#include "daemon/net/server.h"

namespace shardcache::http {

class HttpServer {
 public:
  /// Binds state.config.bind:port (0 = any free port) and listens; throws std::system_error if
  /// it cannot. Accepting starts with start().
  HttpServer(net::Server& net, commands::ServerState& state, uint16_t port, size_t max_body);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Starts accepting; the listener and its connections stop with the io threads.
  void start();
  uint16_t port() const { return port_; }

 private:
  void accept_next();

  net::Server& net_;
  std::shared_ptr<HttpShared> shared_;
  asio::ip::tcp::acceptor acceptor_;
  net::AcceptRetry accept_retry_;  ///< paces accepts after EMFILE and the like
  size_t next_ctx_ = 0;
  uint16_t port_ = 0;
};

}  // namespace shardcache::http
