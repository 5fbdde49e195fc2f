// daemon/net/resp_session.cpp: the RESP connection loop (read -> parse all -> dispatch -> one write).
#include "daemon/net/resp_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "daemon/commands/command_table.h"

namespace shardcache::net {

namespace {
constexpr size_t kShrinkArgsAbove = 4096;  // parsed-ahead argument slots kept between reads
constexpr size_t kPrefetchAhead = 16;  // requests whose keys are hinted at once (a redis-benchmark -P 16 batch)
constexpr size_t kFlushEvery = 1024 * 1024;  // while a batch runs, send replies each time this much has piled up
constexpr size_t kIdleOutputKept = 4096;     // an idle connection keeps at most this much output capacity
}  // namespace

size_t input_buffer_target(size_t size, size_t pos, size_t len, size_t need, size_t limit) {
  if (need == 0 || need > limit || need <= size - pos) return size;
  return std::max(size, std::min(pos + need, 2 * len));
}

RespSession::RespSession(asio::ip::tcp::socket sock, commands::ServerState& state, std::atomic<size_t>& live,
                         size_t thread, server::BufferPool& pool)
    : Session(std::move(sock), state, live, thread), pool_(pool), sink_(out_, *client_) {}

void RespSession::start() {
  std::error_code ec;
  describe_client();
  if (commands::protected_mode_denies(state_, client_->addr)) {  // Redis: refuse with DENIED, then close
    std::string msg = "-" + std::string(commands::kProtectedModeDenied) + "\r\n";
    asio::write(sock_, asio::buffer(msg), ec);
    // Input already here is read first: closing with unread input would send a reset, which can
    // make the client lose the reply.
    std::array<char, 4096> sink;
    for (int i = 0; i < 16 && sock_.available(ec) > 0 && !ec; ++i) sock_.read_some(asio::buffer(sink), ec);
    sock_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    sock_.close(ec);
    return;
  }
  client_->authenticated = state_.config.get_requirepass().empty();
  client_->rbuf_peak.store(static_cast<uint32_t>(kInitialBuffer), std::memory_order_relaxed);
  std::weak_ptr<RespSession> weak = self_as<RespSession>();
  auto exec = sock_.get_executor();
  client_->if_idle = [weak, exec](commands::ClientState::IdleAction what, int64_t idle_ms) {
    asio::post(exec, [weak, what, idle_ms] {
      auto self = weak.lock();
      if (!self) return;
      if (what == commands::ClientState::IdleAction::Close) self->close_if_idle(idle_ms);
      else self->trim_if_idle(idle_ms);
    });
  };
  client_->push = [weak, exec](state::TrackingMessage m) {
    asio::post(exec, [weak, m = std::move(m)] {
      if (auto self = weak.lock()) self->deliver(m);
    });
  };
  register_client();
  ts_.connections.fetch_add(1, std::memory_order_relaxed);
  apply_parser_limits();
  sink_.error_stats = &state_.errors;  // a protocol error before the first command counts too
  read_more(self_as<RespSession>());
}

void RespSession::apply_parser_limits() {
  protocol::ParserLimits limits{static_cast<size_t>(state_.config.proto_max_bulk_len.load()), 64 * 1024, 1024 * 1024};
  // Redis 7: before AUTH, at most 10 arguments and 16 KB bulks (no one buffers much unauthenticated).
  limits_unauth_ = !client_->authenticated;
  if (limits_unauth_) {
    limits.unauth_max_args = 10;
    limits.unauth_max_bulk_len = 16384;
  }
  parser_.set_limits(limits);
}

void RespSession::read_more(Ref self) {
  if (closing_) return;
  if (len_ == in_size()) grow_input(in_size() * 2);  // no complete request in a full buffer
  reading_ = true;
  if (!out_.empty()) wait_writable();  // pushes the socket did not take yet
  sock_.async_read_some(asio::buffer(in_data() + len_, in_size() - len_),
                        [self = std::move(self)](std::error_code ec, size_t n) mutable {
                          RespSession* c = self.get();
                          c->on_read(ec, n, std::move(self));
                        });
}

void RespSession::on_read(std::error_code ec, size_t n, Ref self) {
  reading_ = false;
  if (ec) return close();
  read_filled_ = len_ + n == in_size();
  len_ += n;
  if (read_filled_ && in_.empty()) n += read_on_into_pooled();
  note_input_buffer();
  count_input(n);
  client_->last_interaction_ms.store(store::unix_ms(), std::memory_order_relaxed);
  handle_input(std::move(self));
}

size_t RespSession::read_on_into_pooled() {
  grow_input(kInitialBuffer);
  std::error_code ec;  // an error or end of input shows again at the next read
  size_t n = sock_.read_some(asio::buffer(in_.data() + len_, in_.size() - len_), ec);
  if (ec) n = 0;
  read_filled_ = len_ + n == in_.size();
  len_ += n;
  return n;
}

void RespSession::handle_input(Ref self) {
  bool keep = process_input();
  if (!closing_ && len_ == 0 && !read_filled_ && !client_->continuation) release_idle_buffers();
  note_input_buffer();
  publish_memory();
  commands::evict_clients_if_needed(state_);
  if (!keep) closing_ = true;
  if (len_ > state_.config.client_query_buffer_limit.load(std::memory_order_relaxed)) {
    spdlog::warn("closing client {}: query buffer over client-query-buffer-limit", client_->addr);
    closing_ = true;
  }
  if (client_->continuation) return step_command(std::move(self), sink_);
  flush_and_continue(std::move(self));
}

void RespSession::command_replied(Ref self) {
  if (closing_) return flush_and_continue(std::move(self));  // killed meanwhile: just close
  handle_input(std::move(self));
}

bool RespSession::process_input() {
  size_t pos = 0;
  commands::CmdContext ctx{state_, *client_, ts_};
  bool keep = true;
  // Requests parsed ahead in one pass (parse_batch): their keys are hinted to the store at once
  // so their memory is on its way while earlier requests run (pipelines). A batch is dropped
  // when the parser's limits change (AUTH, HELLO AUTH, RESET): the rest is parsed again.
  std::array<protocol::RequestParser::BatchedRequest, kPrefetchAhead> batch;
  size_t batch_n = 0, batch_i = 0, batch_start = 0;
  reset_output_check();
  while (pos < len_) {
    if (limits_unauth_ == client_->authenticated) {  // AUTH, HELLO AUTH or RESET ran
      apply_parser_limits();
      batch_n = batch_i = 0;
    }
    if (batch_i == batch_n) {
      batch_start = pos;
      batch_i = 0;
      batch_n = parser_.parse_batch(std::string_view(in_data() + pos, len_ - pos), batch_args_, batch);
      if (batch_n > 1) {  // one request: no overlap to gain
        std::array<std::string_view, kPrefetchAhead> keys;
        for (size_t i = 0; i < batch_n; ++i)
          keys[i] = commands::first_key(commands::Args(batch_args_.data() + batch[i].first_arg, batch[i].argc));
        commands::prefetch_keys(state_, std::span(keys.data(), batch_n));
      }
    }
    if (batch_i < batch_n) {
      const auto& req = batch[batch_i++];
      pos = batch_start + req.end;
      if (req.argc > 0)
        commands::dispatch(ctx, commands::Args(batch_args_.data() + req.first_arg, req.argc), sink_);
    } else {
      auto st = parser_.parse(std::string_view(in_data() + pos, len_ - pos));
      if (st == protocol::ParseStatus::Incomplete) {
        const size_t target = input_buffer_target(in_size(), pos, len_, parser_.bytes_needed(),
                                                  state_.config.client_query_buffer_limit.load());
        if (target > in_size()) grow_input(target);
        break;
      }
      if (st == protocol::ParseStatus::Error) {
        // As Redis's addReplyError: not sent under CLIENT REPLY OFF or SKIP (the connection
        // still closes; Redis leaves it open, reading nothing more).
        if (!(client_->reply_mode & (commands::ClientState::kReplyOff | commands::ClientState::kReplySkip)))
          sink_.error("ERR " + parser_.error());
        keep = false;
        pos = len_;
        break;
      }
      pos += parser_.consumed();
      const auto& args = parser_.args();
      if (!args.empty()) commands::dispatch(ctx, commands::Args(args.data(), args.size()), sink_);
    }
    if ((out_.size() >= check_at_ || sink_.over()) && !output_grown()) [[unlikely]] {
      keep = false;
      pos = len_;
      break;
    }
    if (client_->continuation) break;  // later commands wait for its reply
    if (client_->close_after_reply) {
      keep = false;
      pos = len_;
      break;
    }
  }
  // Keep the unparsed tail at the front of the buffer.
  if (pos > 0) {
    if (pos < len_) std::memmove(in_data(), in_data() + pos, len_ - pos);
    len_ -= pos;
  }
  if (len_ == 0 && in_.size() > kShrinkAbove) server::IoBuffer(kInitialBuffer).swap(in_);
  if (batch_args_.capacity() > kShrinkArgsAbove) std::vector<std::string_view>().swap(batch_args_);  // after a huge MSET
  return keep;
}

void RespSession::output_sent(Ref self, bool waited) {
  if (waited) publish_memory();
  if (closing_) return close();
  if (!push_pending_.empty()) {  // invalidations that came while the write was in flight
    out_.swap(push_pending_);
    push_pending_.clear();
    return send_output(std::move(self));
  }
  read_more(std::move(self));
}

void RespSession::reset_output_check() {
  const uint64_t hard = state_.config.obuf_limits[0].hard.load(std::memory_order_relaxed);
  sink_.set_stop_at(hard ? hard : SIZE_MAX);
  check_at_ = std::min<uint64_t>(commands::OutputLimit::threshold(state_.config), out_.size() + kFlushEvery);
}

bool RespSession::output_grown() {
  if (closing_) {  // already closing: its replies are never sent
    out_.clear();
    return false;
  }
  if (sink_.over() || out_limit_.over(state_.config, out_.size(), store::unix_ms())) {
    close_for_output_limit();
    return false;
  }
  if (out_.size() >= kFlushEvery) {  // send what the socket takes now: a reading client's replies do not pile up
    std::error_code ec;
    size_t written = sock_.write_some(asio::buffer(out_), ec);
    if (written > 0) {
      count_output(written);
      out_.erase(0, written);
    }
  }
  reset_output_check();
  return true;
}

void RespSession::close_for_output_limit(bool write_pending) {
  client_->out_pending.store(static_cast<uint32_t>(std::min<size_t>(out_.size() - out_off_, UINT32_MAX)), std::memory_order_relaxed);
  client_->out_mem.store(out_.capacity(), std::memory_order_relaxed);
  commands::note_output_limit_close(state_, *client_);
  if (!write_pending) std::string().swap(out_);  // else the write's buffer: freed with the connection
  closing_ = true;
}

bool RespSession::watch_soft_limit(bool write_pending) {
  const auto& l = state_.config.obuf_limits[0];
  const uint64_t pending = out_.size() - out_off_;
  if (l.soft.load() == 0 || pending < l.soft.load()) return true;
  if (out_limit_.over(state_.config, pending, store::unix_ms())) {
    close_for_output_limit(write_pending);
    return false;
  }
  if (!soft_timer_) soft_timer_ = std::make_unique<asio::steady_timer>(sock_.get_executor());
  const int64_t due = out_limit_.soft_since_ms() + static_cast<int64_t>(l.soft_seconds.load()) * 1000 + 1;
  soft_timer_->expires_after(std::chrono::milliseconds(std::max<int64_t>(due - store::unix_ms(), 1)));
  std::weak_ptr<RespSession> weak = self_as<RespSession>();
  soft_timer_->async_wait([weak](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closing_ || self->client_->out_pending.load(std::memory_order_relaxed) == 0) return;
    if (!self->watch_soft_limit(true)) self->close();  // the pending write completes aborted
  });
  return true;
}

