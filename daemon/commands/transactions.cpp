// daemon/commands/transactions.cpp: MULTI / EXEC / DISCARD. EXEC takes every shard lock in
// ascending order and runs the queued commands with ctx.all_locked, so no other client sees
// a half-applied transaction. run_all_locked() is that step on its own, shared with REST's
// /multi-exec.
#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {
namespace {

void clear_multi(ClientState& c) {
  c.in_multi = false;
  c.multi_dirty = false;
  c.queued.clear();
}

void CmdMulti(CmdContext& ctx, Args, ReplySink& out) {
  if (ctx.client.in_multi) return out.error("ERR MULTI calls can not be nested");
  ctx.client.in_multi = true;
  out.simple("OK");
}

void CmdDiscard(CmdContext& ctx, Args, ReplySink& out) {
  if (!ctx.client.in_multi) return out.error("ERR DISCARD without MULTI");
  clear_multi(ctx.client);
  out.simple("OK");
}

void CmdExec(CmdContext& ctx, Args, ReplySink& out) {
  auto& c = ctx.client;
  if (!c.in_multi) return out.error("ERR EXEC without MULTI");
  if (c.multi_dirty) {
    clear_multi(c);
    return out.error("EXECABORT Transaction discarded because of previous errors.");
  }
  auto queued = std::move(c.queued);
  clear_multi(c);
  // Views over the queued commands' owned bytes, then one call list for run_all_locked.
  std::vector<std::vector<std::string_view>> views(queued.size());
  std::vector<Call> calls;
  calls.reserve(queued.size());
  for (size_t i = 0; i < queued.size(); ++i) {
    views[i].assign(queued[i].begin(), queued[i].end());
    calls.push_back({command_table().find(views[i][0]), Args(views[i].data(), views[i].size())});
  }
  out.array(calls.size());
  run_all_locked(ctx, calls, out);
}

}  // namespace

void run_all_locked(CmdContext& ctx, std::span<const Call> calls, ReplySink& out) {
  AllShardsLock lock(ctx);  // released even if a command throws; a no-op if already held
  bool was_locked = ctx.all_locked;
  ctx.all_locked = true;
  for (const Call& call : calls) execute(ctx, *call.spec, call.args, out);
  ctx.all_locked = was_locked;
}

void register_transactions(CommandTable& t) {
  const char* g = "transactions";
  t.add({"multi", 1, kFast | kNoMulti, 0, 0, 0, CmdMulti, g, "", "Starts a transaction."});
  t.add({"exec", 1, kNoMulti, 0, 0, 0, CmdExec, g, "", "Runs the queued commands atomically."});
  t.add({"discard", 1, kFast | kNoMulti, 0, 0, 0, CmdDiscard, g, "", "Discards the queued commands."});
}


}  // namespace shardcache::commands
