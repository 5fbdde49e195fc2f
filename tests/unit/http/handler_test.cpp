// tests/unit/http/handler_test.cpp: the REST endpoints end to end in process: envelopes and
// status codes (wire.md A5), auth, path style, /multi-exec atomicity, /healthz, /metrics, 404/405.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <thread>

#include "daemon/commands/command_table.h"
#include "daemon/config.h"
#include "daemon/http/handler.h"
#include "daemon/http/metrics.h"
#include "daemon/store/store.h"

using namespace shardcache;
using namespace shardcache::http;

namespace {

struct Resp {
  int status;
  std::string type, body, allow;
  bool close;
};

Resp resp_of(const HttpResponse& res) {
  return {res.status, std::string(res.content_type), std::string(res.body), std::string(res.allow), res.close};
}

/// A server state with two io threads' worth of counters and one handler per "connection".
struct Fixture {
  Config cfg;
  store::Store store{8};
  commands::ServerState state{store, cfg, 2};
  HttpShared shared{state, 2, 1 << 20};
  commands::ClientState client;
  RequestHandler handler{shared, client, 0};

  Fixture() {
    cfg.maxmemory = 0;
    store.set_maxmemory(0);
    state.config_params = make_config_registry(cfg, {});
  }
  Resp call(RequestHandler& h, http_method m, std::string url, std::string body = {}, std::string auth = {},
            std::string enc = {}) {
    HttpRequest req;
    req.method = m;
    req.url = std::move(url);
    req.body = std::move(body);
    req.authorization = std::move(auth);
    req.encoding = std::move(enc);
    HttpResponse res;
    h.handle(req, res);
    return resp_of(res);
  }
  Resp call(http_method m, std::string url, std::string body = {}, std::string auth = {}, std::string enc = {}) {
    return call(handler, m, std::move(url), std::move(body), std::move(auth), std::move(enc));
  }
  Resp post(std::string url, std::string body, std::string enc = {}) {
    return call(HTTP_POST, std::move(url), std::move(body), {}, std::move(enc));
  }
};

}  // namespace

TEST_CASE("POST /: 200 {result} or 400 {error}") {
  Fixture f;
  Resp r = f.post("/", R"(["set","k1","hello","ex",100])");
  CHECK(r.status == 200);
  CHECK(r.type == "application/json");
  CHECK(r.body == R"({"result":"OK"})");
  CHECK(f.post("/", R"(["get","k1"])").body == R"({"result":"hello"})");
  CHECK(f.post("/", R"(["get","k1"])", "base64").body == R"({"result":"aGVsbG8="})");
  CHECK(f.post("/", R"(["get","nope"])").body == R"({"result":null})");
  r = f.post("/", R"(["incr","k1"])");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"ERR value is not an integer or out of range"})");
  r = f.post("/", R"(["nosuch","x"])");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"ERR unknown command 'nosuch', with args beginning with: 'x' "})");
}

TEST_CASE("command names and keywords are case-insensitive; numbers and booleans keep their text") {
  Fixture f;
  CHECK(f.post("/", R"(["SET","k","v","EX",100])").status == 200);
  CHECK(f.post("/", R"(["set","k","v2","keepTtl"])").body == R"({"result":"OK"})");
  CHECK(f.post("/", R"(["ttl","k"])").body == R"({"result":100})");
  CHECK(f.post("/", R"(["set","n",1e+21])").status == 200);
  CHECK(f.post("/", R"(["get","n"])").body == R"({"result":"1e+21"})");
  CHECK(f.post("/", R"(["set","b",true])").status == 200);
  CHECK(f.post("/", R"(["get","b"])").body == R"({"result":"true"})");
  CHECK(f.post("/", R"(["set","d",0.30000000000000004])").status == 200);
  CHECK(f.post("/", R"(["get","d"])").body == R"({"result":"0.30000000000000004"})");
}

TEST_CASE("/pipeline: always 200, one entry per command, errors in place") {
  Fixture f;
  Resp r = f.post("/pipeline", R"([["set","p1","a"],["incr","p2"],["get","p1"],["incr","p1"],["get","nope"]])", "base64");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"([{"result":"OK"},{"result":1},{"result":"YQ=="},{"error":"ERR value is not an integer or out of range"},{"result":null}])");
  r = f.post("/pipeline", R"([["get"],["nosuch"]])");
  CHECK(r.status == 200);
  CHECK(r.body == R"([{"error":"ERR wrong number of arguments for 'get' command"},)"
                  R"({"error":"ERR unknown command 'nosuch', with args beginning with: "}])");
}

