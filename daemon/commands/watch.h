// daemon/commands/watch.h: WATCH, UNWATCH and EXEC's check, on the registry of which clients
// watch which keys (state/watch_registry.h): a write to a watched key marks its watchers dirty
// and their EXEC answers a null array (Redis 7).
// Writers mark while they still hold the key's shard lock (KeyLock::modified), so an EXEC that
// holds every shard lock sees every write that came before it. When nobody watches anything,
// the write path costs one relaxed atomic load (active()).
#pragma once
#include <string_view>

#include "daemon/state/server_state.h"

namespace shardcache::commands {

using state::ClientState;
using state::ServerState;
struct CmdContext;

/// WATCH for one key: registers the client and records whether the key is live now.
void watch_key(CmdContext& ctx, std::string_view key);
/// Forgets every key `c` watches and clears its dirty flag (UNWATCH, EXEC, DISCARD, RESET, close).
void unwatch_all(ServerState& server, ClientState& c);
/// At EXEC, with every shard lock held: true when no watched key was written, and none that
/// was live at WATCH is gone now.
bool watched_keys_unchanged(CmdContext& ctx);

}  // namespace shardcache::commands
