// client/src/client_core.cpp: I/O threads, connection choice, and waiting with a deadline.
#include "client/src/client_core.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace shardcache::detail {

ClientCore::ClientCore(ClientOptions opts) : opts_(std::move(opts)) {
  opts_.pool_size = std::max<size_t>(1, opts_.pool_size);
  opts_.io_threads = std::clamp<size_t>(opts_.io_threads, 1, opts_.pool_size);
  for (size_t i = 0; i < opts_.io_threads; ++i) {
    ios_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*ios_.back()));
  }
  if (opts_.near_cache.enabled) {
    near_ = std::make_unique<NearCache>(opts_.near_cache);
    hooks_.on_push = [this](const protocol::Reply& p) { on_push(p); };
    hooks_.on_reset = [this] { near_->flush(); };
    hooks_.on_refused = [this](const std::string& why) {
      if (!refusal_logged_.exchange(true))
        spdlog::warn("shardcache: near cache off on {}: {}", opts_.address(), why);
    };
  }
  for (size_t i = 0; i < opts_.pool_size; ++i)
    conns_.push_back(std::make_unique<Connection>(*ios_[i % ios_.size()], opts_, near_ ? &hooks_ : nullptr));
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

// `>2 invalidate [key ...]`, or `>2 invalidate (null)` when the server dropped everything.
void ClientCore::on_push(const protocol::Reply& push) {
  if (push.elements.size() < 2 || push.elements[0].str != "invalidate") return;
  const auto& keys = push.elements[1];
  if (keys.is_null()) return near_->flush();
  for (auto& k : keys.elements) near_->invalidate(k.str);
}

bool ClientCore::tracking_any() const {
  for (auto& c : conns_)
    if (c->state() == Connection::State::Ready && c->tracking()) return true;
  return false;
}

bool ClientCore::drain_pushes() const {
  const auto deadline = Clock::now() + opts_.command_timeout;
  for (auto& c : conns_)
    if (!c->drain(deadline)) return false;
  return true;
}

Result<std::vector<protocol::Reply>> ClientCore::run(std::string_view bytes, size_t n, const Connection** used) {
  auto call = std::make_shared<Call>(n);
  const auto deadline = Clock::now() + opts_.command_timeout;
  Connection& conn = pick();
  if (used) *used = &conn;
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
