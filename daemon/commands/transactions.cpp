// daemon/commands/transactions.cpp: MULTI / EXEC / DISCARD / WATCH / UNWATCH. EXEC takes every
// shard lock in ascending order, checks the watched keys (watch.h), and runs the queued commands
// with ctx.all_locked, so no other client sees a half-applied transaction. run_all_locked() is
// that step on its own, shared with REST's /multi-exec.
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/commands/watch.h"

namespace shardcache::commands {
namespace {

void clear_multi(ClientState& c) { c.clear_multi(); }

void CmdMulti(CmdContext& ctx, Args, ReplySink& out) {
  if (ctx.client.in_multi) return out.error("ERR MULTI calls can not be nested");
  ctx.client.in_multi = true;
  ctx.client.multi_count.store(0, std::memory_order_relaxed);
  out.simple("OK");
}

void CmdDiscard(CmdContext& ctx, Args, ReplySink& out) {
  if (!ctx.client.in_multi) return out.error("ERR DISCARD without MULTI");
  clear_multi(ctx.client);
  unwatch_all(ctx.server, ctx.client);
  out.simple("OK");
}

void CmdWatch(CmdContext& ctx, Args args, ReplySink& out) {
  if (ctx.client.in_multi) return out.error("ERR WATCH inside MULTI is not allowed");
  for (size_t i = 1; i < args.size(); ++i) watch_key(ctx, args[i]);
  out.simple("OK");
}

void CmdUnwatch(CmdContext& ctx, Args, ReplySink& out) {
  unwatch_all(ctx.server, ctx.client);
  out.simple("OK");
}

/// Sets ctx.all_locked for a scope (the caller holds every shard lock).
class AllLockedScope {
 public:
  explicit AllLockedScope(CmdContext& ctx) : ctx_(ctx), was_(ctx.all_locked) { ctx.all_locked = true; }
  ~AllLockedScope() { ctx_.all_locked = was_; }
  AllLockedScope(const AllLockedScope&) = delete;
  AllLockedScope& operator=(const AllLockedScope&) = delete;
 private:
  CmdContext& ctx_;
  bool was_;
};

void CmdExec(CmdContext& ctx, Args, ReplySink& out) {
  auto& c = ctx.client;
  if (!c.in_multi) return out.error("ERR EXEC without MULTI");
  if (c.multi_dirty) {
    clear_multi(c);
    unwatch_all(ctx.server, c);
    return out.error("EXECABORT Transaction discarded because of previous errors.");
  }
  // Every shard lock first: every write that came before is then visible to the WATCH check,
  // and none can come between the check and the queued commands.
  AllShardsLock lock(ctx);
  AllLockedScope locked(ctx);
  const bool unchanged = watched_keys_unchanged(ctx);
  unwatch_all(ctx.server, c);
  auto queued = std::move(c.queued);
  clear_multi(c);
  if (!unchanged) return out.null_array();
  // Views over the queued commands' owned bytes, then one call list for run_all_locked.
  std::vector<std::vector<std::string_view>> views(queued.size());
  std::vector<Call> calls;
  calls.reserve(queued.size());
  for (size_t i = 0; i < queued.size(); ++i) {
    views[i].assign(queued[i].begin(), queued[i].end());
    const Args args(views[i].data(), views[i].size());
    calls.push_back({command_table().lookup(args), args});
  }
  out.array(calls.size());
  run_all_locked(ctx, calls, out);
}

}  // namespace

void run_all_locked(CmdContext& ctx, std::span<const Call> calls, ReplySink& out) {
  AllShardsLock lock(ctx);  // released even if a command throws; a no-op if already held
  bool was_locked = ctx.all_locked;
  ctx.all_locked = true;
  out.error_stats = &ctx.server.errors;
  GatedSink gated(out, ctx.client);
  const bool tracking = ctx.client.push_mode & ClientState::kPushTracking;  // keys read are remembered
  for (const Call& call : calls)
    if (!tracking || !run_tracked(ctx, *call.spec, call.args, gated)) execute(ctx, *call.spec, call.args, gated);
  ctx.all_locked = was_locked;
}

void register_transactions(CommandTable& t) {
  const char* g = "transactions";
  t.add({.name = "multi", .arity = 1, .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoRest | kNotQueued,
         .acl = kAclTransaction, .handler = CmdMulti, .group = g, .since = "1.2.0", .complexity = "O(1)",
         .summary = "Starts a transaction."});
  t.add({.name = "exec", .arity = 1, .flags = kNoScript | kLoading | kStale | kSkipSlowlog | kNoRest | kNotQueued,
         .acl = kAclTransaction, .handler = CmdExec, .group = g, .since = "1.2.0",
         .complexity = "Depends on commands in the transaction", .summary = "Runs the queued commands atomically."});
  t.add({.name = "discard", .arity = 1, .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoRest | kNotQueued,
         .acl = kAclTransaction, .handler = CmdDiscard, .group = g, .since = "2.0.0",
         .complexity = "O(N), when N is the number of queued commands", .summary = "Discards the queued commands."});
  t.add({.name = "watch", .arity = -2, .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoRest | kNotQueued,
         .acl = kAclTransaction, .keys = {{.flags = kKsRO, .index = 1, .lastkey = -1}}, .handler = CmdWatch, .group = g,
         .since = "2.2.0", .complexity = "O(1) for every key.", .syntax = "key [key ...]",
         .summary = "Watches keys: the next EXEC answers null (and runs nothing) if any of them was written, expired, evicted, invalidated or flushed in the meantime."});
  t.add({.name = "unwatch", .arity = 1, .flags = kNoScript | kLoading | kStale | kFast | kAllowBusy | kNoRest,
         .acl = kAclTransaction, .handler = CmdUnwatch, .group = g, .since = "2.2.0", .complexity = "O(1)",
         .summary = "Forgets every watched key (EXEC, DISCARD and RESET do too)."});
}


}  // namespace shardcache::commands