void RespSession::release_idle_buffers() {
  if (!in_.empty()) pool_.give(in_);
  len_ = 0;
  if (out_.empty() && out_.capacity() > kIdleOutputKept) std::string().swap(out_);
}

void RespSession::publish_memory() {
  client_->out_mem.store(out_.capacity(), std::memory_order_relaxed);
  commands::publish_client_memory(*client_, in_.size() + out_.capacity() + batch_args_.capacity() * sizeof(std::string_view));
}

void RespSession::grow_input(size_t size) {
  if (in_.empty()) {
    in_ = pool_.take();
    std::memcpy(in_.data(), inline_in_.data(), len_);
  }
  if (size > in_.size()) in_.resize(size);
  const auto peak = static_cast<uint32_t>(std::min<size_t>(size, UINT32_MAX));
  if (peak > client_->rbuf_peak.load(std::memory_order_relaxed)) client_->rbuf_peak.store(peak, std::memory_order_relaxed);
}

void RespSession::close_if_idle(int64_t max_idle_ms) {
  // Not idle: closing or running a stepped command. A reply waiting for the socket does not
  // count (as in Redis): only the client reading it moves last_interaction_ms (Session::written).
  if (closing_ || client_->continuation) return;
  if (store::unix_ms() - client_->last_interaction_ms.load(std::memory_order_relaxed) <= max_idle_ms) return;
  spdlog::debug("Closing idle client");  // Redis logs this at verbose
  close();
}

