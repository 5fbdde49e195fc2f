// daemon/http/request_reader.h: HTTP/1.1 request framing over Debian's http-parser (the
// node.js parser): feeds bytes as they arrive, collects the request line, the few headers the
// REST front end reads and the body, and hands every complete request on in order. Bodies over
// the limit are refused (413) as soon as the headers say so, before any of the body is read.
#pragma once
#include <http_parser.h>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/http/body_budget.h"

namespace shardcache::http {

/// One parsed request.
struct HttpRequest {
  http_method method = HTTP_GET;
  std::string url;            ///< request target as sent ("/set/k/v?_token=x")
  std::string authorization;  ///< Authorization header value
  std::string encoding;       ///< Upstash-Encoding header value
  std::string body;
  bool keep_alive = true;     ///< HTTP/1.1 default, Connection: close, HTTP/1.0 rules
  bool upgrade = false;       ///< an Upgrade/CONNECT request: answered, then the connection closes
  void clear();
};

/// What the reader calls as requests complete.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  /// A complete request. Return false to stop reading (the connection is closing).
  virtual bool on_request(HttpRequest& req) = 0;
  /// The client sent `Expect: 100-continue` and the body is acceptable: send the interim reply.
  virtual void on_continue() = 0;
  /// A request's headers are complete (url, authorization, method set; no body byte read yet).
  /// Return 0 to read the body, or a status (401) with `message` to refuse the request now.
  virtual int on_headers(const HttpRequest& /*req*/, std::string& /*message*/) { return 0; }
};

class RequestReader {
 public:
  /// `budget` (may be null: unbounded) is shared by every connection's reader.
  explicit RequestReader(size_t max_body, BodyBudget* budget = nullptr);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  /// Parses `data`, calling `sink` for each complete request. Returns false when reading must
  /// stop: a sink asked to stop, or the input is bad (then error_status() is not 0).
  bool feed(std::string_view data, RequestSink& sink);
  /// 400 (malformed), 401 (refused by on_headers), 413 (body too large), 431 (headers too
  /// large), 503 (the shared body budget is used up), or 0.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_; }
  /// True once some of a request has arrived but not all of it.
  bool mid_request() const { return in_message_; }
  /// True while a request's headers are complete and its body is still arriving.
  bool in_body() const { return in_message_ && headers_done_; }
  /// Requests begun so far (a new one restarts the connection's header deadline).
  uint64_t requests_begun() const { return begun_; }
  /// Bytes of the shared body budget this reader holds now.
  uint64_t reserved() const { return reserved_; }
  /// Called by the sink inside on_request: stop after this request (its answer is not ready
  /// yet). feed() then returns true with paused() set; the request stays valid, and the bytes
  /// from consumed() on are the next requests, to feed again after resume().
  void pause() { pause_requested_ = true; }
  bool paused() const { return paused_; }
  /// Bytes of the last feed() parsed before the pause.
  size_t consumed() const { return consumed_; }
  void resume();

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t n);
  static int on_header_field(http_parser* p, const char* at, size_t n);
  static int on_header_value(http_parser* p, const char* at, size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t n);
  static int on_message_complete(http_parser* p);
  void commit_header();
  /// on_headers_complete's checks: the sink's verdict, the body limit, the shared budget.
  int admit_body(http_parser* p);
  bool reserve(uint64_t n);
  void release();
  int fail(int status, std::string msg);

  http_parser parser_{};
  http_parser_settings settings_{};
  size_t max_body_;
  BodyBudget* budget_;
  uint64_t reserved_ = 0;
  uint64_t begun_ = 0;
  bool headers_done_ = false;
  HttpRequest req_;
  std::string field_, value_;
  bool in_value_ = false;
  bool expect_continue_ = false;
  bool in_message_ = false;
  RequestSink* sink_ = nullptr;
  bool stop_ = false;
  bool pause_requested_ = false;
  bool paused_ = false;
  size_t consumed_ = 0;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace shardcache::http
