// daemon/http/handler.cpp: routing, auth and the command endpoints (see handler.h). Envelopes
// and status codes follow Upstash as the real @upstash/redis client needs them:
//   POST /            200 {"result":...} | 400 {"error":"ERR ..."}
//   POST /pipeline    200 [{"result":...},{"error":"..."},...]  one entry per command, always 200
//   POST /multi-exec  200 [...] like EXEC; a transaction that cannot run at all: 400 {"error":...}
//   bad token         401 {"error":"Unauthorized"}
#include "daemon/http/handler.h"

#include <rapidjson/writer.h>

#include <optional>

#include "base/ascii.h"
#include "base/numbers.h"
#include "base/text.h"
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/http/dashboard.h"
#include "daemon/http/encoding.h"
#include "daemon/http/json_sink.h"
#include "daemon/http/metrics.h"

namespace shardcache::http {

struct RequestHandler::Target {
  std::string_view path;
  std::vector<std::pair<std::string, std::optional<std::string>>> query;  // without _token
  std::optional<std::string> token;                                       // ?_token=
  bool malformed = false;
};

namespace {

using commands::Args;

/// Captures the first error a ReplySink receives (resolve() writes nothing else).
class ErrorCapture final : public commands::NullSink {
 public:
  std::string message;
  void write_error(std::string_view m) override { if (message.empty()) message = std::string(m); }
};

bool is_get_like(http_method m) { return m == HTTP_GET || m == HTTP_HEAD; }
bool is_post_like(http_method m) { return m == HTTP_POST || m == HTTP_PUT; }

/// The bearer token of an Authorization header ("Bearer <token>", scheme case-insensitive).
std::optional<std::string_view> bearer_token(std::string_view h) {
  constexpr std::string_view kScheme = "bearer ";
  if (h.size() < kScheme.size() || !base::iequals(h.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  h.remove_prefix(kScheme.size());
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  return h;
}

void parse_query(std::string_view q, RequestHandler::Target& t) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto key = base::percent_decode(part.substr(0, eq));
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      value = base::percent_decode(part.substr(eq + 1));
      if (!value) t.malformed = true;
    }
    if (!key) { t.malformed = true; continue; }
    if (*key == "_token") t.token = value.value_or("");
    else t.query.emplace_back(std::move(*key), std::move(value));
  }
}

}  // namespace

std::string_view status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

RequestHandler::RequestHandler(HttpShared& shared, commands::ClientState& client, size_t thread)
    : shared_(shared), client_(client), thread_(thread) {}

commands::CmdContext RequestHandler::context() {
  auto& ts = shared_.state.thread_stats;
  return commands::CmdContext{shared_.state, client_, *ts[thread_ % ts.size()]};
}

void RequestHandler::reset_client() {
  // Every request starts from a fresh client state (the token already checked).
  client_.reset_session(true);
}

void RequestHandler::set_json(HttpResponse& res, int status) {
  res.status = status;
  res.content_type = "application/json";
  res.body = std::string_view(json_.GetString(), json_.GetSize());
}

void RequestHandler::json_error(HttpResponse& res, int status, std::string_view msg) {
  json_.Clear();
  rapidjson::Writer<rapidjson::StringBuffer> w(json_);
  w.StartObject();
  w.Key("error");
  std::string repaired;
  if (!base::valid_utf8(msg)) {
    base::append_utf8_repaired(msg, repaired);
    msg = repaired;
  }
  w.String(msg.data(), static_cast<rapidjson::SizeType>(msg.size()));
  w.EndObject();
  set_json(res, status);
}

bool RequestHandler::authorized(const HttpRequest& req, const Target& t) const {
  std::string required = shared_.state.config.get_requirepass();
  if (required.empty()) return true;
  bool ok = false;
  if (auto tok = bearer_token(req.authorization)) ok |= commands::secret_equals(*tok, required);
  if (t.token) ok |= commands::secret_equals(*t.token, required);
  return ok;
}

bool RequestHandler::is_public(http_method m, const Target& t) const {
  // Only bodiless methods: a POST to them waits for the token like any other request. The
  // dashboard page holds no data (it asks for the token and sends it with its requests);
  // /metrics is open only with metrics-open.
  if (!is_get_like(m)) return false;
  if (t.path == "/healthz" || t.path == "/") return true;
  return t.path == "/metrics" && shared_.state.config.metrics_open.load(std::memory_order_relaxed);
}

