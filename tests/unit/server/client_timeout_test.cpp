// tests/unit/server/client_timeout_test.cpp: the cron's `timeout` check: which clients it asks to
// close (idle longer than the timeout, and only those the front end lets it close), and that
// timeout 0 asks none; and which idle clients it asks to give back their buffers.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "daemon/config.h"
#include "daemon/server/client_timeout.h"
#include "daemon/store/store.h"

using namespace shardcache;

TEST_CASE("close_idle_clients asks clients idle past `timeout`, never with timeout 0") {
  Config cfg;
  store::Store store{4};
  state::ServerState state{store, cfg, 1};
  const int64_t now = 1'000'000;
  std::vector<int64_t> asked;  // idle limits the hooks were called with, by client
  auto client = [&](int64_t idle_ms, bool hook) {
    auto c = std::make_shared<state::ClientState>();
    c->last_interaction_ms = now - idle_ms;
    if (hook)
      c->if_idle = [&asked, idle_ms](state::ClientState::IdleAction what, int64_t max_idle) {
        if (what == state::ClientState::IdleAction::Close) asked.push_back(idle_ms * 1'000'000 + max_idle);
      };
    state.clients.add(c);
    return c;
  };
  auto clients = {client(200, true), client(2500, true),
                  client(2000, true),     // Redis: more than the timeout, not equal to it
                  client(60'000, false)};  // HTTP connections set no hook: their own timeouts apply
  REQUIRE(clients.size() == state.clients.count());
  shardcache::server::close_idle_clients(state, now);
  CHECK(asked.empty());  // timeout 0 (the default): nobody
  cfg.timeout = 2;
  shardcache::server::close_idle_clients(state, now);
  CHECK(asked == std::vector<int64_t>{2500ll * 1'000'000 + 2000});
}

TEST_CASE("trim_idle_clients asks clients idle over 2 s that hold buffers, whatever `timeout` is") {
  Config cfg;
  store::Store store{4};
  state::ServerState state{store, cfg, 1};
  const int64_t now = 1'000'000;
  const uint64_t empty = 15;
  std::vector<int64_t> asked;  // idle times of the clients asked to trim
  auto client = [&](int64_t idle_ms, uint64_t mem, bool hook) {
    auto c = std::make_shared<state::ClientState>();
    c->last_interaction_ms = now - idle_ms;
    c->mem = mem;
    if (hook)
      c->if_idle = [&asked, idle_ms](state::ClientState::IdleAction what, int64_t min_idle) {
        CHECK(min_idle == shardcache::server::kTrimIdleMs);
        if (what == state::ClientState::IdleAction::Trim) asked.push_back(idle_ms);
      };
    state.clients.add(c);
    return c;
  };
  auto clients = {client(2500, 4096, true), client(2000, 4096, true),  // idle more than 2 s, not equal
                  client(500, 4096, true),                               // active
                  client(9000, empty, true),                             // holds nothing
                  client(9000, 4096, false)};                            // HTTP: no hook
  REQUIRE(clients.size() == state.clients.count());
  shardcache::server::trim_idle_clients(state, now, empty);
  CHECK(asked == std::vector<int64_t>{2500});
}
