// tests/unit/http/admission_test.cpp: what a REST request may cost before it is admitted: the
// token is checked from the headers before any body byte is buffered (401 at once), and the
// body bytes all connections are receiving share one budget (http-max-inflight-body, 503 over
// it), reserved at the headers and given back once the request is answered or abandoned.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/commands/command_table.h"
#include "daemon/config.h"
#include "daemon/http/handler.h"
#include "daemon/http/request_reader.h"
#include "daemon/store/store.h"

using namespace shardcache;
using namespace shardcache::http;

namespace {

/// Refuses every request whose Authorization is not "Bearer good" (as the connection does
/// through RequestHandler::check_headers), and records what reaches it.
struct Gate : RequestSink {
  std::vector<std::string> bodies;
  int continues = 0;
  int header_checks = 0;
  RequestReader* reader = nullptr;
  bool pause_next = false;
  bool on_request(HttpRequest& r) override {
    bodies.push_back(r.body);
    if (pause_next && reader) reader->pause();
    return true;
  }
  void on_continue() override { ++continues; }
  int on_headers(const HttpRequest& r, std::string& msg) override {
    ++header_checks;
    if (r.authorization == "Bearer good") return 0;
    msg = "Unauthorized";
    return 401;
  }
};

std::string post(size_t declared, std::string_view auth, std::string_view extra_headers = {}) {
  std::string s = "POST / HTTP/1.1\r\nHost: x\r\n";
  if (!auth.empty()) s.append("Authorization: ").append(auth).append("\r\n");
  s += extra_headers;
  return s + "Content-Length: " + std::to_string(declared) + "\r\n\r\n";
}

}  // namespace

TEST_CASE("no or a wrong token: 401 from the headers, before any body byte is kept") {
  std::atomic<uint64_t> limit{1ull << 30};
  BodyBudget budget(limit);
  for (std::string_view auth : {std::string_view(), std::string_view("Bearer bad")}) {
    RequestReader r(64ull << 20, &budget);
    Gate g;
    std::string head = post(60ull << 20, auth, "Expect: 100-continue\r\n");
    CHECK_FALSE(r.feed(head + std::string(4096, 'x'), g));
    CHECK(r.error_status() == 401);
    CHECK(r.error_message() == "Unauthorized");
    CHECK(g.header_checks == 1);
    CHECK(g.bodies.empty());
    CHECK(g.continues == 0);  // no 100 Continue invites the body
    CHECK(r.reserved() == 0);
    CHECK(budget.in_flight() == 0);
    CHECK_FALSE(r.feed(std::string(4096, 'x'), g));  // reading has stopped
  }
}

TEST_CASE("a refused request is refused before the body-size check too") {
  std::atomic<uint64_t> limit{1ull << 30};
  BodyBudget budget(limit);
  RequestReader r(1024, &budget);
  Gate g;
  CHECK_FALSE(r.feed(post(1 << 20, "Bearer bad"), g));
  CHECK(r.error_status() == 401);
}

TEST_CASE("the shared body budget: declared lengths reserved at the headers, 503 over the limit") {
  std::atomic<uint64_t> limit{100};
  BodyBudget budget(limit);
  RequestReader a(1000, &budget), b(1000, &budget);
  Gate ga, gb;
  CHECK(a.feed(post(60, "Bearer good") + std::string(10, 'a'), ga));
  CHECK(a.in_body());
  CHECK(a.reserved() == 60);
  CHECK(budget.in_flight() == 60);
  CHECK_FALSE(b.feed(post(60, "Bearer good"), gb));  // 60 + 60 > 100
  CHECK(b.error_status() == 503);
  CHECK(b.error_message().find("http-max-inflight-body is 100") != std::string::npos);
  CHECK(budget.in_flight() == 60);
  CHECK(a.feed(std::string(50, 'a'), ga));  // a completes: its reservation comes back
  REQUIRE(ga.bodies.size() == 1);
  CHECK(ga.bodies[0].size() == 60);
  CHECK_FALSE(a.in_body());
  CHECK(budget.in_flight() == 0);
  RequestReader c(1000, &budget);
  Gate gc;
  CHECK(c.feed(post(100, "Bearer good"), gc));  // exactly the limit fits
  CHECK(budget.in_flight() == 100);
  limit = 1000;  // CONFIG SET: the next reservation sees the new limit
  RequestReader d(1000, &budget);
  Gate gd;
  CHECK(d.feed(post(900, "Bearer good"), gd));
  CHECK(budget.in_flight() == 1000);
}

