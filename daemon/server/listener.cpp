// daemon/server/listener.cpp: listening, round-robin hand-off and admission (see listener.h).
#include "daemon/server/listener.h"

namespace shardcache::server {

bool admits(const std::atomic<size_t>& live, uint64_t maxclients) { return live.load() < maxclients; }

Listener::Listener(Runtime& rt, std::string_view name, const std::string& address, uint16_t port, std::string refusal,
                   Start start)
    : rt_(rt), name_(name), refusal_(std::move(refusal)), start_(std::move(start)), acceptor_(rt.context(0)),
      accept_retry_(rt.context(0).get_executor()) {
  asio::ip::tcp::endpoint ep(asio::ip::make_address(address), port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(511);
  port_ = acceptor_.local_endpoint().port();
  rt_.on_stop([this] { close(); });
}

Listener::~Listener() { close(); }

void Listener::close() {
  std::error_code ec;
  acceptor_.close(ec);
}

void Listener::start() { accept_next(); }

void Listener::accept_next() {
  // Sessions are constructed here, on io thread 0, where every listener accepts: the count
  // checked below is never raced by another accept.
  size_t i = next_ctx_++ % rt_.thread_count();
  acceptor_.async_accept(rt_.context(i), [this, i](std::error_code ec, asio::ip::tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || rt_.stopping() || !acceptor_.is_open()) return;
      return accept_retry_.after_error(ec, name_, [this] {
        if (!rt_.stopping() && acceptor_.is_open()) accept_next();
      });
    }
    auto& st = rt_.state();
    if (!admits(rt_.live_clients(), st.config.maxclients.load())) {
      st.thread_stats[i % st.thread_stats.size()]->rejected_connections.fetch_add(1, std::memory_order_relaxed);
      std::error_code wec;
      asio::write(sock, asio::buffer(refusal_), wec);
      sock.close(wec);
    } else {
      start_(std::move(sock), i);
    }
    accept_next();
  });
}

}  // namespace shardcache::server
