// tests/unit/net/resp_sink_test.cpp: the RESP reply sink writes exactly the bytes
// protocol::ReplyWriter writes for the negotiated protocol, fast paths ("+OK", null) included.
#include <doctest/doctest.h>

#include <string>

#include "daemon/net/resp_sink.h"

using shardcache::commands::ClientState;
using shardcache::net::RespSink;
using shardcache::protocol::ReplyWriter;

TEST_CASE("resp sink: same bytes as ReplyWriter in RESP2 and RESP3") {
  for (int proto : {2, 3}) {
    INFO("proto ", proto);
    ClientState client;
    client.proto = proto;
    std::string got, want;
    RespSink sink(got, client);
    ReplyWriter w(want, proto);
    sink.simple("OK");            w.simple("OK");
    sink.simple("QUEUED");        w.simple("QUEUED");
    sink.simple("OK\r\nX");       w.simple("OK\r\nX");
    sink.simple("");              w.simple("");
    sink.null();                  w.null();
    sink.bulk("value");           w.bulk("value");
    sink.null_array();            w.null_array();
    sink.integer(-42);            w.integer(-42);
    sink.error("ERR x");          w.error("ERR x");
    sink.map(1);                  w.map(1);
    sink.dbl(1.5);                w.dbl(1.5);
    sink.boolean(true);           w.boolean(true);
    sink.verbatim("txt body");    w.verbatim("txt body", "txt");
    CHECK(got == want);
  }
}

TEST_CASE("resp sink: follows a protocol switch between replies") {
  ClientState client;
  std::string got;
  RespSink sink(got, client);
  sink.null();
  client.proto = 3;
  sink.null();
  sink.simple("OK");
  CHECK(got == "$-1\r\n_\r\n+OK\r\n");
}

TEST_CASE("resp sink: a bulk that would reach the output limit is refused and over() says so") {
  ClientState client;
  std::string out;
  RespSink sink(out, client);
  sink.set_stop_at(100);
  sink.bulk(std::string(50, 'a'));
  CHECK_FALSE(sink.over());
  const size_t before = out.size();
  sink.bulk(std::string(60, 'b'));  // 50 + headers + 60 >= 100
  CHECK(sink.over());
  CHECK(out.size() == before);      // nothing of it was copied
}
