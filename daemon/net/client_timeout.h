// daemon/net/client_timeout.h: Redis's `timeout`: the cron closes RESP clients idle for more
// than that many seconds, as Redis's clientsCronHandleTimeout does (0 = never).
#pragma once
#include <cstdint>

#include "daemon/commands/context.h"

namespace shardcache::net {

/// Asks every client whose last interaction is more than `timeout` seconds before `now_ms` to
/// close if it is still idle (ClientState::close_if_idle re-checks on the client's own thread:
/// a client running a stepped command is not idle; one not reading its replies is). Does
/// nothing when `timeout` is 0. Called by the cron thread each tick.
void close_idle_clients(commands::ServerState& state, int64_t now_ms);

}  // namespace shardcache::net
