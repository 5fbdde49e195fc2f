// daemon/http/server.cpp: the HTTP listener on the RESP server's io threads (see server.h).
#include "daemon/http/server.h"

#include <spdlog/spdlog.h>

#include "daemon/http/connection.h"

namespace shardcache::http {

HttpServer::HttpServer(net::Server& net, commands::ServerState& state, uint16_t port, size_t max_body)
    : net_(net), shared_(std::make_shared<HttpShared>(state, net.thread_count(), max_body)), acceptor_(net.context(0)),
      accept_retry_(net.context(0).get_executor()) {
  asio::ip::tcp::endpoint ep(asio::ip::make_address(state.config.listen_address()), port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(511);
  port_ = acceptor_.local_endpoint().port();
  shared_->clients_live = &net.connection_count();
}

HttpServer::~HttpServer() {
  std::error_code ec;
  acceptor_.close(ec);
}

void HttpServer::start() { accept_next(); }

void HttpServer::accept_next() {
  size_t i = next_ctx_++ % net_.thread_count();
  acceptor_.async_accept(net_.context(i), [this, i](std::error_code ec, asio::ip::tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      return accept_retry_.after_error(ec, "HTTP", [this] { accept_next(); });
    }
    auto& state = shared_->state;
    if (net_.connection_count().load() >= state.config.maxclients.load()) {
      state.thread_stats[i % state.thread_stats.size()]->rejected_connections.fetch_add(1, std::memory_order_relaxed);
      constexpr std::string_view kBody = "{\"error\":\"ERR max number of clients reached\"}";
      std::string busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + std::string(kBody);
      std::error_code wec;
      asio::write(sock, asio::buffer(busy), wec);
      sock.close(wec);
    } else {
      std::make_shared<HttpConnection>(std::move(sock), shared_, i)->start();
    }
    accept_next();
  });
}

}  // namespace shardcache::http