TEST_CASE("/multi-exec: runs like EXEC; a command that cannot be queued aborts all of it with 400") {
  Fixture f;
  Resp r = f.post("/multi-exec", R"([["set","t1","a"],["incr","t2"],["get","t1"],["incr","t1"]])", "base64");
  CHECK(r.status == 200);
  CHECK(r.body == R"([{"result":"OK"},{"result":1},{"result":"YQ=="},{"error":"ERR value is not an integer or out of range"}])");
  r = f.post("/multi-exec", R"([["set","t3","x"],["get"],["incr","t2"]])");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"EXECABORT Transaction discarded because of previous errors: command 2: )"
                  R"(ERR wrong number of arguments for 'get' command"})");
  CHECK(f.post("/", R"(["exists","t3"])").body == R"({"result":0})");  // nothing ran
  CHECK(f.post("/", R"(["get","t2"])").body == R"({"result":"1"})");
  r = f.post("/multi-exec", R"([["set","t3","x"],["multi"]])");
  CHECK(r.status == 400);
  CHECK(r.body.find("MULTI is not supported over REST") != std::string::npos);
  r = f.post("/multi-exec", R"([["set","t3","x"],["shutdown"]])");
  CHECK(r.status == 400);
  CHECK(r.body.find("ERR Command not allowed inside a transaction") != std::string::npos);
}

TEST_CASE("/multi-exec is atomic against concurrent /multi-exec readers") {
  Fixture f;
  commands::ClientState c2;
  RequestHandler reader(f.shared, c2, 1);
  constexpr int kRounds = 3000;
  std::thread writer([&] {
    commands::ClientState c1;
    RequestHandler w(f.shared, c1, 0);
    for (int i = 0; i < kRounds; ++i) f.call(w, HTTP_POST, "/multi-exec", R"([["incr","a"],["incr","b"]])");
  });
  int torn = 0;
  for (int i = 0; i < kRounds; ++i) {
    Resp r = f.call(reader, HTTP_POST, "/multi-exec", R"([["get","a"],["get","b"]])");
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    REQUIRE(d.IsArray());
    auto text = [&](int j) { return d[j]["result"].IsNull() ? std::string("0") : std::string(d[j]["result"].GetString()); };
    if (text(0) != text(1)) ++torn;
  }
  writer.join();
  CHECK(torn == 0);
  CHECK(f.post("/", R"(["get","a"])").body == "{\"result\":\"" + std::to_string(kRounds) + "\"}");
}

TEST_CASE("commands that only make sense on a RESP connection are refused over REST") {
  Fixture f;
  Resp r = f.post("/", R"(["multi"])");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"ERR MULTI is not supported over REST: send the commands to /multi-exec instead"})");
  CHECK(f.post("/pipeline", R"([["exec"],["ping"]])").body ==
        R"([{"error":"ERR EXEC is not supported over REST: send the commands to /multi-exec instead"},{"result":"PONG"}])");
}

TEST_CASE("bad bodies: 400 with a JSON error on every command endpoint") {
  Fixture f;
  for (const char* path : {"/", "/pipeline", "/multi-exec"}) {
    CAPTURE(path);
    for (const char* body : {"", "{", R"({"a":1})", "[]", "[null]", "[[[[\"get\"]]]]"}) {
      CAPTURE(body);
      Resp r = f.post(path, body);
      CHECK(r.status == 400);
      CHECK(r.body.rfind("{\"error\":\"ERR ", 0) == 0);
    }
  }
}

