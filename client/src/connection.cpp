// client/src/connection.cpp: the pooled connection: lazy connect with timeout and backoff,
// the pipelined handshake, batched writes, in-order reply dispatch, and failure handling.
// Every reset bumps a generation under the mutex; I/O handlers carry the generation they
// started in and drop their results when it is no longer current, so a late reply can never
// be handed to a call queued after the reset.
#include "client/src/connection.h"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "protocol/request_writer.h"

namespace shardcache::detail {

void Call::complete() {
  {
    std::lock_guard lk(m_);
    done_ = true;
  }
  cv_.notify_all();
}

bool Call::wait_until(Clock::time_point deadline) {
  std::unique_lock lk(m_);
  return cv_.wait_until(lk, deadline, [&] { return done_; });
}

namespace {
void fail_all(std::deque<std::shared_ptr<Call>>& calls, const Error& e) {
  for (auto& c : calls) {
    c->error = e;
    c->complete();
  }
}
}  // namespace

Connection::Connection(asio::io_context& io, const ClientOptions& opts, const TrackingHooks* hooks)
    : io_(io), opts_(opts), hooks_(hooks), socket_(io), resolver_(io), connect_timer_(io) {}

std::chrono::milliseconds Connection::backoff(unsigned attempts) const {
  auto d = opts_.reconnect_min;
  for (unsigned i = 1; i < attempts && d < opts_.reconnect_max; ++i) d *= 2;
  return std::min(d, opts_.reconnect_max);
}

void Connection::set_state_locked(State s) {
  state_ = s;
  state_view_.store(s, std::memory_order_release);
  if (s != State::Ready) {
    direct_fd_ = -1;  // the socket is about to close or be replaced
    fd_view_.store(-1, std::memory_order_release);
  }
}

size_t Connection::send_direct_locked(std::string_view bytes) {
  if (direct_fd_ < 0) return 0;
  const ssize_t n = ::send(direct_fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

void Connection::submit(std::string_view bytes, const std::shared_ptr<Call>& call) {
  std::optional<Error> refuse;
  {
    std::lock_guard lk(mu_);
    if (state_ == State::Shutdown) {
      refuse = Error{ErrorCode::Closed, "the client is shutting down"};
    } else if (state_ == State::Down && Clock::now() < next_attempt_) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - Clock::now());
      refuse = Error{ErrorCode::Unavailable, "not connected to " + opts_.address() + " (" + last_error_ +
                                                 "); next attempt in " + std::to_string(wait.count()) + " ms"};
    } else {
      if (state_ == State::Down) {
        set_state_locked(State::Connecting);
        asio::post(io_, [this, gen = gen_] { start_connect(gen); });
      }
      // An idle connection (no call in flight): the caller sends at once. Otherwise the I/O
      // thread writes whatever callers queued meanwhile in one write (automatic pipelining).
      if (pending_.empty() && state_ == State::Ready && !writing_ && !kick_posted_ && outbox_.empty())
        bytes.remove_prefix(send_direct_locked(bytes));
      pending_.push_back(call);
      if (!bytes.empty()) outbox_.append(bytes);
      if (state_ == State::Ready && !writing_ && !kick_posted_ && !outbox_.empty()) {
        kick_posted_ = true;
        asio::post(io_, [this] { start_write(); });
      }
    }
  }
  if (refuse) {
    call->error = std::move(refuse);
    call->complete();
  }
}

void Connection::close_transport() {
  asio::error_code ignored;
  socket_.close(ignored);
  connect_timer_.cancel();
  resolver_.cancel();
  write_buf_.clear();
  rbuf_.clear();
  rpos_ = 0;
  reader_.reset();
  parsed_total_.store(rx_total_.load(std::memory_order_acquire), std::memory_order_release);  // unparsed bytes are gone
}

void Connection::start_connect(uint64_t gen) {
  if (!current(gen)) return;
  close_transport();
  io_gen_ = gen;
  connect_timer_.expires_after(opts_.connect_timeout);
  connect_timer_.async_wait([this, gen](const asio::error_code& ec) {
    if (ec || !current(gen)) return;
    fail(Error{ErrorCode::Timeout, "connect to " + opts_.address() + " timed out after " +
                                       std::to_string(opts_.connect_timeout.count()) + " ms"},
         gen, /*only_while_connecting=*/true);
  });
  resolver_.async_resolve(opts_.host, std::to_string(opts_.port),
                          [this, gen](const asio::error_code& ec, asio::ip::tcp::resolver::results_type results) {
                            if (!current(gen)) return;
                            if (ec) return fail(Error{ErrorCode::Io, "resolve " + opts_.host + ": " + ec.message()}, gen);
                            asio::async_connect(socket_, results,
                                                [this, gen](const asio::error_code& ec2, const asio::ip::tcp::endpoint&) {
                                                  on_connected(ec2, gen);
                                                });
                          });
}

void Connection::on_connected(const asio::error_code& ec, uint64_t gen) {
  if (!current(gen)) return;
  if (ec) return fail(Error{ErrorCode::Io, "connect to " + opts_.address() + ": " + ec.message()}, gen);
  connect_timer_.cancel();
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  spdlog::debug("shardcache: connected to {}", opts_.address());
  queue_handshake(gen);
  start_read(gen);
  start_write();
}

/// Puts the handshake commands in front of everything queued while connecting, so they go
/// out in the same first write as the callers' requests (no extra round trip).
void Connection::queue_handshake(uint64_t gen) {
  std::string bytes;
  protocol::RequestWriter w(bytes);
  std::vector<std::shared_ptr<Call>> calls;
  auto add = [&](std::function<void(const Call&)> done) {
    calls.push_back(std::make_shared<Call>(1));
    calls.back()->on_done = std::move(done);
  };
  const std::string addr = opts_.address();
  auto warn_on_error = [addr](const char* what) {
    return [addr, what](const Call& c) {
      if (!c.error && !c.replies.empty() && c.replies[0].is_error())
        spdlog::warn("shardcache: {} on {} failed: {}", what, addr, c.replies[0].str);
    };
  };
  if (!opts_.password.empty()) {
    if (opts_.username.empty()) w.begin(2).arg("AUTH").arg(opts_.password);
    else w.begin(3).arg("AUTH").arg(opts_.username).arg(opts_.password);
    add(warn_on_error("AUTH"));
  }
  if (opts_.protocol == 3) {
    w.begin(2).arg("HELLO").arg("3");
    add([this](const Call& c) {
      bool resp3 = !c.error && !c.replies.empty() && !c.replies[0].is_error();
      proto_.store(resp3 ? 3 : 2, std::memory_order_relaxed);
      if (!resp3) spdlog::debug("shardcache: {} does not speak RESP3; using RESP2", opts_.address());
    });
  } else {
    proto_.store(2, std::memory_order_relaxed);
  }
  if (hooks_) {
    if (opts_.protocol == 3) {
      // Pipelined behind HELLO 3: its hook runs before any caller's reply is dispatched, so
      // tracking() is settled by the time a GET queued with the handshake completes.
      w.begin(3).arg("CLIENT").arg("TRACKING").arg("ON");
      add([this](const Call& c) {
        std::string why;
        if (c.error) why = c.error->message;
        else if (c.replies.empty() || c.replies[0].is_error()) why = c.replies.empty() ? "no reply" : c.replies[0].str;
        else if (proto_.load(std::memory_order_relaxed) != 3) why = "the server does not speak RESP3";
        if (why.empty()) tracking_ok_.store(true, std::memory_order_release);
        else if (hooks_->on_refused) hooks_->on_refused("CLIENT TRACKING ON: " + why);
      });
    } else if (hooks_->on_refused) {
      hooks_->on_refused("protocol=2: the near cache needs RESP3 invalidation pushes");
    }
  }
  if (opts_.db != 0) {
    w.begin(2).arg("SELECT").arg(static_cast<long long>(opts_.db));
    add(warn_on_error("SELECT"));
  }
  if (!opts_.client_name.empty()) {
    w.begin(3).arg("CLIENT").arg("SETNAME").arg(opts_.client_name);
    add(warn_on_error("CLIENT SETNAME"));
  }
  std::lock_guard lk(mu_);
  if (gen != gen_) return;
  outbox_.insert(0, bytes);
  pending_.insert(pending_.begin(), calls.begin(), calls.end());
  attempts_ = 0;
  set_state_locked(State::Ready);
  direct_fd_ = socket_.native_handle();
  fd_view_.store(direct_fd_, std::memory_order_release);
}

void Connection::start_write() {
  uint64_t gen;
  {
    std::lock_guard lk(mu_);
    kick_posted_ = false;
    if (state_ != State::Ready || writing_ || outbox_.empty()) return;
    write_buf_.swap(outbox_);
    writing_ = true;
    gen = gen_;
  }
  asio::async_write(socket_, asio::buffer(write_buf_), [this, gen](const asio::error_code& ec, size_t) {
    if (!current(gen)) return;
    if (ec) return fail(Error{ErrorCode::Io, "write to " + opts_.address() + ": " + ec.message()}, gen);
    write_buf_.clear();
    {
      std::lock_guard lk(mu_);
      if (gen != gen_) return;
      writing_ = false;
    }
    start_write();
  });
}

void Connection::start_read(uint64_t gen) {
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  } else if (rpos_ > 0) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
  // Read at least 16 KiB at a time, more while a large reply is arriving.
  const size_t chunk = std::max<size_t>(16384, rbuf_.size());
  const size_t old = rbuf_.size();
  rbuf_.resize(old + chunk);
  if (hooks_) return start_tracked_read(gen, old, chunk);
  socket_.async_read_some(asio::buffer(rbuf_.data() + old, chunk), [this, gen, old](const asio::error_code& ec, size_t n) {
    if (!current(gen)) return;
    rbuf_.resize(old + n);
    on_read(ec, gen);
  });
}

