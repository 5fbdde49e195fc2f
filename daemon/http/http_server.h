// daemon/http/http_server.h: the HTTP/1.1 front end (Upstash REST, /metrics, /healthz,
// dashboard) on --http-port: a server::Listener on the runtime's io threads whose sessions are
// HttpSessions (keep-alive and pipelined requests, one write per batch of responses) and whose
// refusal over maxclients is a 503.
#pragma once
#include <memory>

#include "daemon/http/shared.h"
#include "daemon/server/listener.h"
#include "daemon/server/runtime.h"

namespace shardcache::http {

class HttpServer {
 public:
  /// Binds state.config's bind address and `port` (0 = any free port) and listens; throws
  /// std::system_error if it cannot. Accepting starts with start().
  HttpServer(server::Runtime& rt, uint16_t port, size_t max_body);
  void start() { listener_.start(); }
  uint16_t port() const { return listener_.port(); }

 private:
  std::shared_ptr<HttpShared> shared_;
  server::Listener listener_;
};

/// What an HTTP client over maxclients reads before it is closed.
std::string max_clients_response();

}  // namespace shardcache::http
