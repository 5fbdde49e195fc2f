// client/src/client_core.cpp: I/O threads, connection choice, and waiting with a deadline.
#include "client/src/client_core.h"

#include <algorithm>

namespace shardcache::detail {

ClientCore::ClientCore(ClientOptions opts) : opts_(std::move(opts)) {
  opts_.pool_size = std::max<size_t>(1, opts_.pool_size);
  opts_.io_threads = std::clamp<size_t>(opts_.io_threads, 1, opts_.pool_size);
  for (size_t i = 0; i < opts_.io_threads; ++i) {
    ios_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*ios_.back()));
  }
  for (size_t i = 0; i < opts_.pool_size; ++i)
    conns_.push_back(std::make_unique<Connection>(*ios_[i % ios_.size()], opts_));
  for (auto& io : ios_) threads_.emplace_back([ctx = io.get()] { ctx->run(); });
}

ClientCore::~ClientCore() {
  for (auto& c : conns_) c->shutdown();
  guards_.clear();
  for (auto& t : threads_) t.join();
}

Connection& ClientCore::pick() {
  const size_t n = conns_.size();
  const size_t start = rr_.fetch_add(1, std::memory_order_relaxed);
  Connection& first = *conns_[start % n];
  if (first.usable()) return first;
  for (size_t i = 1; i < n; ++i) {  // it is waiting out a backoff: prefer a live one
    auto& c = *conns_[(start + i) % n];
    if (c.state() == Connection::State::Ready) return c;
  }
  return first;
}

int ClientCore::protocol() const {
  for (auto& c : conns_)
    if (c->state() == Connection::State::Ready && c->protocol() != 0) return c->protocol();
  return 0;
}

Result<std::vector<protocol::Reply>> ClientCore::run(std::string_view bytes, size_t n) {
  auto call = std::make_shared<Call>(n);
  const auto deadline = Clock::now() + opts_.command_timeout;
  Connection& conn = pick();
  conn.submit(bytes, call);
  if (!call->wait_until(deadline)) {
    conn.timed_out(call);
    return Error{ErrorCode::Timeout, "no reply from " + opts_.address() + " within " +
                                         std::to_string(opts_.command_timeout.count()) + " ms"};
  }
  if (call->error) return *call->error;
  return std::move(call->replies);
}

Result<protocol::Reply> ClientCore::run1(std::string_view bytes) {
  auto r = run(bytes, 1);
  if (!r) return r.error();
  auto& reply = r.value()[0];
  if (reply.is_error()) return Error{ErrorCode::Server, std::move(reply.str)};
  return std::move(reply);
}

}  // namespace shardcache::detail
