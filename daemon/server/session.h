// daemon/server/session.h: what every client connection has, whichever protocol it speaks: the
// socket, its io thread's counters, its ClientState, counting itself among the live clients
// (maxclients) for its whole life, registering the client (CLIENT LIST, INFO) with the kill
// hook CLIENT KILL uses, the network byte counters, and on destruction unregistering it
// (buffer bytes, watches, registry, live count). The front ends (net/resp_session,
// http/http_session) derive from it and only translate bytes to and from the dispatcher.
#pragma once
#include <asio.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "daemon/state/server_state.h"

namespace shardcache::server {

/// "ip:port" of an endpoint (CLIENT LIST's addr and laddr).
std::string endpoint_str(const asio::ip::tcp::endpoint& ep);

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// Counts itself in `live` until destroyed. `thread`: the io thread it runs on.
  Session(asio::ip::tcp::socket sock, state::ServerState& state, std::atomic<size_t>& live, size_t thread);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  state::ClientState& client() { return *client_; }
  size_t thread() const { return thread_; }

 protected:
  /// Sets TCP_NODELAY and non-blocking mode, and fills the client's connection facts: its
  /// addresses, creation and interaction times, descriptor and io thread's memory sum.
  void describe_client();
  /// Registers the client (CLIENT LIST, INFO clients) with a kill hook that closes this
  /// session on its own io thread (CLIENT KILL, maxmemory-clients).
  void register_client();
  /// Closes the session; runs on its io thread.
  virtual void close() = 0;
  /// A shared pointer to this session as its derived type.
  template <typename T>
  std::shared_ptr<T> self_as() {
    return std::static_pointer_cast<T>(shared_from_this());
  }
  void count_input(size_t n) { ts_.net_input_bytes.fetch_add(n, std::memory_order_relaxed); }
  void count_output(size_t n) { ts_.net_output_bytes.fetch_add(n, std::memory_order_relaxed); }
  /// Output buffers above this capacity are given back once drained.
  static constexpr size_t kShrinkAbove = 1024 * 1024;
  /// Writes what the socket takes now from `out` without waiting (a batch's replies usually
  /// fit) and counts it. Returns the bytes written, or -1 when the socket failed. When all of
  /// `out` went, `out` is emptied (and given back above kShrinkAbove).
  long write_now(std::string& out);

  asio::ip::tcp::socket sock_;
  state::ServerState& state_;
  state::ThreadStats& ts_;
  std::shared_ptr<state::ClientState> client_;

 private:
  std::atomic<size_t>& live_;
  size_t thread_;
};

}  // namespace shardcache::server
