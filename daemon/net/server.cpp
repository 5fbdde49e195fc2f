// daemon/net/server.cpp: listener, io threads, cron thread and graceful stop.
#include "daemon/net/server.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/net/client_timeout.h"
#include "daemon/net/connection.h"

namespace shardcache::net {

Server::Server(commands::ServerState& state, size_t threads) : state_(state), acceptor_([&]() -> asio::io_context& {
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) ctxs_.push_back(std::make_unique<asio::io_context>(1));
  return *ctxs_[0];
}()), accept_retry_(ctxs_[0]->get_executor()) {
  for (auto& c : ctxs_) guards_.push_back(asio::make_work_guard(*c));
  for (size_t i = 0; i < ctxs_.size(); ++i) pools_.push_back(std::make_unique<BufferPool>(Connection::kInitialBuffer, 64));
  auto addr = asio::ip::make_address(state.config.listen_address());
  asio::ip::tcp::endpoint ep(addr, static_cast<uint16_t>(state.config.port));
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(511);
  port_ = acceptor_.local_endpoint().port();
}

Server::~Server() {
  stop();
  if (cron_.joinable()) cron_.join();
}

void Server::accept_next() {
  size_t i = next_ctx_++ % ctxs_.size();
  acceptor_.async_accept(*ctxs_[i], [this, i](std::error_code ec, asio::ip::tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      return accept_retry_.after_error(ec, "RESP", [this] {
        if (!stopping_) accept_next();
      });
    }
    auto& ts = *state_.thread_stats[i % state_.thread_stats.size()];
    if (connections_.load() >= state_.config.maxclients.load()) {
      ts.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      std::error_code wec;
      asio::write(sock, asio::buffer(std::string_view("-ERR max number of clients reached\r\n")), wec);
      sock.close(wec);
    } else {
      std::make_shared<Connection>(std::move(sock), state_, ts, connections_, *pools_[i])->start();
    }
    accept_next();
  });
}

void Server::cron_loop() {
  using namespace std::chrono;
  auto next_trim = steady_clock::now();
  while (!stopping_) {
    int hz = std::max(1, state_.config.hz.load());
    state_.store.cron_step(store::unix_ms(), 250);
    commands::server_cron(state_);
    close_idle_clients(state_, store::unix_ms());
    if (steady_clock::now() >= next_trim) {
      trim_idle_clients(state_, store::unix_ms(), Connection::kIdleBytes);
      next_trim = steady_clock::now() + seconds(1);
    }
    // Sleep in short slices so stop() is prompt.
    auto until = steady_clock::now() + milliseconds(1000 / hz);
    while (!stopping_ && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  }
}

void Server::run() {
  accept_next();
  cron_ = std::thread([this] { cron_loop(); });
  std::vector<std::thread> threads;
  for (size_t i = 1; i < ctxs_.size(); ++i) threads.emplace_back([this, i] { ctxs_[i]->run(); });
  ctxs_[0]->run();
  for (auto& t : threads) t.join();
  if (cron_.joinable()) cron_.join();
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  asio::post(*ctxs_[0], [this] {
    std::error_code ec;
    acceptor_.close(ec);
  });
  // Let replies already being written go out, then stop every loop.
  auto timer = std::make_shared<asio::steady_timer>(*ctxs_[0], std::chrono::milliseconds(100));
  timer->async_wait([this, timer](std::error_code) {
    for (auto& g : guards_) g.reset();
    for (auto& c : ctxs_) c->stop();
  });
}

}  // namespace shardcache::net
