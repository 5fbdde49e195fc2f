// daemon/server/client_timeout.h: the cron's idle-client checks: Redis's `timeout` (RESP clients
// idle for more than that many seconds are closed, as Redis's clientsCronHandleTimeout does;
// 0 = never), and giving back the buffers of clients idle for more than 2 s.
#pragma once
#include <cstdint>

#include "daemon/state/server_state.h"

namespace shardcache::server {

/// Asks every client whose last interaction is more than `timeout` seconds before `now_ms` to
/// close if it is still idle (ClientState::if_idle re-checks on the client's own thread:
/// a client running a stepped command is not idle; one not reading its replies is). Does
/// nothing when `timeout` is 0. Called by the cron thread each tick.
void close_idle_clients(state::ServerState& state, int64_t now_ms);

/// Clients idle this long give back the buffers their last requests left (Redis's clientsCron
/// resizes an idle client's query buffer after 2 s).
inline constexpr int64_t kTrimIdleMs = 2000;

/// Asks every client idle for more than kTrimIdleMs whose published buffer bytes are over
/// `empty_bytes` (what a connection holding no buffer publishes) to give its buffers back
/// (ClientState::if_idle re-checks on the client's own thread). Called by the cron thread
/// about once a second.
void trim_idle_clients(state::ServerState& state, int64_t now_ms, uint64_t empty_bytes);

}  // namespace shardcache::server