void RespSession::trim_if_idle(int64_t min_idle_ms) {
  if (closing_ || client_->continuation || !out_.empty() || len_ > 0) return;
  if (store::unix_ms() - client_->last_interaction_ms.load(std::memory_order_relaxed) <= min_idle_ms) return;
  std::string().swap(out_);
  std::vector<std::string_view>().swap(batch_args_);
  publish_memory();
}

void RespSession::deliver(const state::TrackingMessage& m) {
  if (closing_) return;
  const int proto = client_->proto.load(std::memory_order_relaxed);
  std::string bytes;
  protocol::ReplyWriter w(bytes, proto);
  if (m.kind == state::TrackingMessage::Kind::RedirBroken) {  // Redis: RESP3 only
    if (proto < 3) return;
    w.push(2);
    w.bulk("tracking-redir-broken");
    w.integer(static_cast<long long>(m.redirect));
  } else {
    if (proto >= 3) {
      w.push(2);
      w.bulk("invalidate");
    } else if (m.via_redirect && !client_->channels.empty()) {  // RESP2: a pub/sub message
      w.array(3);
      w.bulk("message");
      w.bulk("__redis__:invalidate");
    } else {
      return;  // RESP2 without subscriptions has no way to receive it (as Redis)
    }
    if (m.all) {
      w.null();
    } else {
      w.array(m.keys.size());
      for (const auto& k : m.keys) w.bulk(k);
    }
  }
  if (reading_) {
    // Waiting for input, nothing in flight: send now. What the socket does not take stays in
    // out_ ahead of the next replies, and goes when the socket is writable.
    out_.append(bytes);
    const long written = write_now(out_);
    if (written < 0) return close();
    if (!out_.empty()) {
      if (out_limit_.over(state_.config, out_.size(), store::unix_ms())) {
        close_for_output_limit();
        return close();
      }
      wait_writable();
    }
    publish_memory();
  } else if (client_->continuation) {
    out_.append(bytes);  // goes with the sliced command's replies
  } else {
    push_pending_.append(bytes);  // a write is in flight: after it
  }
}

void RespSession::wait_writable() {
  if (push_wait_ || closing_) return;
  push_wait_ = true;
  std::weak_ptr<RespSession> weak = self_as<RespSession>();
  sock_.async_wait(asio::ip::tcp::socket::wait_write, [weak](std::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->push_wait_ = false;
    // Only while the connection still waits for input: otherwise its replies path owns out_.
    if (ec || self->closing_ || !self->reading_ || self->out_.empty()) return;
    if (self->write_now(self->out_) < 0) return self->close();
    if (!self->out_.empty()) self->wait_writable();
  });
}

void RespSession::close() {
  closing_ = true;
  if (soft_timer_) soft_timer_->cancel();
  std::error_code ec;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock_.close(ec);
}

}  // namespace shardcache::net
