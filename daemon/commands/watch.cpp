// daemon/commands/watch.cpp: the WATCH registry and the per-client WATCH state (see watch.h).
#include "daemon/commands/watch.h"

#include <algorithm>

#include "daemon/commands/context.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {

void watch_key(CmdContext& ctx, std::string_view key) {
  auto& c = ctx.client;
  // Registered and observed under the key's shard lock: a write after this sees the registration
  // (it marks us), a write before it is what we observe. Already watching it: Redis keeps the
  // first WATCH's state. The registry answers that from the key's watchers, not by scanning
  // this client's keys (which made WATCH of n keys O(n^2)).
  KeyLock k(ctx, key);
  if (!ctx.server.watches.add(c, key, k.hash())) return;
  c.watched.push_back({std::string(key), k.find() != nullptr});
  c.watch_count.store(static_cast<uint32_t>(c.watched.size()), std::memory_order_relaxed);
}

void unwatch_all(ServerState& server, ClientState& c) {
  for (const auto& w : c.watched) server.watches.remove(c, w.key, store::Store::hash(w.key));
  c.watched.clear();
  c.watch_dirty.store(false, std::memory_order_relaxed);
  c.watch_count.store(0, std::memory_order_relaxed);
}

bool watched_keys_unchanged(CmdContext& ctx) {
  if (ctx.client.watch_dirty.load(std::memory_order_relaxed)) return false;
  for (const auto& w : ctx.client.watched) {
    if (!w.existed) continue;  // creating it is a write, which marked us
    KeyLock k(ctx, w.key);
    if (!k.find()) return false;
  }
  return true;
}

}  // namespace shardcache::commands