int RequestHandler::check_headers(const HttpRequest& req, std::string& message) const {
  if (shared_.state.config.get_requirepass().empty()) return 0;
  Target t;
  std::string_view url = req.url;
  size_t q = url.find('?');
  t.path = url.substr(0, q);
  if (q != std::string_view::npos) parse_query(url.substr(q + 1), t);
  if (is_public(req.method, t) || authorized(req, t)) return 0;
  commands::note_auth_failure(shared_.state, client_.addr, "REST token");
  message = "Unauthorized";
  return 401;
}

void RequestHandler::handle(HttpRequest& req, HttpResponse& res) {
  res = HttpResponse{};
  if (json_.GetSize() > 1024 * 1024) {  // give a large previous response's buffer back
    json_.Clear();
    json_.ShrinkToFit();
  }
  Target t;
  std::string_view url = req.url;
  size_t q = url.find('?');
  t.path = url.substr(0, q);
  if (q != std::string_view::npos) parse_query(url.substr(q + 1), t);
  if (t.path.empty() || t.path.front() != '/')
    return json_error(res, 400, "ERR the request target must be a path starting with '/'");
  if (t.malformed) return json_error(res, 400, "ERR malformed percent-encoding in the URL query");
  route(req, t, res);
}

void RequestHandler::route(HttpRequest& req, const Target& t, HttpResponse& res) {
  http_method m = req.method;
  // Protected mode (as on RESP): no password and a peer other than 127.0.0.1 / ::1: every path is refused.
  if (commands::protected_mode_denies(shared_.state, client_.addr))
    return json_error(res, 403, commands::kProtectedModeDenied);
  if (t.path == "/healthz" || t.path == "/metrics" || t.path == "/dashboard/state" || t.path == "/dashboard/history") {
    if (!is_get_like(m)) return res.allow = "GET, HEAD", json_error(res, 405, "ERR method not allowed: use GET");
    if (t.path != "/healthz" && !is_public(m, t) && !authorized(req, t)) {
      commands::note_auth_failure(shared_.state, client_.addr, "REST token");
      return json_error(res, 401, "Unauthorized");
    }
    if (t.path == "/dashboard/state" || t.path == "/dashboard/history") {
      int64_t since = 0;
      for (const auto& [k, v] : t.query)
        if (k == "since" && v) since = base::parse_ll(*v).value_or(0);
      text_ = t.path == "/dashboard/state" ? render_dashboard_state(shared_) : render_dashboard_history(shared_, since);
      res.content_type = "application/json";
    } else if (t.path == "/metrics") {
      text_ = render_metrics(shared_);
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
      int64_t up = (store::unix_ms() - shared_.state.start_ms) / 1000;
      text_ = "{\"status\":\"ok\",\"version\":\"" + std::string(kVersion) + "\",\"uptime_seconds\":" + std::to_string(up) + "}";
      res.content_type = "application/json";
    }
    res.body = text_;
    return;
  }
  if (t.path == "/" && is_get_like(m)) {
    res.content_type = "text/html; charset=utf-8";
    res.body = dashboard_html();
    return;
  }
  if (!authorized(req, t)) {
    commands::note_auth_failure(shared_.state, client_.addr, "REST token");
    return json_error(res, 401, "Unauthorized");
  }
  reset_client();
  bool base64 = base::iequals(req.encoding, "base64");
  if (t.path == "/" || t.path == "/pipeline" || t.path == "/multi-exec") {
    if (!is_post_like(m)) {
      res.allow = t.path == "/" ? "GET, HEAD, POST, PUT" : "POST, PUT";
      return json_error(res, 405, "ERR method not allowed: send the command(s) with POST");
    }
    BodyShape shape = t.path == "/" ? BodyShape::Command : BodyShape::Batch;
    if (std::string err = parse_commands(req.body, shape, shared_.limits, batch_); !err.empty())
      return json_error(res, 400, err);
    if (t.path == "/") return run_single(batch_.command(0), base64, res);
    return t.path == "/pipeline" ? run_pipeline(base64, res) : run_multi_exec(base64, res);
  }
  if (!is_get_like(m) && !is_post_like(m)) {
    res.allow = "GET, HEAD, POST, PUT";
    return json_error(res, 405, "ERR method not allowed: use GET, HEAD, POST or PUT");
  }
  run_path_style(req, t, res);
}

size_t RequestHandler::output_limit() const {
  return static_cast<size_t>(shared_.state.config.obuf_limits[0].hard.load(std::memory_order_relaxed));
}

void RequestHandler::run_one(commands::CmdContext& ctx, Args args, commands::ReplySink& out) {
  if (std::string refusal = commands::rest_refusal(args); !refusal.empty()) return out.error(refusal);
  commands::dispatch(ctx, args, out);
}