// Tracking connections read with their own recv() so that drain() can tell bytes still in the
// kernel (FIONREAD) from bytes already received: read_seq_ is odd while recv() runs.
void Connection::start_tracked_read(uint64_t gen, size_t old, size_t chunk) {
  socket_.async_wait(asio::socket_base::wait_read, [this, gen, old, chunk](const asio::error_code& ec) {
    if (!current(gen)) return;
    if (ec) {
      rbuf_.resize(old);
      return on_read(ec, gen);
    }
    read_seq_.fetch_add(1, std::memory_order_acq_rel);
    const ssize_t n = ::recv(socket_.native_handle(), rbuf_.data() + old, chunk, MSG_DONTWAIT);
    const int err = errno;
    if (n > 0) rx_total_.fetch_add(static_cast<uint64_t>(n), std::memory_order_acq_rel);
    read_seq_.fetch_add(1, std::memory_order_acq_rel);
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)) return start_tracked_read(gen, old, chunk);
    rbuf_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n == 0) return on_read(asio::error::eof, gen);
    if (n < 0) return on_read(asio::error_code(err, asio::system_category()), gen);
    on_read(asio::error_code(), gen);
  });
}

bool Connection::drain(Clock::time_point deadline) const {
  if (!hooks_) return true;
  // A connection that is not Ready was reset, and its reset flushed the near cache first.
  auto ready = [&] { return state_view_.load(std::memory_order_acquire) == State::Ready; };
  uint64_t target = 0;
  for (;;) {
    if (!ready()) return true;
    const int fd = fd_view_.load(std::memory_order_acquire);
    if (fd < 0) return true;
    const uint64_t s1 = read_seq_.load(std::memory_order_acquire);
    if ((s1 & 1) == 0) {
      const uint64_t rx = rx_total_.load(std::memory_order_acquire);
      int avail = 0;
      if (::ioctl(fd, FIONREAD, &avail) != 0) return !ready();
      if (read_seq_.load(std::memory_order_acquire) == s1) {
        target = rx + static_cast<uint64_t>(std::max(avail, 0));
        break;
      }
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  while (parsed_total_.load(std::memory_order_acquire) < target) {
    if (!ready()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

void Connection::on_read(const asio::error_code& ec, uint64_t gen) {
  if (ec) {
    std::string why = ec == asio::error::eof ? "connection closed by the server" : ec.message();
    return fail(Error{ErrorCode::Io, why + " (" + opts_.address() + ")"}, gen);
  }
  while (rpos_ < rbuf_.size()) {
    auto st = reader_.parse(std::string_view(rbuf_).substr(rpos_), reply_);
    if (st == protocol::ParseStatus::Incomplete) break;
    if (st == protocol::ParseStatus::Error)
      return fail(Error{ErrorCode::Protocol, "bad reply from " + opts_.address() + ": " + reader_.error()}, gen);
    const size_t used = reader_.consumed();
    rpos_ += used;
    dispatch(std::move(reply_), gen);
    reply_ = protocol::Reply{};
    if (!current(gen)) return;  // dispatch (or a timed-out caller) reset the connection
    // After the dispatch (a push is applied before drain() sees its bytes as parsed); a reset
    // connection's counters are evened by close_transport instead.
    if (hooks_) parsed_total_.fetch_add(used, std::memory_order_acq_rel);
  }
  start_read(gen);
}

void Connection::dispatch(protocol::Reply&& reply, uint64_t gen) {
  if (reply.type == protocol::Reply::Type::Push) {  // out-of-band RESP3 push: not a reply
    if (hooks_ && hooks_->on_push && current(gen)) hooks_->on_push(reply);
    return;
  }
  std::shared_ptr<Call> done;
  {
    std::lock_guard lk(mu_);
    if (gen != gen_) return;
    if (!pending_.empty()) {
      auto& front = pending_.front();
      front->replies.push_back(std::move(reply));
      if (front->replies.size() < front->expected) return;  // a batch waiting for more replies
      done = std::move(front);
      pending_.pop_front();
    }
  }
  if (!done) return fail(Error{ErrorCode::Protocol, "unexpected reply from " + opts_.address()}, gen);
  if (done->on_done) done->on_done(*done);
  done->complete();
}

void Connection::reset_locked(const Error& e, std::deque<std::shared_ptr<Call>>& failed) {
  if (state_ == State::Ready) {  // it worked before: the next call may reconnect at once
    next_attempt_ = Clock::now();
  } else {
    ++attempts_;
    next_attempt_ = Clock::now() + backoff(attempts_);
  }
  next_attempt_view_.store(next_attempt_.time_since_epoch().count(), std::memory_order_relaxed);
  if (hooks_ && state_ == State::Ready) {
    // Before the state says Down: drain() trusts a connection that is not Ready to have
    // flushed the near cache already (pushes sent to this socket may never be read).
    tracking_ok_.store(false, std::memory_order_release);
    if (hooks_->on_reset) hooks_->on_reset();
  }
  set_state_locked(State::Down);
  ++gen_;
  gen_view_.store(gen_, std::memory_order_release);
  last_error_ = e.message;
  failed.swap(pending_);
  outbox_.clear();
  writing_ = false;
}

void Connection::fail(const Error& e, uint64_t gen, bool only_while_connecting) {
  std::deque<std::shared_ptr<Call>> failed;
  {
    std::lock_guard lk(mu_);
    if (gen != gen_ || state_ == State::Shutdown) return;
    if (only_while_connecting && state_ != State::Connecting) return;
    reset_locked(e, failed);
  }
  close_transport();
  spdlog::debug("shardcache: {}", e.message);
  fail_all(failed, e);
}

void Connection::timed_out(const std::shared_ptr<Call>& call) {
  const Error e{ErrorCode::Timeout, "no reply from " + opts_.address() + " within " +
                                        std::to_string(opts_.command_timeout.count()) + " ms"};
  std::deque<std::shared_ptr<Call>> failed;
  {
    std::lock_guard lk(mu_);
    if (state_ == State::Shutdown || std::find(pending_.begin(), pending_.end(), call) == pending_.end()) return;
    const uint64_t old = gen_;
    reset_locked(e, failed);  // synchronously, so the caller's next call starts afresh
    asio::post(io_, [this, old] {
      if (io_gen_ == old) close_transport();
    });
  }
  spdlog::debug("shardcache: {}", e.message);
  fail_all(failed, e);
}

void Connection::shutdown() {
  std::deque<std::shared_ptr<Call>> failed;
  {
    std::lock_guard lk(mu_);
    set_state_locked(State::Shutdown);
    ++gen_;
    gen_view_.store(gen_, std::memory_order_release);
    failed.swap(pending_);
    outbox_.clear();
    asio::post(io_, [this] { close_transport(); });
  }
  fail_all(failed, Error{ErrorCode::Closed, "the client is shutting down"});
}

}  // namespace shardcache::detail
