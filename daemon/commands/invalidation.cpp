// daemon/commands/invalidation.cpp: the invalidation family: INVALIDATE pattern [pattern ...] and
// INVALIDATETAG tag [tag ...]. Both build a spec and run a store::InvalidationJob, which marks
// every shard at once (the instant the call takes effect for every client) and then reclaims
// in bounded steps. On a front end that supports continuations the steps run in short slices
// between the other commands of the same io thread, so even a huge invalidation stalls nobody;
// elsewhere (in-process callers) the steps run back to back, still releasing locks in between.
#include <chrono>
#include <memory>
#include <thread>

#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/store/invalidation_job.h"

namespace shardcache::commands {
namespace {

using namespace std::chrono_literals;

/// Io-thread time one slice may take before the thread serves its other clients. Between slices
/// the thread also yields its core: a big invalidation is CPU-bound, and on a small machine the
/// clients and the other io threads need that core more than the invalidation needs to finish
/// a few ms sooner.
constexpr auto kSlice = 100us;
/// The first slice runs inline and unyielded: calls up to a few thousand keys finish in it.
constexpr auto kFirstSlice = 500us;

void run_job(CmdContext& ctx, store::InvalidationSpec spec, ReplySink& out) {
  if (ctx.all_locked) {  // inside EXEC every shard lock is ours: finish now
    store::InvalidationJob job(ctx.store(), std::move(spec), ctx.now_ms, true);
    job.run_to_end();
    return out.integer(static_cast<long long>(job.removed()));
  }
  auto job = std::make_shared<store::InvalidationJob>(ctx.store(), std::move(spec), ctx.now_ms, false);
  if (!ctx.client.supports_continuation) {
    job->run_to_end();
    return out.integer(static_cast<long long>(job->removed()));
  }
  if (job->run_for(kFirstSlice)) return out.integer(static_cast<long long>(job->removed()));
  ctx.client.continuation = [job](ReplySink& sink) {
    std::this_thread::yield();
    if (!job->run_for(kSlice)) return false;
    sink.integer(static_cast<long long>(job->removed()));
    return true;
  };
}

void CmdInvalidate(CmdContext& ctx, Args args, ReplySink& out) {
  run_job(ctx, store::InvalidationSpec::for_patterns(args.subspan(1)), out);
}

void CmdInvalidatetag(CmdContext& ctx, Args args, ReplySink& out) {
  run_job(ctx, store::InvalidationSpec::for_tags(args.subspan(1)), out);
}

}  // namespace

void register_invalidation(CommandTable& t) {
  const char* g = "invalidation";
  t.add({.name = "invalidate", .arity = -2, .flags = kWrite, .acl = kAclKeyspace | kAclDangerous,
         .handler = CmdInvalidate, .group = g, .since = "shardcache 0.1.0",
         .complexity = "O(1) per literal key, O(matches) per literal prefix, O(N) for other globs",
         .syntax = "pattern [pattern ...]",
         .summary = "Atomically removes every key matching any of the glob patterns (KEYS syntax: * ? [a-z] [^x] \\ escapes) "
         "and returns how many were removed. A literal key costs O(1), a literal prefix followed by * "
         "(course:42:*) O(matches); other globs walk the keys in bounded steps. Keys written after the call "
         "began survive."});
  t.add({.name = "invalidatetag", .arity = -2, .flags = kWrite, .acl = kAclKeyspace, .handler = CmdInvalidatetag,
         .group = g, .since = "shardcache 0.1.0", .complexity = "O(N) where N is the number of keys carrying the tags",
         .syntax = "tag [tag ...]",
         .summary = "Atomically removes every key carrying any of the tags (given with SET ... TAGS) and returns how many "
         "were removed, at O(tagged keys). Keys written after the call began survive."});
}

}  // namespace shardcache::commands