TEST_CASE("a reader gives its reservation back when the connection goes mid-body") {
  std::atomic<uint64_t> limit{100};
  BodyBudget budget(limit);
  {
    RequestReader r(1000, &budget);
    Gate g;
    CHECK(r.feed(post(80, "Bearer good") + "abc", g));
    CHECK(budget.in_flight() == 80);
  }
  CHECK(budget.in_flight() == 0);
}

TEST_CASE("chunked bodies reserve as their chunks arrive; a failed request gives its bytes back") {
  std::atomic<uint64_t> limit{10};
  BodyBudget budget(limit);
  RequestReader r(1000, &budget);
  Gate g;
  std::string head = "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(r.feed(head + "6\r\nabcdef\r\n", g));
  CHECK(budget.in_flight() == 6);
  CHECK_FALSE(r.feed("6\r\nghijkl\r\n", g));
  CHECK(r.error_status() == 503);
  CHECK(budget.in_flight() == 0);
}

TEST_CASE("a paused request keeps its body reserved until resume()") {
  std::atomic<uint64_t> limit{100};
  BodyBudget budget(limit);
  RequestReader r(1000, &budget);
  Gate g;
  g.reader = &r;
  g.pause_next = true;
  CHECK(r.feed(post(40, "Bearer good") + std::string(40, 'p'), g));
  CHECK(r.paused());
  CHECK(budget.in_flight() == 40);
  r.resume();
  CHECK(budget.in_flight() == 0);
}

TEST_CASE("RequestHandler::check_headers: the bearer token or ?_token=, public GETs need none") {
  Config cfg;
  store::Store store{8};
  commands::ServerState state{store, cfg, 1};
  state.config_params = make_config_registry(cfg, {});
  (void)commands::command_table();
  HttpShared shared{state, 1, 1 << 20};
  commands::ClientState client;
  RequestHandler h{shared, client, 0};
  auto check = [&](http_method m, std::string url, std::string auth) {
    HttpRequest req;
    req.method = m;
    req.url = std::move(url);
    req.authorization = std::move(auth);
    std::string msg;
    int st = h.check_headers(req, msg);
    if (st != 0) CHECK(msg == "Unauthorized");
    return st;
  };
  CHECK(check(HTTP_POST, "/", "") == 0);  // no requirepass: everything passes
  cfg.requirepass = "s3cret";
  CHECK(check(HTTP_POST, "/", "") == 401);
  CHECK(check(HTTP_POST, "/pipeline", "Bearer wrong") == 401);
  CHECK(check(HTTP_POST, "/pipeline", "Bearer s3cret") == 0);
  CHECK(check(HTTP_POST, "/multi-exec", "bearer  s3cret ") == 0);
  CHECK(check(HTTP_GET, "/get/k?_token=s3cret", "") == 0);
  CHECK(check(HTTP_GET, "/get/k?_token=nope", "") == 401);
  CHECK(check(HTTP_GET, "/healthz", "") == 0);
  CHECK(check(HTTP_HEAD, "/metrics", "") == 401);  // /metrics needs the token, unless metrics-open
  CHECK(check(HTTP_GET, "/metrics", "Bearer s3cret") == 0);
  CHECK(check(HTTP_GET, "/dashboard/state", "") == 401);
  CHECK(check(HTTP_GET, "/", "") == 0);  // the page holds no data
  cfg.metrics_open = true;
  CHECK(check(HTTP_HEAD, "/metrics", "") == 0);
  CHECK(check(HTTP_GET, "/dashboard/history", "") == 401);
  CHECK(check(HTTP_POST, "/metrics", "") == 401);  // a body to a public path still needs the token
}
