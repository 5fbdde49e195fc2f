// tests/fuzz/fuzz_http_request.cpp: libFuzzer target for the REST front end's input side:
// http::RequestReader (HTTP/1.1 framing over http-parser) fed the input whole and split in two
// at a point chosen by the first byte (both must frame the same requests), then every framed
// request's body through parse_commands (both shapes), its target through percent_decode, and
// the encoding helpers' invariants (base64 round trip, UTF-8 repair gives valid UTF-8).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"
#include "daemon/http/encoding.h"
#include "daemon/http/request_body.h"
#include "daemon/http/request_reader.h"

using namespace shardcache::http;

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fuzz_http_request: %s\n", what);
  std::abort();
}

struct Collector : RequestSink {
  std::vector<HttpRequest> requests;
  bool on_request(HttpRequest& r) override {
    requests.push_back(r);
    return requests.size() < 64;
  }
  void on_continue() override {}
};

constexpr size_t kMaxBody = 64 * 1024;

/// Feeds `chunks` in order (never an empty chunk: that would mean end of input).
bool feed_all(RequestReader& r, Collector& c, std::initializer_list<std::string_view> chunks) {
  for (std::string_view ch : chunks)
    if (!ch.empty() && !r.feed(ch, c)) return false;
  return true;
}

void check_request(HttpRequest& q) {
  BodyLimits limits{.max_commands = 1000, .max_args = 1000};
  for (BodyShape shape : {BodyShape::Command, BodyShape::Batch}) {
    std::string body = q.body;
    CommandBatch batch;
    std::string err = parse_commands(body, shape, limits, batch);
    if (!err.empty() && err.rfind("ERR ", 0) != 0) die("a body error does not start with ERR");
    if (err.empty() && shape == BodyShape::Command && batch.size() != 1) die("a command body gave != 1 command");
    for (size_t i = 0; err.empty() && i < batch.size(); ++i)
      if (batch.command(i).empty()) die("an empty command was accepted");
  }
  (void)shardcache::base::percent_decode(q.url);
  std::string enc;
  base64_append(q.body, enc);
  auto dec = base64_decode(enc);
  if (!dec || *dec != q.body) die("base64 round trip changed the bytes");
  std::string repaired;
  shardcache::base::append_utf8_repaired(q.url, repaired);
  if (!shardcache::base::valid_utf8(repaired)) die("UTF-8 repair gave invalid UTF-8");
  if (shardcache::base::valid_utf8(q.url) && repaired != q.url) die("UTF-8 repair changed valid UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = in.empty() ? 0 : data[0] % (in.size() + 1);

  RequestReader whole(kMaxBody), parts(kMaxBody);
  Collector a, b;
  bool ok_a = feed_all(whole, a, {in});
  bool ok_b = feed_all(parts, b, {in.substr(0, split), in.substr(split)});
  if (ok_a != ok_b || whole.error_status() != parts.error_status()) die("splitting the input changed the outcome");
  if (a.requests.size() != b.requests.size()) die("splitting the input changed the number of requests");
  for (size_t i = 0; i < a.requests.size(); ++i) {
    const HttpRequest &x = a.requests[i], &y = b.requests[i];
    if (x.method != y.method || x.url != y.url || x.body != y.body || x.authorization != y.authorization ||
        x.encoding != y.encoding || x.keep_alive != y.keep_alive)
      die("splitting the input changed a request");
    if (x.body.size() > kMaxBody) die("a body over the limit was accepted");
  }
  for (auto& q : a.requests) check_request(q);
  return 0;
}
