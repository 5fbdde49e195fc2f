// tests/unit/server/session_test.cpp: the Session base without a network peer: a session counts
// itself among the live clients (maxclients) for its whole life, registers its client when
// started and unregisters it (buffer bytes, watches, registry) when destroyed; the kill hook
// closes it on its own io thread and does nothing once it is gone; admission against maxclients;
// the session reset RESET and every REST request share.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "daemon/commands/client_memory.h"
#include "daemon/config.h"
#include "daemon/server/listener.h"
#include "daemon/server/session.h"
#include "daemon/store/store.h"

using namespace shardcache;

namespace {

class TestSession final : public server::Session {
 public:
  using Session::Session;
  void start() {
    describe_client();
    register_client();
  }
  void publish(uint64_t bytes) { commands::publish_client_memory(*client_, bytes); }
  int closed = 0;

 private:
  void close() override { ++closed; }
};

struct Fixture {
  Config cfg;
  store::Store store{4};
  state::ServerState state{store, cfg, 2};
  asio::io_context ctx;
  std::atomic<size_t> live{0};
  std::shared_ptr<TestSession> make(size_t thread) {
    return std::make_shared<TestSession>(asio::ip::tcp::socket(ctx), state, live, thread);
  }
};

}  // namespace

TEST_CASE("a session counts itself among the live clients from construction to destruction") {
  Fixture f;
  {
    auto s = f.make(1);
    CHECK(f.live.load() == 1);
    CHECK(f.state.clients.count() == 0);  // registered when started
    s->start();
    CHECK(f.state.clients.count() == 1);
    CHECK(s->client().id != 0);
    CHECK(s->client().fd.load() == -1);  // no descriptor open
    CHECK(s->client().supports_continuation);
    CHECK(s->client().created_ms > 0);
    CHECK(s->client().mem_sum == &f.state.thread_stats[1]->clients_mem);  // its io thread's sum
    s->publish(1000);
    CHECK(f.state.thread_stats[1]->clients_mem.load() == 1000);
    auto other = f.make(0);
    CHECK(f.live.load() == 2);
  }
  CHECK(f.live.load() == 0);
  CHECK(f.state.clients.count() == 0);
  CHECK(f.state.thread_stats[1]->clients_mem.load() == 0);  // its bytes left the sum
}

TEST_CASE("a destroyed session leaves the WATCH registry") {
  Fixture f;
  {
    auto s = f.make(0);
    s->start();
    const uint64_t h = store::Store::hash("k");
    REQUIRE(f.state.watches.add(s->client(), "k", h));
    s->client().watched.push_back({"k", false});
    CHECK(f.state.watches.active());
  }
  CHECK_FALSE(f.state.watches.active());
}

TEST_CASE("the kill hook closes the session on its io thread, and is harmless once it is gone") {
  Fixture f;
  auto s = f.make(0);
  s->start();
  auto kill = s->client().kill;
  REQUIRE(kill);
  kill();
  CHECK(s->closed == 0);  // posted to the session's thread, not run by the caller
  f.ctx.poll();
  CHECK(s->closed == 1);
  kill();
  s.reset();  // gone before the posted close runs
  f.ctx.restart();
  CHECK(f.ctx.poll() == 1);
  CHECK(f.live.load() == 0);
}

TEST_CASE("admission: a client is admitted only while the live clients are under maxclients") {
  std::atomic<size_t> live{0};
  CHECK(server::admits(live, 1));
  live = 2;
  CHECK(server::admits(live, 3));
  live = 3;
  CHECK_FALSE(server::admits(live, 3));
  CHECK_FALSE(server::admits(live, 2));  // CONFIG SET maxclients below the live count: no new client
}

TEST_CASE("the session reset (RESET, each REST request): out of MULTI, no name, RESP2, authenticated as given") {
  state::ClientState c;
  c.in_multi = true;
  c.multi_dirty = true;
  c.queued.push_back({"set", "k", "v"});
  c.queued_args = 3;
  c.multi_count = 1;
  c.multi_mem = 5;
  c.set_name("worker");
  c.proto = 3;
  c.close_after_reply = true;
  c.reset_session(false);
  CHECK_FALSE(c.in_multi);
  CHECK_FALSE(c.multi_dirty);
  CHECK(c.queued.empty());
  CHECK(c.queued_args == 0);
  CHECK(c.multi_count.load() == -1);
  CHECK(c.multi_mem.load() == 0);
  CHECK(c.name().empty());
  CHECK(c.proto.load() == 2);
  CHECK_FALSE(c.authenticated);
  CHECK_FALSE(c.close_after_reply);
  c.reset_session(true);
  CHECK(c.authenticated);
}
