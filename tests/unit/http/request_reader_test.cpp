// tests/unit/http/request_reader_test.cpp: HTTP/1.1 framing over http-parser: pipelined and
// split requests, the headers the REST layer reads, keep-alive rules, chunked bodies, Expect:
// 100-continue, and 400 / 413 / 431 for bad input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/http/request_reader.h"

using namespace shardcache::http;

namespace {

struct Collector : RequestSink {
  std::vector<HttpRequest> requests;
  int continues = 0;
  bool stop_after_first = false;
  bool on_request(HttpRequest& r) override {
    requests.push_back(r);
    return !stop_after_first;
  }
  void on_continue() override { ++continues; }
};

const std::string kPost =
    "POST /pipeline HTTP/1.1\r\nHost: x\r\nauthorization: Bearer tok\r\nUpstash-Encoding: base64\r\n"
    "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n[[\"get\",\"k1\"]]";

}  // namespace

TEST_CASE("one request: method, target, the headers we read, body") {
  RequestReader r(1024);
  Collector c;
  CHECK(r.feed(kPost, c));
  REQUIRE(c.requests.size() == 1);
  const HttpRequest& q = c.requests[0];
  CHECK(q.method == HTTP_POST);
  CHECK(q.url == "/pipeline");
  CHECK(q.authorization == "Bearer tok");
  CHECK(q.encoding == "base64");
  CHECK(q.body == R"([["get","k1"]])");
  CHECK(q.keep_alive);
  CHECK_FALSE(r.mid_request());
}

TEST_CASE("pipelined requests in one read, and a request split at every byte") {
  RequestReader r(1024);
  Collector c;
  std::string get = "GET /get/k?_token=t HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(r.feed(kPost + get + kPost, c));
  REQUIRE(c.requests.size() == 3);
  CHECK(c.requests[1].method == HTTP_GET);
  CHECK(c.requests[1].url == "/get/k?_token=t");
  CHECK(c.requests[1].authorization.empty());  // headers do not leak between requests
  CHECK(c.requests[2].body == R"([["get","k1"]])");

  RequestReader r2(1024);
  Collector c2;
  for (char ch : kPost + kPost) {
    CHECK(r2.feed(std::string_view(&ch, 1), c2));
  }
  REQUIRE(c2.requests.size() == 2);
  CHECK(c2.requests[1].authorization == "Bearer tok");
  CHECK(c2.requests[1].body == R"([["get","k1"]])");
}

TEST_CASE("keep-alive: HTTP/1.1 default, Connection: close, HTTP/1.0") {
  RequestReader r(1024);
  Collector c;
  CHECK_FALSE(r.feed("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n", c));
  REQUIRE(c.requests.size() == 1);  // reading stops after a request that closes the connection
  CHECK_FALSE(c.requests[0].keep_alive);
  CHECK(r.error_status() == 0);

  RequestReader r10(1024);
  Collector c10;
  CHECK_FALSE(r10.feed("GET /healthz HTTP/1.0\r\n\r\n", c10));
  REQUIRE(c10.requests.size() == 1);
  CHECK_FALSE(c10.requests[0].keep_alive);

  RequestReader rka(1024);
  Collector cka;
  CHECK(rka.feed("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", cka));
  CHECK(cka.requests.at(0).keep_alive);
}

TEST_CASE("the sink can stop reading") {
  RequestReader r(1024);
  Collector c;
  c.stop_after_first = true;
  CHECK_FALSE(r.feed(kPost + kPost, c));
  CHECK(c.requests.size() == 1);
  CHECK(r.error_status() == 0);
}

TEST_CASE("chunked bodies are reassembled") {
  RequestReader r(1024);
  Collector c;
  CHECK(r.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n[\"get\"\r\n5\r\n,\"k\"]\r\n0\r\n\r\n", c));
  REQUIRE(c.requests.size() == 1);
  CHECK(c.requests[0].body == R"(["get","k"])");
}

TEST_CASE("Expect: 100-continue is reported before the body, only when the body is acceptable") {
  RequestReader r(1024);
  Collector c;
  CHECK(r.feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n", c));
  CHECK(c.continues == 1);
  CHECK(r.mid_request());
  CHECK(r.feed(R"(["get","k"])", c));
  CHECK(c.requests.size() == 1);

  RequestReader big(10);
  Collector cb;
  CHECK_FALSE(big.feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n", cb));
  CHECK(cb.continues == 0);
  CHECK(big.error_status() == 413);
}

TEST_CASE("bodies over the limit: 413 from Content-Length before any body, or while chunks arrive") {
  RequestReader r(10);
  Collector c;
  CHECK_FALSE(r.feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", c));
  CHECK(r.error_status() == 413);
  CHECK(r.error_message() == "ERR request body too large (11 bytes; the limit is 10)");
  CHECK(c.requests.empty());
  CHECK_FALSE(r.feed("more", c));  // stays failed

  RequestReader rc(10);
  Collector cc;
  CHECK_FALSE(rc.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n", cc));
  CHECK(rc.error_status() == 413);

  RequestReader ok(10);
  Collector co;
  CHECK(ok.feed("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", co));
  CHECK(co.requests.size() == 1);
}

TEST_CASE("malformed requests: 400 with the parser's reason; oversized headers: 431") {
  RequestReader r(1024);
  Collector c;
  CHECK_FALSE(r.feed("this is not http\r\n\r\n", c));
  CHECK(r.error_status() == 400);
  CHECK(r.error_message().rfind("ERR malformed HTTP request: ", 0) == 0);

  RequestReader r2(1024);
  CHECK_FALSE(r2.feed("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", c));
  CHECK(r2.error_status() == 400);

  RequestReader r3(1024);
  CHECK_FALSE(r3.feed("GET / HTTP/1.1\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n", c));
  CHECK(r3.error_status() == 431);
}

TEST_CASE("an Upgrade request is answered and then reading stops") {
  RequestReader r(1024);
  Collector c;
  CHECK_FALSE(r.feed("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0", c));
  REQUIRE(c.requests.size() == 1);
  CHECK(c.requests[0].upgrade);
  CHECK_FALSE(c.requests[0].keep_alive);
}

TEST_CASE("pause inside on_request: the request stays valid, the rest is fed after resume()") {
  struct Pauser : RequestSink {
    RequestReader* reader = nullptr;
    std::vector<std::string> urls;
    bool on_request(HttpRequest& r) override {
      urls.push_back(r.url);
      if (r.url == "/pause") reader->pause();
      return true;
    }
    void on_continue() override {}
  };
  RequestReader r(1024);
  Pauser p;
  p.reader = &r;
  std::string pause = "GET /pause HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string after = "GET /after HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string all = pause + after + kPost;
  CHECK(r.feed(all, p));
  CHECK(r.paused());
  CHECK(r.consumed() == pause.size());
  CHECK(p.urls == std::vector<std::string>{"/pause"});
  r.resume();
  CHECK_FALSE(r.paused());
  CHECK(r.feed(std::string_view(all).substr(r.consumed()), p));
  CHECK_FALSE(r.paused());
  CHECK(p.urls == std::vector<std::string>{"/pause", "/after", "/pipeline"});
  CHECK_FALSE(r.mid_request());

  // A POST with a body pauses after its last body byte too.
  RequestReader r2(1024);
  Pauser p2;
  p2.reader = &r2;
  std::string post_pause = "POST /pause HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]";
  CHECK(r2.feed(post_pause + after, p2));
  CHECK(r2.consumed() == post_pause.size());
  r2.resume();
  CHECK(r2.feed(after, p2));
  CHECK(p2.urls == std::vector<std::string>{"/pause", "/after"});
}
