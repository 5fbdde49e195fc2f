// daemon/server/session.cpp: client registration and its undoing, and the output's writes, for
// every session (session.h).
#include "daemon/server/session.h"

#include "daemon/commands/client_memory.h"
#include "daemon/commands/watch.h"

namespace shardcache::server {

std::string endpoint_str(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

Session::Session(asio::ip::tcp::socket sock, state::ServerState& state, std::atomic<size_t>& live, size_t thread)
    : sock_(std::move(sock)), state_(state), ts_(*state.thread_stats[thread % state.thread_stats.size()]),
      client_(std::make_shared<state::ClientState>()), live_(live), thread_(thread) {
  live_.fetch_add(1);
}

Session::~Session() {
  commands::publish_client_memory(*client_, 0);
  commands::unwatch_all(state_, *client_);
  state_.tracking.disable(*client_);
  if (client_->id != 0) state_.clients.remove(client_->id);
  live_.fetch_sub(1);
}

void Session::describe_client() {
  std::error_code ec;
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
  sock_.non_blocking(true, ec);
  client_->addr = endpoint_str(sock_.remote_endpoint(ec));
  client_->laddr = endpoint_str(sock_.local_endpoint(ec));
  client_->created_ms = store::unix_ms();
  client_->last_interaction_ms = client_->created_ms;
  client_->supports_continuation = true;
  client_->fd.store(sock_.is_open() ? static_cast<int>(sock_.native_handle()) : -1, std::memory_order_relaxed);
  client_->mem_sum = &ts_.clients_mem;
}

void Session::register_client() {
  std::weak_ptr<Session> weak = weak_from_this();
  auto exec = sock_.get_executor();
  client_->kill = [weak, exec] {
    asio::post(exec, [weak] {
      if (auto self = weak.lock()) self->close();
    });
  };
  state_.clients.add(client_);
}

long Session::write_now(std::string& out) {
  std::error_code ec;
  size_t written = sock_.write_some(asio::buffer(out), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return -1;
  count_output(written);
  if (written == out.size()) {
    out.clear();
    if (out.capacity() > kShrinkAbove) std::string().swap(out);
  }
  return static_cast<long>(written);
}

bool Session::written(std::error_code ec, size_t n) {
  count_output(n);
  if (ec) {
    close();
    return false;
  }
  out_off_ += n;
  write_progress_ = std::chrono::steady_clock::now();
  client_->last_interaction_ms.store(store::unix_ms(), std::memory_order_relaxed);  // as Redis after a write
  if (out_off_ < out_.size()) return true;
  client_->out_pending.store(0, std::memory_order_relaxed);
  out_.clear();
  out_off_ = 0;
  if (out_.capacity() > kShrinkAbove) std::string().swap(out_);
  return false;
}

}  // namespace shardcache::server
