// daemon/commands/context.h: what a command handler sees: the server-wide state (store, config,
// client registry, counters: daemon/state/), the calling client's state, and the arguments.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/commands/security.h"
#include "daemon/commands/watch.h"
#include "daemon/state/server_state.h"

namespace shardcache::commands {

class ReplySink;
using Args = std::span<const std::string_view>;

using state::AuthFailures;
using state::ClientRegistry;
using state::ClientState;
using state::CommandStats;
using state::OpsSampler;
using state::ServerState;
using state::ThreadStats;
using state::WatchedKey;
using state::WatchRegistry;
using state::server_cron;
using state::total_commands;

/// Per-call context.
struct CmdContext {
  ServerState& server;
  ClientState& client;
  ThreadStats& tstats;
  bool all_locked = false;                  ///< inside EXEC: every shard lock is held
  int64_t now_ms = 0;                       ///< taken once per command

  store::Store& store() { return server.store; }
};

}  // namespace shardcache::commands