TEST_CASE("auth: Bearer header or ?_token=, constant-time compare, 401 {\"error\":\"Unauthorized\"}") {
  Fixture f;
  f.cfg.requirepass = "s3cret";
  Resp r = f.post("/", R"(["ping"])");
  CHECK(r.status == 401);
  CHECK(r.body == R"({"error":"Unauthorized"})");
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Bearer wrong").status == 401);
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Bearer s3cre").status == 401);
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Basic s3cret").status == 401);
  CHECK(f.call(HTTP_POST, "/pipeline", R"([["ping"]])", "Bearer wrong").body == R"({"error":"Unauthorized"})");
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Bearer s3cret").body == R"({"result":"PONG"})");
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "bearer  s3cret ").status == 200);
  CHECK(f.call(HTTP_POST, "/?_token=s3cret", R"(["ping"])").status == 200);
  CHECK(f.call(HTTP_POST, "/?_token=s3cre", R"(["ping"])").status == 401);
  CHECK(f.call(HTTP_GET, "/get/x?_token=s3cret").body == R"({"result":null})");
  CHECK(f.call(HTTP_GET, "/get/x").status == 401);
  // The token authenticates the request itself: no AUTH needed, no NOAUTH.
  CHECK(f.call(HTTP_POST, "/", R"(["set","k","v"])", "Bearer s3cret").status == 200);
  // Health and the dashboard page (which holds no data) stay open; /metrics and the
  // dashboard's data need the token, /metrics not with metrics-open.
  CHECK(f.call(HTTP_GET, "/healthz").status == 200);
  CHECK(f.call(HTTP_GET, "/").status == 200);
  for (const char* path : {"/metrics", "/dashboard/state", "/dashboard/history"}) {
    CAPTURE(path);
    Resp r = f.call(HTTP_GET, path);
    CHECK(r.status == 401);
    CHECK(r.body == R"({"error":"Unauthorized"})");
    CHECK(f.call(HTTP_GET, path, {}, "Bearer wrong").status == 401);
    CHECK(f.call(HTTP_GET, path, {}, "Bearer s3cret").status == 200);
  }
  f.cfg.metrics_open = true;
  CHECK(f.call(HTTP_GET, "/metrics").status == 200);
  CHECK(f.call(HTTP_GET, "/dashboard/state").status == 401);
  CHECK(f.call(HTTP_GET, "/dashboard/history").status == 401);
}

TEST_CASE("path style: /cmd/arg/..., percent-decoding, POST body and query as trailing arguments") {
  Fixture f;
  Resp r = f.call(HTTP_GET, "/set/foo/bar/EX/100");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"result":"OK"})");
  CHECK(f.call(HTTP_GET, "/get/foo").body == R"({"result":"bar"})");
  CHECK(f.call(HTTP_GET, "/TTL/foo/").body == R"({"result":100})");
  CHECK(f.call(HTTP_GET, "/set/a%20b/x%2Fy").status == 200);
  CHECK(f.call(HTTP_GET, "/get/a%20b").body == R"({"result":"x/y"})");
  CHECK(f.call(HTTP_POST, "/set/doc?EX=50", "{\"raw\":\"body\"}").status == 200);
  CHECK(f.call(HTTP_GET, "/get/doc").body == R"({"result":"{\"raw\":\"body\"}"})");
  CHECK(f.call(HTTP_GET, "/ttl/doc").body == R"({"result":50})");
  CHECK(f.call(HTTP_PUT, "/set/q?NX", "v").body == R"({"result":"OK"})");
  CHECK(f.call(HTTP_PUT, "/set/q?NX", "w").body == R"({"result":null})");
  CHECK(f.call(HTTP_GET, "/get/foo", {}, {}, "base64").body == R"({"result":"YmFy"})");
  r = f.call(HTTP_GET, "/incr/foo");
  CHECK(r.status == 400);
  CHECK(r.body == R"({"error":"ERR value is not an integer or out of range"})");
  CHECK(f.call(HTTP_GET, "/get/%zz").status == 400);
  CHECK(f.call(HTTP_GET, "/get/x?a=%zz").status == 400);
}

TEST_CASE("unknown paths 404, wrong methods 405 with Allow, all with JSON bodies") {
  Fixture f;
  Resp r = f.call(HTTP_GET, "/favicon.ico");
  CHECK(r.status == 404);
  CHECK(r.body.rfind("{\"error\":\"ERR unknown path '/favicon.ico'", 0) == 0);
  CHECK(f.call(HTTP_POST, "/prefix/pipeline", "[[\"ping\"]]").status == 404);
  r = f.call(HTTP_GET, "/pipeline");
  CHECK(r.status == 405);
  CHECK(r.allow == "POST, PUT");
  CHECK(r.body.rfind("{\"error\":", 0) == 0);
  CHECK(f.call(HTTP_DELETE, "/multi-exec").status == 405);
  r = f.call(HTTP_DELETE, "/");
  CHECK(r.status == 405);
  CHECK(r.allow == "GET, HEAD, POST, PUT");
  CHECK(f.call(HTTP_DELETE, "/del/k").status == 405);
  r = f.call(HTTP_POST, "/metrics");
  CHECK(r.status == 405);
  CHECK(r.allow == "GET, HEAD");
  CHECK(f.call(HTTP_OPTIONS, "/healthz").status == 405);
  CHECK(f.call(HTTP_GET, "*").status == 400);
}

