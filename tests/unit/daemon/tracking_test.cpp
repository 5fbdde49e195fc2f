// tests/unit/daemon/tracking_test.cpp: client-side caching through the dispatcher: CLIENT
// TRACKING / CACHING / GETREDIR / TRACKINGINFO with Redis 7.0's texts, the invalidations each kind
// of change sends (writes, FLUSHALL, expiry, INVALIDATE, the table's limit), NOLOOP, OPTIN /
// OPTOUT, BCAST prefixes, REDIRECT and a broken redirect, and SUBSCRIBE's RESP2 context.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "harness.h"

using shardcache::state::TrackingMessage;
using shardcache::test::Harness;
using shardcache::test::Val;

namespace {

/// Collects the messages ClientState::push hands over (the front end's part in the daemon).
struct Inbox {
  std::mutex mu;
  std::vector<TrackingMessage> got;
  void attach(shardcache::commands::ClientState& c) {
    c.push = [this](TrackingMessage m) {
      std::lock_guard g(mu);
      got.push_back(std::move(m));
    };
  }
  /// The keys of the invalidations so far ("*" for FLUSHALL's null), emptied.
  std::vector<std::string> take() {
    std::lock_guard g(mu);
    std::vector<std::string> keys;
    for (const auto& m : got) {
      if (m.kind == TrackingMessage::Kind::RedirBroken) keys.push_back("broken:" + std::to_string(m.redirect));
      else if (m.all) keys.push_back("*");
      else keys.insert(keys.end(), m.keys.begin(), m.keys.end());
    }
    got.clear();
    return keys;
  }
};

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("CLIENT TRACKING: Redis 7.0's option checks and error texts") {
  Harness h;
  CHECK(h.Run({"client", "tracking", "on", "prefix", "a"}).str == "ERR PREFIX option requires BCAST mode to be enabled");
  CHECK(h.Run({"client", "tracking", "on", "optin", "optout"}).str == "ERR You can't specify both OPTIN mode and OPTOUT mode");
  CHECK(h.Run({"client", "tracking", "on", "redirect", "999"}).str == "ERR The client ID you want redirect to does not exist");
  CHECK(h.Run({"client", "tracking", "on", "redirect", "x"}).str == "ERR value is not an integer or out of range");
  CHECK(h.Run({"client", "tracking", "on", "bcast", "optin"}).str == "ERR OPTIN and OPTOUT are not compatible with BCAST");
  CHECK(h.Run({"client", "tracking", "on", "bcast", "prefix", "a", "prefix", "ab"}).str ==
        "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.");
  CHECK(h.Run({"client", "tracking", "maybe"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "tracking", "on", "foo"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "tracking"}).str == "ERR wrong number of arguments for 'client|tracking' command");
  CHECK(h.Run({"client", "caching", "yes"}).str ==
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
  CHECK(h.Run({"client", "getredir"}).num == -1);
  Val info = h.Run({"client", "trackinginfo"});
  REQUIRE(info.kind == Val::Map);
  REQUIRE(info.elems.size() == 6);
  CHECK(info.elems[0].str == "flags");
  REQUIRE(info.elems[1].elems.size() == 1);
  CHECK(info.elems[1].elems[0].str == "off");
  CHECK(info.elems[3].num == -1);
  CHECK(h.Run({"client", "tracking", "on", "optin"}).ok());
  CHECK(h.Run({"client", "caching", "no"}).str == "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
  CHECK(h.Run({"client", "caching", "maybe"}).str == "ERR syntax error");
  CHECK(h.Run({"client", "caching", "yes"}).ok());
  info = h.Run({"client", "trackinginfo"});
  REQUIRE(info.elems[1].elems.size() == 3);
  CHECK(info.elems[1].elems[0].str == "on");
  CHECK(info.elems[1].elems[1].str == "optin");
  CHECK(info.elems[1].elems[2].str == "caching-yes");
  CHECK(info.elems[3].num == 0);
  CHECK(h.Run({"client", "getredir"}).num == 0);
  CHECK(h.Run({"client", "tracking", "on", "optout"}).str ==
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it "
        "with a different mode.");
  CHECK(h.Run({"client", "tracking", "on", "bcast"}).str ==
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it "
        "with a different mode.");
  CHECK(h.Run({"client", "tracking", "off"}).ok());
  CHECK(h.Run({"client", "tracking", "on", "bcast", "prefix", "b", "prefix", "a"}).ok());
  CHECK(h.Run({"client", "tracking", "on", "bcast", "prefix", "ax"}).str ==
        "ERR Prefix 'ax' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap.");
  info = h.Run({"client", "trackinginfo"});
  REQUIRE(info.elems[5].elems.size() == 2);
  CHECK(info.elems[5].elems[0].str == "a");
  CHECK(info.elems[5].elems[1].str == "b");
  CHECK(h.state.tracking.total_prefixes() == 2);
  CHECK(h.Run({"client", "tracking", "off"}).ok());
  CHECK(h.state.tracking.total_prefixes() == 0);
  CHECK(h.state.tracking.clients_tracking() == 0);
}

TEST_CASE("tracking: a read key is invalidated once by each kind of write, FLUSHALL sends a null") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on"}).ok());
  h.Run({"get", "k"});
  CHECK(h.state.tracking.total_keys() == 1);
  h.RunAs(*writer, {"set", "k", "v"});
  CHECK(in.take() == Keys{"k"});
  h.RunAs(*writer, {"set", "k", "v2"});  // not read since: forgotten
  CHECK(in.take().empty());
  const std::vector<std::vector<std::string>> writes = {
      {"del", "k"}, {"set", "k", "1"}, {"incr", "k"}, {"expire", "k", "100"}, {"append", "k", "x"},
      {"persist", "k"}, {"setrange", "k", "0", "z"}, {"getdel", "k"}};
  for (const auto& w : writes) {
    h.Run({"get", "k"});
    h.RunAs(*writer, w);
    CHECK_MESSAGE(in.take() == Keys{"k"}, w[0]);
  }
  h.Run({"mget", "a", "b"});
  h.RunAs(*writer, {"mset", "a", "1", "b", "2"});
  CHECK(in.take() == Keys{"a", "b"});
  h.Run({"get", "a"});
  h.RunAs(*writer, {"set", "a", "1", "nx"});  // no change: no invalidation
  CHECK(in.take().empty());
  h.RunAs(*writer, {"flushall"});
  CHECK(in.take() == Keys{"*"});
  CHECK(h.state.tracking.total_keys() == 0);
  // The client's own write is sent too, unless NOLOOP.
  h.Run({"get", "own"});
  h.Run({"set", "own", "1"});
  CHECK(in.take() == Keys{"own"});
  CHECK(h.Run({"client", "tracking", "on", "noloop"}).ok());
  h.Run({"get", "own"});
  h.Run({"set", "own", "2"});
  CHECK(in.take().empty());
  h.Run({"get", "own"});
  h.RunAs(*writer, {"set", "own", "3"});
  CHECK(in.take() == Keys{"own"});
  // Off: nothing more (the table drops the client's id lazily, as Redis).
  h.Run({"get", "own"});
  CHECK(h.Run({"client", "tracking", "off"}).ok());
  CHECK(h.state.tracking.clients_tracking() == 0);
  h.RunAs(*writer, {"set", "own", "4"});
  CHECK(in.take().empty());
}

TEST_CASE("tracking: keys read inside MULTI/EXEC are remembered") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on"}).ok());
  h.Run({"multi"});
  h.Run({"get", "t1"});
  h.Run({"exists", "t2"});
  h.Run({"exec"});
  h.RunAs(*writer, {"set", "t1", "1"});
  h.RunAs(*writer, {"set", "t2", "1"});
  CHECK(in.take() == Keys{"t1", "t2"});
}

TEST_CASE("tracking: expiry, eviction-free removals by INVALIDATE / INVALIDATETAG reach the tracker") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on"}).ok());
  h.RunAs(*writer, {"set", "e", "v", "px", "1"});
  h.Run({"get", "e"});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  h.RunAs(*writer, {"exists", "e"});  // lazy expiry
  CHECK(in.take() == Keys{"e"});
  for (auto k : {"c:1", "c:2", "d:1"}) {
    h.RunAs(*writer, {"set", k, "v"});
    h.Run({"get", k});
  }
  CHECK(h.RunAs(*writer, {"invalidate", "c:*"}).num == 2);
  auto got = in.take();
  std::sort(got.begin(), got.end());
  CHECK(got == Keys{"c:1", "c:2"});
  h.RunAs(*writer, {"set", "t", "v", "tags", "tg"});
  h.Run({"get", "t"});
  CHECK(h.RunAs(*writer, {"invalidatetag", "tg"}).num == 1);
  CHECK(in.take() == Keys{"t"});
}

