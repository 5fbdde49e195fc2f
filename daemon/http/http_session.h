// daemon/http/http_session.h: one HTTP connection (a server::Session): reads what arrives, lets the request reader
// frame it, answers every complete request through the handler, and sends all the responses of
// one read with one write. Closing after an error, it stops sending, then reads and discards
// what the client is still sending (bounded in bytes and time) so the client sees the response
// rather than a reset. The read buffer is taken on demand and released while the connection
// waits for its next request; an answer that outgrows client-output-buffer-limit's normal hard
// limit closes the connection instead of being sent (logged and counted as RESP does).
// Three deadlines bound how long a connection may wait for its client:
// http-idle-timeout between requests and while a response waits for the client to read it
// (then it closes), http-header-timeout from a request's
// first byte to its last header line and http-body-timeout from there to its last body byte
// (then 408 and close).
#pragma once
#include <asio.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/http/handler.h"
#include "daemon/http/request_reader.h"
#include "daemon/http/shared.h"
#include "daemon/server/io_buffer.h"
#include "daemon/server/session.h"

namespace shardcache::http {

class HttpSession final : public server::Session, private RequestSink {
 public:
  /// Counts itself in `live` (maxclients) until destroyed; runs on io thread `thread`.
  HttpSession(asio::ip::tcp::socket sock, std::shared_ptr<HttpShared> shared, std::atomic<size_t>& live, size_t thread);
  ~HttpSession() override;
  /// Registers the client and starts reading.
  void start();

 private:
  bool on_request(HttpRequest& req) override;
  void on_continue() override;
  int on_headers(const HttpRequest& req, std::string& message) override;
  /// Before each read: which deadline applies now (idle, headers, body), restarted when the
  /// wait changes or a new request begins, and the timer armed for it.
  void update_deadline();
  void arm_deadline();
  void on_deadline();
  /// A response waits for the client to read it: closes the connection once the socket has
  /// taken nothing for http-idle-timeout, else re-arms for then.
  void on_write_deadline(std::chrono::steady_clock::time_point now);
  /// Appends the handler's response; false when the connection closes after it.
  bool answer(bool head, bool keep_alive);
  void read_more();
  /// Waits until the socket is readable without holding a read buffer, then takes one.
  void wait_readable();
  void on_readable(std::error_code ec);
  void on_read(std::error_code ec, size_t n);
  /// Publishes the connection's buffer bytes (maxmemory-clients) and evicts if over it.
  void publish_memory();
  /// Feeds received bytes to the reader, then sends the answers (or waits for a paused one).
  void process(std::string_view data);
  /// A request's command runs in slices (large INVALIDATE): Session::step_command runs them;
  /// once it has replied (command_replied), the requests after it go on.
  void continue_request() { step_command(self_as<HttpSession>(), handler_.sink()); }
  void flush_and_continue() { send_output(self_as<HttpSession>()); }
  // Session's hooks (send_output, step_command).
  friend class server::Session;
  bool output_waits();
  void output_sent(std::shared_ptr<HttpSession>, bool) { after_flush(); }
  void after_slice() {}
  void command_replied(std::shared_ptr<HttpSession> self);
  void after_flush();
  void linger();
  void close() override;
  void append_response(const HttpResponse& res, bool head, bool keep_alive);
  void count(int status);

  std::shared_ptr<HttpShared> shared_;
  RequestReader reader_;
  RequestHandler handler_;
  HttpResponse res_;
  server::IoBuffer in_;
  std::string pending_input_;  ///< bytes after a paused request, fed once it is answered
  bool paused_head_ = false;   ///< the paused request was HEAD
  bool paused_keep_alive_ = true;
  bool closing_ = false;
  bool lingering_ = false;
  bool reading_ = false;   ///< an async_read_some is outstanding
  bool closed_ = false;
  bool read_filled_ = false;   ///< the last read filled the buffer: more is probably waiting
  size_t drained_ = 0;
  asio::steady_timer linger_timer_;
  enum class Wait : uint8_t { Idle, Headers, Body };
  Wait wait_ = Wait::Idle;
  uint64_t wait_request_ = 0;  ///< reader_.requests_begun() when wait_ was set
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool deadline_armed_ = false;  ///< the timer waits; it re-arms itself when deadline_ moved later
  asio::steady_timer deadline_timer_;
};

}  // namespace shardcache::http