void RequestHandler::run_single(Args args, bool base64, HttpResponse& res) {
  json_.Clear();
  sink_.emplace(json_, base64);
  sink_->set_limit(output_limit());
  auto ctx = context();
  run_one(ctx, args, *sink_);
  if (client_.continuation) return void(paused_ = Paused{false, 1});
  finish_single(res);
}

void RequestHandler::finish_single(HttpResponse& res) {
  if (sink_->entries() != 1 || !sink_->between_replies())
    return json_error(res, 500, "ERR internal error: the command did not write exactly one reply");
  set_json(res, sink_->last_was_error() ? 400 : 200);
  res.close = client_.close_after_reply;
  res.over_limit = sink_->over();
}

void RequestHandler::run_pipeline(bool base64, HttpResponse& res) {
  json_.Clear();
  sink_.emplace(json_, base64);
  sink_->set_limit(output_limit());
  sink_->begin_list();
  pipeline_from(0, res);
}

void RequestHandler::pipeline_from(size_t i, HttpResponse& res) {
  auto ctx = context();
  for (; i < batch_.size(); ++i) {
    run_one(ctx, batch_.command(i), *sink_);
    if (client_.continuation) return void(paused_ = Paused{true, i + 1});
    if (sink_->entries() != i + 1 || !sink_->between_replies())
      return json_error(res, 500, "ERR internal error: a command did not write exactly one reply");
  }
  sink_->end_list();
  set_json(res, 200);
  res.close = client_.close_after_reply;
  res.over_limit = sink_->over();
}

bool RequestHandler::resume(HttpResponse& res) {
  if (!paused_) return true;
  Paused p = *paused_;
  paused_.reset();
  if (!p.pipeline) {
    finish_single(res);
    return true;
  }
  if (sink_->entries() != p.next || !sink_->between_replies()) {
    json_error(res, 500, "ERR internal error: a command did not write exactly one reply");
    return true;
  }
  pipeline_from(p.next, res);
  return !paused_;
}

void RequestHandler::run_multi_exec(bool base64, HttpResponse& res) {
  // Check every command first, as MULTI's queueing does: one bad command and nothing runs.
  std::vector<commands::Call> calls;
  calls.reserve(batch_.size());
  auto ctx = context();
  for (size_t i = 0; i < batch_.size(); ++i) {
    Args args = batch_.command(i);
    ErrorCapture err;
    err.message = commands::rest_refusal(args);
    const commands::CommandSpec* spec = err.message.empty() ? commands::resolve(ctx, args, err) : nullptr;
    if (spec && !commands::validate_transaction(ctx, *spec, err)) spec = nullptr;
    if (!err.message.empty())
      return json_error(res, 400, "EXECABORT Transaction discarded because of previous errors: command " +
                                      std::to_string(i + 1) + ": " + err.message);
    calls.push_back({spec, args});
  }
  if (ctx.server.cluster.enabled) {  // cluster mode: every key in one slot this node serves
    ErrorCapture err;
    if (!commands::cluster_route_calls(ctx, calls, err)) return json_error(res, 400, err.message);
  }
  json_.Clear();
  JsonSink sink(json_, base64);
  sink.set_limit(output_limit());
  sink.begin_list();
  commands::run_all_locked(ctx, calls, sink);
  if (sink.entries() != calls.size() || !sink.between_replies())
    return json_error(res, 500, "ERR internal error: a command did not write exactly one reply");
  sink.end_list();
  set_json(res, 200);
  res.over_limit = sink.over();
}

void RequestHandler::run_path_style(HttpRequest& req, const Target& t, HttpResponse& res) {
  owned_args_.clear();
  std::string_view rest = t.path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    auto seg = base::percent_decode(rest.substr(0, slash));
    if (!seg) return json_error(res, 400, "ERR malformed percent-encoding in the URL path");
    owned_args_.push_back(std::move(*seg));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (owned_args_.size() > 1 && owned_args_.back().empty()) owned_args_.pop_back();  // trailing '/'
  if (!commands::command_table().find(owned_args_[0]))
    return json_error(res, 404, "ERR unknown path '" + std::string(t.path.substr(0, 128)) +
                                    "': not an endpoint (/, /pipeline, /multi-exec, /healthz, /metrics, /dashboard/state, "
                                    "/dashboard/history) or a command");
  if (is_post_like(req.method) && !req.body.empty()) owned_args_.push_back(std::move(req.body));
  for (const auto& [k, v] : t.query) {
    owned_args_.push_back(k);
    if (v) owned_args_.push_back(*v);
  }
  arg_views_.assign(owned_args_.begin(), owned_args_.end());
  run_single(Args(arg_views_.data(), arg_views_.size()), base::iequals(req.encoding, "base64"), res);
}

}  // namespace shardcache::http
