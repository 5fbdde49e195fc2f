// daemon/server/listener.h: one listening socket on the runtime's io threads: accepts on io
// thread 0, hands each new socket to the next io thread round-robin, and admits it only while
// the live clients of both front ends are under maxclients (as Redis's maxclients counts every
// client); a client over the limit gets the front end's refusal and is closed, and counts in
// rejected_connections. Paces accepts after EMFILE and the like.
#pragma once
#include <asio.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "daemon/server/accept_limits.h"
#include "daemon/server/runtime.h"

namespace shardcache::server {

class Listener {
 public:
  /// Starts a session for an admitted socket on io thread `thread`.
  using Start = std::function<void(asio::ip::tcp::socket sock, size_t thread)>;
  /// Binds address:port (0 = any free port) and listens; throws std::system_error if it
  /// cannot. `refusal`: the bytes a client over maxclients gets before it is closed. `name`
  /// names the listener in log lines. Accepting starts with start().
  Listener(Runtime& rt, std::string_view name, const std::string& address, uint16_t port, std::string refusal,
           Start start);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void start();
  uint16_t port() const { return port_; }

 private:
  void accept_next();
  /// Closes the acceptor (on io thread 0, from Runtime::stop).
  void close();

  Runtime& rt_;
  std::string name_;
  std::string refusal_;
  Start start_;
  asio::ip::tcp::acceptor acceptor_;
  AcceptRetry accept_retry_;
  size_t next_ctx_ = 0;
  uint16_t port_ = 0;
};

/// True when a new client may connect: the live clients (both front ends) are under maxclients.
bool admits(const std::atomic<size_t>& live, uint64_t maxclients);

}  // namespace shardcache::server
