// tests/unit/net/client_timeout_test.cpp: the cron's `timeout` check: which clients it asks to
// close (idle longer than the timeout, and only those the front end lets it close), and that
// timeout 0 asks none.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "daemon/config.h"
#include "daemon/net/client_timeout.h"
#include "daemon/store/store.h"

using namespace shardcache;

TEST_CASE("close_idle_clients asks clients idle past `timeout`, never with timeout 0") {
  Config cfg;
  store::Store store{4};
  commands::ServerState state{store, cfg, 1};
  const int64_t now = 1'000'000;
  std::vector<int64_t> asked;  // idle limits the hooks were called with, by client
  auto client = [&](int64_t idle_ms, bool hook) {
    auto c = std::make_shared<commands::ClientState>();
    c->last_interaction_ms = now - idle_ms;
    if (hook) c->close_if_idle = [&asked, idle_ms](int64_t max_idle) { asked.push_back(idle_ms * 1'000'000 + max_idle); };
    state.clients.add(c);
    return c;
  };
  auto clients = {client(200, true), client(2500, true),
                  client(2000, true),     // Redis: more than the timeout, not equal to it
                  client(60'000, false)};  // HTTP connections set no hook: their own timeouts apply
  REQUIRE(clients.size() == state.clients.count());
  shardcache::net::close_idle_clients(state, now);
  CHECK(asked.empty());  // timeout 0 (the default): nobody
  cfg.timeout = 2;
  shardcache::net::close_idle_clients(state, now);
  CHECK(asked == std::vector<int64_t>{2500ll * 1'000'000 + 2000});
}
