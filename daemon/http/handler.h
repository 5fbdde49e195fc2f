// daemon/http/handler.h: answers one HTTP request: the Upstash REST endpoints (POST / with one
// command, /pipeline, /multi-exec, path-style /set/k/v), bearer-token auth, /healthz, /metrics
// and the dashboard. Commands go through the same table and dispatcher as RESP, with a JSON
// reply sink. No sockets here, so tests drive it directly.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"
#include "daemon/http/json_sink.h"
#include "daemon/http/request_body.h"
#include "daemon/http/request_reader.h"
#include "daemon/http/shared.h"

namespace shardcache::http {

/// The answer to one request. `body` stays valid until the handler's next request.
struct HttpResponse {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view body;
  std::string_view allow;   ///< Allow header for 405
  bool close = false;       ///< close the connection after this response (QUIT)
  bool over_limit = false;  ///< the answer outgrew client-output-buffer-limit: close, send nothing
};

/// Reason phrase for the status codes we send.
std::string_view status_text(int status);

/// One per connection: reuses its buffers from request to request.
class RequestHandler {
 public:
  /// `client` is the connection's client state, reset for every request; `thread` is the io
  /// thread's index (for counters).
  RequestHandler(HttpShared& shared, commands::ClientState& client, size_t thread);

  /// Answers `req` (its body may be modified: JSON is parsed in place) into `res`, unless
  /// pending() says a command of it runs on in slices.
  void handle(HttpRequest& req, HttpResponse& res);
  /// True when the last request's answer is not ready: one of its commands (a large
  /// INVALIDATE) runs in slices, on a connection whose client state supports continuations.
  /// `req` must stay alive and unchanged until the answer is ready.
  bool pending() const { return paused_.has_value(); }
  /// Where the paused command's slices reply (ClientState::continuation runs into it).
  commands::ReplySink& sink() { return *sink_; }
  /// After the paused command has replied: completes the answer in `res` (true), or runs the
  /// pipeline on until a later command pauses again (false).
  bool resume(HttpResponse& res);
  /// From the headers alone, before any body byte is read: 401 (with `message`) when `req`
  /// needs the token (every request but GET/HEAD of /healthz, the dashboard page and, with
  /// metrics-open, /metrics) and
  /// lacks it (neither `Authorization: Bearer` nor `?_token=` matches requirepass).
  int check_headers(const HttpRequest& req, std::string& message) const;

  struct Target;  ///< the request target split into path and decoded query

 private:
  void route(HttpRequest& req, const Target& t, HttpResponse& res);
  void run_single(commands::Args args, bool base64, HttpResponse& res);
  void finish_single(HttpResponse& res);
  void run_pipeline(bool base64, HttpResponse& res);
  void pipeline_from(size_t i, HttpResponse& res);
  void run_multi_exec(bool base64, HttpResponse& res);
  void run_path_style(HttpRequest& req, const Target& t, HttpResponse& res);
  void run_one(commands::CmdContext& ctx, commands::Args args, commands::ReplySink& out);
  bool authorized(const HttpRequest& req, const Target& t) const;
  /// GET/HEAD of /healthz and the dashboard page (/) answer without the token; /metrics too
  /// with metrics-open. /dashboard/state and /dashboard/history always need it.
  bool is_public(http_method m, const Target& t) const;
  void reset_client();
  commands::CmdContext context();
  void json_error(HttpResponse& res, int status, std::string_view msg);
  void set_json(HttpResponse& res, int status);
  /// client-output-buffer-limit's normal hard limit (0 = none): the most a JSON answer may hold.
  size_t output_limit() const;

  HttpShared& shared_;
  commands::ClientState& client_;
  size_t thread_;
  rapidjson::StringBuffer json_;
  std::optional<JsonSink> sink_;  ///< the current request's reply writer (over json_)
  /// Where a request paused in a continuation goes on: for a pipeline, the next command.
  struct Paused {
    bool pipeline;
    size_t next;
  };
  std::optional<Paused> paused_;
  std::string text_;
  CommandBatch batch_;
  std::vector<std::string> owned_args_;
  std::vector<std::string_view> arg_views_;
};

}  // namespace shardcache::http