TEST_CASE("tracking: OPTIN / OPTOUT with CLIENT CACHING for the next command only") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on", "optin"}).ok());
  h.Run({"get", "a"});
  CHECK(h.Run({"client", "caching", "yes"}).ok());
  h.Run({"get", "b"});
  h.Run({"get", "c"});
  for (auto k : {"a", "b", "c"}) h.RunAs(*writer, {"set", k, "1"});
  CHECK(in.take() == Keys{"b"});
  CHECK(h.Run({"client", "tracking", "off"}).ok());
  CHECK(h.Run({"client", "tracking", "on", "optout"}).ok());
  CHECK(h.Run({"client", "caching", "no"}).ok());
  h.Run({"get", "a"});
  h.Run({"get", "b"});
  for (auto k : {"a", "b"}) h.RunAs(*writer, {"set", k, "2"});
  CHECK(in.take() == Keys{"b"});
}

TEST_CASE("tracking: BCAST sends every change under its prefixes, NOLOOP skips the client's own") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on", "bcast", "prefix", "user:", "prefix", "cfg:"}).ok());
  for (auto k : {"user:1", "other", "cfg:x"}) h.RunAs(*writer, {"set", k, "1"});
  CHECK(in.take() == Keys{"user:1", "cfg:x"});
  CHECK(h.Run({"client", "tracking", "off"}).ok());
  CHECK(h.Run({"client", "tracking", "on", "bcast", "noloop"}).ok());
  h.Run({"set", "mine", "1"});
  h.RunAs(*writer, {"set", "theirs", "1"});
  CHECK(in.take() == Keys{"theirs"});
}

