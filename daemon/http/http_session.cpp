// daemon/http/http_session.cpp: the HTTP connection loop (see http_session.h).
#include "daemon/http/http_session.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "daemon/commands/client_memory.h"

namespace shardcache::http {
namespace {

constexpr size_t kReadBuffer = 16 * 1024;
constexpr size_t kIdleOutputKept = 4096;  // output capacity a connection keeps between requests
constexpr auto kLingerTime = std::chrono::seconds(2);  // after deciding to close: read and discard
constexpr size_t kMaxDrain = 1ull << 30;                // for at most this long, or this many bytes

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket sock, std::shared_ptr<HttpShared> shared, std::atomic<size_t>& live,
                         size_t thread)
    : Session(std::move(sock), shared->state, live, thread), shared_(std::move(shared)),
      reader_(shared_->max_body, &shared_->body_budget), handler_(*shared_, *client_, thread),
      linger_timer_(sock_.get_executor()), deadline_timer_(sock_.get_executor()) {
  shared_->connections.fetch_add(1);
}

HttpSession::~HttpSession() { shared_->connections.fetch_sub(1); }

void HttpSession::start() {
  describe_client();
  client_->set_lib_name("http");
  register_client();
  shared_->stats[thread() % shared_->stats.size()]->connections.fetch_add(1, std::memory_order_relaxed);
  read_more();
}

void HttpSession::read_more() {
  if (closed_ || reading_) return;  // a 408 answered while a read waits: that read goes on
  if (!lingering_) update_deadline();
  reading_ = true;
  if (in_.empty()) return wait_readable();
  sock_.async_read_some(asio::buffer(in_), [self = self_as<HttpSession>()](std::error_code ec, size_t n) { self->on_read(ec, n); });
}

void HttpSession::wait_readable() {
  sock_.async_wait(asio::ip::tcp::socket::wait_read, [self = self_as<HttpSession>()](std::error_code ec) { self->on_readable(ec); });
}

void HttpSession::on_readable(std::error_code ec) {
  if (ec || closed_) return close();
  in_.resize(kReadBuffer);
  std::error_code rec;
  size_t n = sock_.read_some(asio::buffer(in_), rec);
  if (rec == asio::error::would_block || rec == asio::error::try_again) {
    server::IoBuffer().swap(in_);
    return wait_readable();
  }
  on_read(rec, n);
}

void HttpSession::on_read(std::error_code ec, size_t n) {
  reading_ = false;
  if (ec || closed_) return close();
  read_filled_ = n == in_.size();
  if (lingering_ || closing_) {  // discarding what a client sends after we decided to close
    drained_ += n;
    if (drained_ > kMaxDrain) return close();
    return read_more();
  }
  client_->last_interaction_ms.store(store::unix_ms(), std::memory_order_relaxed);
  count_input(n);
  process(std::string_view(in_.data(), n));
}

void HttpSession::process(std::string_view data) {
  bool ok = reader_.feed(data, *this);
  if (reader_.paused()) {
    pending_input_.assign(data.substr(reader_.consumed()));
    return continue_request();
  }
  if (!ok) {
    if (int status = reader_.error_status(); status != 0) {
      HttpResponse res;
      rapidjson::StringBuffer body;
      rapidjson::Writer<rapidjson::StringBuffer> w(body);
      w.StartObject();
      w.Key("error");
      w.String(reader_.error_message().c_str());
      w.EndObject();
      res.status = status;
      res.body = std::string_view(body.GetString(), body.GetSize());
      append_response(res, false, false);
      count(status);
    }
    closing_ = true;
  }
  flush_and_continue();
}

bool HttpSession::on_request(HttpRequest& req) {
  handler_.handle(req, res_);
  if (handler_.pending()) {
    paused_head_ = req.method == HTTP_HEAD;
    paused_keep_alive_ = req.keep_alive;
    reader_.pause();
    return true;
  }
  bool keep = answer(req.method == HTTP_HEAD, req.keep_alive);
  if (req.body.capacity() > kShrinkAbove) std::string().swap(req.body);
  return keep;
}

bool HttpSession::answer(bool head, bool keep_alive) {
  const uint64_t hard = shared_->state.config.obuf_limits[0].hard.load(std::memory_order_relaxed);
  if (res_.over_limit || (hard && out_.size() + res_.body.size() >= hard)) {
    commands::note_output_limit_close(shared_->state, *client_);
    std::string().swap(out_);
    close();  // nothing of this connection's answers is sent
    return false;
  }
  bool keep = keep_alive && !res_.close && !client_->close_after_reply;
  append_response(res_, head, keep);
  count(res_.status);
  if (!keep) closing_ = true;
  return keep;
}

void HttpSession::command_replied(std::shared_ptr<HttpSession> self) {
  if (!handler_.resume(res_)) return step_command(std::move(self), handler_.sink());  // a later command is sliced too
  if (closed_) return;
  bool keep = answer(paused_head_, paused_keep_alive_);
  reader_.resume();
  std::string rest = std::move(pending_input_);
  pending_input_.clear();
  if (!keep || rest.empty()) return flush_and_continue();
  process(rest);
}

void HttpSession::on_continue() { out_ += "HTTP/1.1 100 Continue\r\n\r\n"; }

void HttpSession::append_response(const HttpResponse& res, bool head, bool keep_alive) {
  out_ += "HTTP/1.1 ";
  out_ += std::to_string(res.status);
  out_ += ' ';
  out_ += status_text(res.status);
  out_ += "\r\nContent-Type: ";
  out_ += res.content_type;
  out_ += "\r\nContent-Length: ";
  out_ += std::to_string(res.body.size());
  if (!res.allow.empty()) out_.append("\r\nAllow: ").append(res.allow);
  out_ += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  if (!head) out_ += res.body;
}

void HttpSession::count(int status) {
  shared_->stats[thread() % shared_->stats.size()]->by_status[status_slot(status)].fetch_add(1, std::memory_order_relaxed);
}

bool HttpSession::output_waits() {
  publish_memory();  // what waits for the socket counts for maxmemory-clients meanwhile
  return true;
}

void HttpSession::after_flush() {
  if (!read_filled_ && pending_input_.empty()) server::IoBuffer().swap(in_);  // idle: no read buffer held
  if (out_.empty() && out_.capacity() > kIdleOutputKept) std::string().swap(out_);
  publish_memory();
  if (closing_) return linger();
  read_more();
}

void HttpSession::publish_memory() {
  client_->out_mem.store(out_.capacity(), std::memory_order_relaxed);
  client_->qbuf_free.store(static_cast<uint32_t>(in_.size()), std::memory_order_relaxed);
  commands::publish_client_memory(*client_, in_.size() + out_.capacity());
  commands::evict_clients_if_needed(shared_->state);
}

void HttpSession::linger() {
  if (lingering_ || closed_) return;
  lingering_ = true;
  std::error_code ec;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  linger_timer_.expires_after(kLingerTime);
  linger_timer_.async_wait([self = self_as<HttpSession>()](std::error_code e) {
    if (!e) self->close();
  });
  read_more();
}

void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  linger_timer_.cancel();
  deadline_timer_.cancel();
  sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock_.close(ec);
}

