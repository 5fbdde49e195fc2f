// daemon/net/resp_server.h: the RESP front end's listener on --port: a server::Listener whose
// sessions are RespSessions and whose refusal over maxclients is Redis's error line.
#pragma once
#include <memory>

#include "daemon/server/listener.h"
#include "daemon/server/runtime.h"

namespace shardcache::net {

/// What a RESP client over maxclients reads before it is closed (Redis's reply).
inline constexpr std::string_view kMaxClientsReply = "-ERR max number of clients reached\r\n";

class RespServer {
 public:
  /// Binds state.config's bind address and port (0 = any free port) and listens; throws
  /// std::system_error if it cannot. Accepting starts with start().
  explicit RespServer(server::Runtime& rt);
  void start() { listener_.start(); }
  uint16_t port() const { return listener_.port(); }

 private:
  server::Listener listener_;
};

}  // namespace shardcache::net