TEST_CASE("tracking: REDIRECT sends to the target; a target gone makes a broken redirect") {
  Harness h;
  Inbox mine, theirs;
  mine.attach(*h.client);
  auto target = h.add_client();
  theirs.attach(*target);
  auto writer = h.add_client();
  CHECK(h.Run({"client", "tracking", "on", "redirect", std::to_string(target->id)}).ok());
  CHECK(h.Run({"client", "getredir"}).num == static_cast<long long>(target->id));
  h.Run({"get", "r"});
  h.RunAs(*writer, {"set", "r", "1"});
  CHECK(mine.take().empty());
  {
    std::lock_guard g(theirs.mu);
    REQUIRE(theirs.got.size() == 1);
    CHECK(theirs.got[0].via_redirect);
  }
  CHECK(theirs.take() == Keys{"r"});
  h.state.clients.remove(target->id);
  h.client->proto = 3;
  h.Run({"get", "r"});
  h.RunAs(*writer, {"set", "r", "2"});
  CHECK(mine.take() == Keys{"broken:" + std::to_string(target->id)});
  Val info = h.Run({"client", "trackinginfo"});
  REQUIRE(info.elems[1].elems.size() == 2);
  CHECK(info.elems[1].elems[1].str == "broken_redirect");
}

TEST_CASE("tracking-table-max-keys: past it, keys are dropped with their invalidation") {
  Harness h;
  Inbox in;
  in.attach(*h.client);
  CHECK(h.Run({"config", "set", "tracking-table-max-keys", "2"}).ok());
  CHECK(h.Run({"client", "tracking", "on"}).ok());
  for (auto k : {"k1", "k2", "k3", "k4"}) h.Run({"get", k});
  CHECK(h.state.tracking.total_keys() <= 2);
  CHECK(in.take().size() == 2);
  CHECK(h.Run({"config", "get", "tracking-table-max-keys"}).elems[1].str == "2");
}

TEST_CASE("SUBSCRIBE / UNSUBSCRIBE and RESP2's subscribed context") {
  Harness h;
  Val r = h.Run({"subscribe", "__redis__:invalidate"});
  REQUIRE(r.elems.size() == 3);
  CHECK(r.elems[0].str == "subscribe");
  CHECK(r.elems[2].num == 1);
  CHECK(h.Run({"get", "x"}).str ==
        "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  CHECK(h.Run({"client", "id"}).str ==
        "ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  auto other = h.add_client();
  CHECK(h.RunAs(*other, {"client", "list", "type", "pubsub"}).str.find("flags=P db=0 sub=1") != std::string::npos);
  CHECK(h.RunAs(*other, {"client", "list", "type", "normal"}).str.find("sub=1") == std::string::npos);
  r = h.Run({"ping", "hi"});
  REQUIRE(r.elems.size() == 2);
  CHECK(r.elems[0].str == "pong");
  CHECK(r.elems[1].str == "hi");
  r = h.Run({"unsubscribe"});
  REQUIRE(r.elems.size() == 3);
  CHECK(r.elems[0].str == "unsubscribe");
  CHECK(r.elems[1].str == "__redis__:invalidate");
  CHECK(r.elems[2].num == 0);
  CHECK(h.Run({"ping"}).str == "PONG");
  r = h.Run({"unsubscribe"});
  CHECK(r.elems[1].kind == Val::Null);
  h.client->proto = 3;
  h.Run({"subscribe", "a"});
  CHECK(h.Run({"get", "x"}).kind == Val::Null);  // RESP3 has no subscribed context
  CHECK(h.Run({"reset"}).str == "RESET");
  CHECK(h.client->channels.empty());
}