int HttpSession::on_headers(const HttpRequest& req, std::string& message) {
  return handler_.check_headers(req, message);
}

void HttpSession::update_deadline() {
  using namespace std::chrono;
  const auto& cfg = shared_->state.config;
  Wait w = !reader_.mid_request() ? Wait::Idle : reader_.in_body() ? Wait::Body : Wait::Headers;
  uint64_t req = reader_.requests_begun();
  // Between requests every read restarts the idle wait; within one, only a new phase does.
  if (w == Wait::Idle || w != wait_ || req != wait_request_) {
    wait_ = w;
    wait_request_ = req;
    uint64_t secs = (w == Wait::Idle ? cfg.http_idle_timeout : w == Wait::Headers ? cfg.http_header_timeout
                                                                                   : cfg.http_body_timeout).load();
    deadline_ = secs == 0 ? steady_clock::time_point::max()
                          : steady_clock::now() + seconds(std::min<uint64_t>(secs, 100ull * 365 * 86400));
  }
  arm_deadline();
}

void HttpSession::arm_deadline() {
  if (deadline_armed_ || deadline_ == std::chrono::steady_clock::time_point::max()) return;
  deadline_armed_ = true;
  deadline_timer_.expires_at(deadline_);
  deadline_timer_.async_wait([self = self_as<HttpSession>()](std::error_code ec) {
    self->deadline_armed_ = false;
    if (!ec) self->on_deadline();
  });
}

void HttpSession::on_deadline() {
  if (closed_ || lingering_) return;
  auto now = std::chrono::steady_clock::now();
  if (now < deadline_) return arm_deadline();  // moved later since the timer was set
  if (handler_.pending()) {                     // answering: not waiting for the client
    deadline_ = now + std::chrono::seconds(1);
    return arm_deadline();
  }
  if (!out_.empty()) return on_write_deadline(now);
  if (closing_) return;                         // its 408 or error answer has gone out
  if (wait_ == Wait::Idle) return close();      // keep-alive connection unused too long
  HttpResponse res;
  res.status = 408;
  res.body = wait_ == Wait::Headers ? R"({"error":"ERR request headers not received within http-header-timeout"})"
                                    : R"({"error":"ERR request body not received within http-body-timeout"})";
  append_response(res, false, false);
  count(408);
  closing_ = true;
  flush_and_continue();
}

void HttpSession::on_write_deadline(std::chrono::steady_clock::time_point now) {
  // The connection waits for its client to read: http-idle-timeout, from the last byte it took.
  using namespace std::chrono;
  const uint64_t secs = shared_->state.config.http_idle_timeout.load();
  if (secs == 0) {
    deadline_ = now + seconds(1);
    return arm_deadline();
  }
  deadline_ = write_progress_ + seconds(std::min<uint64_t>(secs, 100ull * 365 * 86400));
  if (now >= deadline_) return close();  // the pending write completes aborted
  arm_deadline();
}

}  // namespace shardcache::http
