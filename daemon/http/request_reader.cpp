// daemon/http/request_reader.cpp: http_parser callbacks -> HttpRequest (see request_reader.h).
#include "daemon/http/request_reader.h"

#include <algorithm>
#include <cstdint>

#include "base/ascii.h"

namespace shardcache::http {

void HttpRequest::clear() {
  method = HTTP_GET;
  url.clear();
  authorization.clear();
  encoding.clear();
  body.clear();
  keep_alive = true;
  upgrade = false;
}

RequestReader::RequestReader(size_t max_body, BodyBudget* budget) : max_body_(max_body), budget_(budget) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = on_message_begin;
  settings_.on_url = on_url;
  settings_.on_header_field = on_header_field;
  settings_.on_header_value = on_header_value;
  settings_.on_headers_complete = on_headers_complete;
  settings_.on_body = on_body;
  settings_.on_message_complete = on_message_complete;
}

RequestReader::~RequestReader() { release(); }

bool RequestReader::reserve(uint64_t n) {
  if (!budget_ || n == 0) return true;
  if (!budget_->try_reserve(n)) return false;
  reserved_ += n;
  return true;
}

void RequestReader::release() {
  if (budget_ && reserved_ > 0) budget_->release(reserved_);
  reserved_ = 0;
}

bool RequestReader::feed(std::string_view data, RequestSink& sink) {
  if (error_status_ != 0 || stop_) return false;
  sink_ = &sink;
  size_t done = http_parser_execute(&parser_, &settings_, data.data(), data.size());
  sink_ = nullptr;
  consumed_ = done;
  if (stop_ || error_status_ != 0) return false;
  if (paused_) return true;
  auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK) {
    if (err == HPE_HEADER_OVERFLOW) fail(431, "ERR request line and headers are too large");
    else fail(400, std::string("ERR malformed HTTP request: ") + http_errno_description(err));
    return false;
  }
  if (parser_.upgrade || done != data.size()) return false;  // the rest is not HTTP/1.1
  return true;
}

int RequestReader::fail(int status, std::string msg) {
  release();  // the request is abandoned
  error_status_ = status;
  error_ = std::move(msg);
  return -1;
}

int RequestReader::on_message_begin(http_parser* p) {
  auto* self = static_cast<RequestReader*>(p->data);
  self->req_.clear();
  self->field_.clear();
  self->value_.clear();
  self->in_value_ = false;
  self->expect_continue_ = false;
  self->in_message_ = true;
  self->headers_done_ = false;
  ++self->begun_;
  return 0;
}

int RequestReader::on_url(http_parser* p, const char* at, size_t n) {
  static_cast<RequestReader*>(p->data)->req_.url.append(at, n);
  return 0;
}

void RequestReader::commit_header() {
  if (base::iequals(field_, "authorization")) req_.authorization = value_;
  else if (base::iequals(field_, "upstash-encoding")) req_.encoding = value_;
  else if (base::iequals(field_, "expect")) expect_continue_ = base::iequals(value_, "100-continue");
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int RequestReader::on_header_field(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestReader*>(p->data);
  if (self->in_value_) self->commit_header();
  self->field_.append(at, n);
  return 0;
}

int RequestReader::on_header_value(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestReader*>(p->data);
  self->in_value_ = true;
  self->value_.append(at, n);
  return 0;
}

int RequestReader::on_headers_complete(http_parser* p) {
  auto* self = static_cast<RequestReader*>(p->data);
  if (self->in_value_) self->commit_header();
  self->req_.method = static_cast<http_method>(p->method);
  self->req_.upgrade = p->upgrade != 0;
  self->headers_done_ = true;
  if (int rc = self->admit_body(p); rc != 0) return rc;
  if (self->expect_continue_ && self->sink_) self->sink_->on_continue();
  return 0;
}

int RequestReader::admit_body(http_parser* p) {
  // The sink first (auth): a refused request costs no body byte and learns nothing of the limits.
  std::string msg;
  if (int status = sink_ ? sink_->on_headers(req_, msg) : 0; status != 0) return fail(status, std::move(msg));
  bool has_length = (p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX;
  if (has_length && p->content_length > max_body_)
    return fail(413, "ERR request body too large (" + std::to_string(p->content_length) + " bytes; the limit is " +
                         std::to_string(max_body_) + ")");
  if (has_length && !reserve(p->content_length))
    return fail(503, "ERR too many request body bytes in flight (http-max-inflight-body is " +
                         std::to_string(budget_->limit()) + "); retry later");
  if (has_length) req_.body.reserve(std::min<uint64_t>(p->content_length, 1024 * 1024));  // grows past 1 MB as it arrives
  return 0;
}

int RequestReader::on_body(http_parser* p, const char* at, size_t n) {
  auto* self = static_cast<RequestReader*>(p->data);
  if (self->req_.body.size() + n > self->max_body_)
    return self->fail(413, "ERR request body too large (the limit is " + std::to_string(self->max_body_) + " bytes)");
  if ((p->flags & F_CHUNKED) != 0 && !self->reserve(n))  // a length-less body reserves as it comes
    return self->fail(503, "ERR too many request body bytes in flight (http-max-inflight-body is " +
                               std::to_string(self->budget_->limit()) + "); retry later");
  self->req_.body.append(at, n);
  return 0;
}

int RequestReader::on_message_complete(http_parser* p) {
  auto* self = static_cast<RequestReader*>(p->data);
  self->in_message_ = false;
  self->headers_done_ = false;
  self->req_.keep_alive = http_should_keep_alive(p) != 0 && !self->req_.upgrade;
  if (!self->sink_->on_request(self->req_) || !self->req_.keep_alive) {
    self->stop_ = true;
    http_parser_pause(p, 1);
  } else if (self->pause_requested_) {
    self->paused_ = true;  // the body stays in use (and reserved) until resume()
    http_parser_pause(p, 1);
    return 0;
  }
  self->release();
  return 0;
}

void RequestReader::resume() {
  if (!paused_) return;
  paused_ = false;
  pause_requested_ = false;
  release();
  http_parser_pause(&parser_, 0);
}

}  // namespace shardcache::http