TEST_CASE("/healthz, the dashboard, /metrics") {
  Fixture f;
  Resp r = f.call(HTTP_GET, "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body.rfind(R"({"status":"ok","version":")" SHARDCACHE_VERSION R"(","uptime_seconds":)", 0) == 0);
  r = f.call(HTTP_GET, "/");
  CHECK(r.type == "text/html; charset=utf-8");
  CHECK(r.body.find("dashboard/state") != std::string::npos);  // what the page polls
  CHECK(r.body.find("uPlot") != std::string::npos);            // the charting library, inlined
  CHECK(r.body.find("src=\"http") == std::string::npos);       // nothing loaded from elsewhere
  f.post("/pipeline", R"([["set","a","1"],["get","a"],["get","missing"],["get","a"]])");
  r = f.call(HTTP_GET, "/metrics");
  CHECK(r.type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body.find("\nshardcache_commands_total{cmd=\"get\"} 3\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_commands_total{cmd=\"set\"} 1\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_keyspace_hits_total 2\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_keyspace_misses_total 1\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_commands_processed_total 4\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_command_duration_seconds_count{cmd=\"get\"} 3\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_command_duration_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_command_duration_seconds_count{cmd=\"set\"} 1\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_command_duration_seconds_bucket{cmd=\"set\",le=\"0.00001\"}") != std::string::npos);
  CHECK(r.body.find("cmd=\"incr\",le=") == std::string::npos);  // no histogram for commands never run
  CHECK(r.body.find("\nprocess_cpu_seconds_total ") != std::string::npos);
  CHECK(r.body.find("\nprocess_open_fds ") != std::string::npos);
  CHECK(r.body.find("\nprocess_max_fds ") != std::string::npos);
  CHECK(r.body.find("\nprocess_start_time_seconds ") != std::string::npos);
  CHECK(r.body.find("\nprocess_resident_memory_bytes ") != std::string::npos);
  CHECK(r.body.find("# TYPE shardcache_command_duration_seconds histogram\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_keys 1\n") != std::string::npos);
  f.post("/pipeline", R"([["set","course:1","x"],["set","course:2","y"],["get","course:1"],["get","plain"]])");
  r = f.call(HTTP_GET, "/dashboard/state");
  CHECK(r.type == "application/json");
  CHECK(r.body.find(R"("keys":3,)") != std::string::npos);
  CHECK(r.body.find(R"({"name":"course","keys":2,)") != std::string::npos);
  CHECK(r.body.find(R"("hits":1,"misses":0,"sets":2,"invalidated":0,"hit_ratio":1.0})") != std::string::npos);
  CHECK(r.body.find(R"("requirepass":false)") != std::string::npos);
  r = f.call(HTTP_GET, "/dashboard/history?since=0");
  CHECK(r.body.rfind(R"({"interval_ms":1000,"t":[],"ops":[])", 0) == 0);  // no cron in this test: no points
  r = f.call(HTTP_GET, "/metrics");
  CHECK(r.body.find("\nshardcache_family_keys{family=\"course\"} 2\n") != std::string::npos);
  CHECK(r.body.find("\nshardcache_family_misses_total{family=\"(none)\"} 2\n") != std::string::npos);
}

TEST_CASE("each request starts from a fresh client state; QUIT closes after the reply") {
  Fixture f;
  CHECK(f.post("/", R"(["client","setname","svc"])").status == 200);
  CHECK(f.post("/", R"(["client","getname"])").body == R"({"result":null})");
  CHECK(f.post("/", R"(["hello","3"])").status == 200);
  CHECK(f.client.proto == 3);
  CHECK(f.post("/", R"(["ping"])").status == 200);
  CHECK(f.client.proto == 2);
  Resp r = f.post("/", R"(["quit"])");
  CHECK(r.body == R"({"result":"OK"})");
  CHECK(r.close);
}

TEST_CASE("status texts") {
  CHECK(status_text(200) == "OK");
  CHECK(status_text(401) == "Unauthorized");
  CHECK(status_text(413) == "Payload Too Large");
  CHECK(status_text(408) == "Request Timeout");
  CHECK(status_slot(408) == 5);
  CHECK(status_slot(413) == 6);
  CHECK(kStatusCodes[status_slot(418)] == 0);
}

namespace {

/// Stores `n` keys big:0 .. big:n-1 with MSET requests of 10,000 keys each.
void fill_big(Fixture& f, int n) {
  for (int from = 0; from < n; from += 10000) {
    std::string body = R"(["mset")";
    for (int i = from; i < std::min(n, from + 10000); ++i) body += ",\"big:" + std::to_string(i) + "\",\"v\"";
    REQUIRE(f.post("/", body + "]").status == 200);
  }
}

/// Handles one request on a connection that supports continuations, then runs its slices the
/// way the connection does; returns the response and how many extra slices it took.
std::pair<Resp, int> call_sliced(Fixture& f, std::string url, std::string body) {
  HttpRequest req;
  req.method = HTTP_POST;
  req.url = std::move(url);
  req.body = std::move(body);
  HttpResponse res;
  f.handler.handle(req, res);
  int slices = 0;  // slices after the first that did not finish the command
  while (f.handler.pending() && slices < 1000000) {
    if (!f.client.continuation(f.handler.sink())) {
      ++slices;
      continue;
    }
    f.client.continuation = nullptr;
    f.handler.resume(res);
  }
  CHECK_FALSE(f.handler.pending());
  return {resp_of(res), slices};
}

}  // namespace

TEST_CASE("a large INVALIDATE over REST replies in slices; the rest of its pipeline runs after it, in order") {
  Fixture f;
  f.client.supports_continuation = true;  // as HttpSession sets it
  fill_big(f, 100000);
  auto [r, slices] = call_sliced(f, "/pipeline", R"([["set","a","1"],["invalidate","big:*"],["get","a"],["dbsize"]])");
  CHECK(slices > 0);  // 100,000 keys take far longer than the first 500 us slice
  CHECK(r.status == 200);
  CHECK(r.body == R"([{"result":"OK"},{"result":100000},{"result":"1"},{"result":1}])");

  fill_big(f, 50000);
  auto [one, slices1] = call_sliced(f, "/", R"(["invalidate","big:*"])");
  CHECK(slices1 > 0);
  CHECK(one.status == 200);
  CHECK(one.body == R"({"result":50000})");
  CHECK(f.post("/", R"(["dbsize"])").body == R"({"result":1})");
}

TEST_CASE("without continuations (in-process callers) a large INVALIDATE answers at once") {
  Fixture f;
  fill_big(f, 30000);
  Resp r = f.post("/pipeline", R"([["invalidate","big:*"],["dbsize"]])");
  CHECK_FALSE(f.handler.pending());
  CHECK(r.body == R"([{"result":30000},{"result":0}])");
}

TEST_CASE("protected mode on REST: no password and a non-loopback peer get 403 with Redis's DENIED text") {
  Fixture f;
  f.client.addr = "10.0.0.7:41000";
  Resp r = f.post("/", R"(["ping"])");
  CHECK(r.status == 403);
  CHECK(r.body.rfind(R"({"error":"DENIED Redis is running in protected mode because protected mode is enabled)", 0) == 0);
  CHECK(f.call(HTTP_GET, "/metrics").status == 403);  // every path, as Redis refuses the whole connection
  f.client.addr = "127.0.0.1:41000";
  CHECK(f.post("/", R"(["ping"])").body == R"({"result":"PONG"})");
  f.client.addr = "10.0.0.7:41000";
  f.cfg.protected_mode = false;
  CHECK(f.post("/", R"(["ping"])").body == R"({"result":"PONG"})");
  f.cfg.protected_mode = true;
  f.cfg.requirepass = "tok";
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Bearer tok").body == R"({"result":"PONG"})");
}

TEST_CASE("a wrong REST token counts as a failed authentication") {
  Fixture f;
  f.cfg.requirepass = "tok";
  f.client.addr = "127.0.0.1:41000";
  CHECK(f.call(HTTP_POST, "/", R"(["ping"])", "Bearer nope").status == 401);
  CHECK(f.post("/?_token=nope", R"(["ping"])").status == 401);
  CHECK(f.state.auth_failures.total() == 2);
  CHECK(render_metrics(f.shared).find("\nshardcache_auth_failures_total 2\n") != std::string::npos);
}
