// daemon/commands/keys.cpp: the generic key family: DEL/UNLINK/EXISTS/TYPE, expiry commands,
// KEYS/SCAN/RANDOMKEY, RENAME, TOUCH, DBSIZE and FLUSH*.
#include <climits>
#include <random>

#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"
#include "daemon/store/glob.h"

namespace shardcache::commands {
namespace {

using store::Entry;

void CmdDel(CmdContext& ctx, Args args, ReplySink& out) {
  long long n = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    KeyLock k(ctx, args[i]);
    if (Entry* e = k.find()) {
      k.shard().erase_locked(e);
      k.modified();
      ++n;
    }
  }
  out.integer(n);
}

void CmdExists(CmdContext& ctx, Args args, ReplySink& out) {
  long long n = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    KeyLock k(ctx, args[i]);
    if (k.find()) ++n;
  }
  out.integer(n);
}

void CmdTouch(CmdContext& ctx, Args args, ReplySink& out) {
  long long n = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    KeyLock k(ctx, args[i]);
    if (Entry* e = k.find()) {
      k.shard().touch_locked(e);
      ++n;
    }
  }
  out.integer(n);
}

void CmdType(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  out.simple(k.find() ? "string" : "none");
}

/// EXPIRE family. `unit_ms`: 1000 or 1; `absolute`: *AT variants.
void expire_generic(CmdContext& ctx, Args args, ReplySink& out, long long unit_ms, bool absolute, std::string_view name) {
  auto v = parse_ll(args[2]);
  if (!v) return out.error(kErrNotInt);
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < args.size(); ++i) {
    if (iequals(args[i], "nx")) nx = true;
    else if (iequals(args[i], "xx")) xx = true;
    else if (iequals(args[i], "gt")) gt = true;
    else if (iequals(args[i], "lt")) lt = true;
    else return out.error("ERR Unsupported option " + std::string(args[i]));
  }
  if (nx && (xx || gt || lt)) return out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt) return out.error("ERR GT and LT options at the same time are not compatible");
  long long when = *v;
  if ((when > LLONG_MAX / unit_ms) || (when < LLONG_MIN / unit_ms))
    return out.error("ERR invalid expire time in '" + std::string(name) + "' command");
  when *= unit_ms;
  if (!absolute) {
    if ((when > 0 && ctx.now_ms > LLONG_MAX - when))
      return out.error("ERR invalid expire time in '" + std::string(name) + "' command");
    when += ctx.now_ms;
  }
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  if (!e) return out.integer(0);
  int64_t cur = e->expire_ms;  // 0 = persistent = infinite
  if (nx && cur != 0) return out.integer(0);
  if (xx && cur == 0) return out.integer(0);
  if (gt && (cur == 0 || when <= cur)) return out.integer(0);
  if (lt && cur != 0 && when >= cur) return out.integer(0);
  k.modified();
  if (when <= ctx.now_ms) {
    k.shard().erase_locked(e);
    return out.integer(1);
  }
  k.shard().set_expire_locked(e, when);
  out.integer(1);
}

void CmdExpire(CmdContext& c, Args a, ReplySink& o) { expire_generic(c, a, o, 1000, false, "expire"); }
void CmdPexpire(CmdContext& c, Args a, ReplySink& o) { expire_generic(c, a, o, 1, false, "pexpire"); }
void CmdExpireat(CmdContext& c, Args a, ReplySink& o) { expire_generic(c, a, o, 1000, true, "expireat"); }
void CmdPexpireat(CmdContext& c, Args a, ReplySink& o) { expire_generic(c, a, o, 1, true, "pexpireat"); }

/// TTL family: `ms` output unit; `absolute`: EXPIRETIME variants.
void ttl_generic(CmdContext& ctx, Args args, ReplySink& out, bool ms, bool absolute) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  if (!e) return out.integer(-2);
  if (e->expire_ms == 0) return out.integer(-1);
  long long v = absolute ? e->expire_ms : std::max<long long>(0, e->expire_ms - ctx.now_ms);
  out.integer(ms ? v : (absolute ? v / 1000 : (v + 500) / 1000));
}

void CmdTtl(CmdContext& c, Args a, ReplySink& o) { ttl_generic(c, a, o, false, false); }
void CmdPttl(CmdContext& c, Args a, ReplySink& o) { ttl_generic(c, a, o, true, false); }
void CmdExpiretime(CmdContext& c, Args a, ReplySink& o) { ttl_generic(c, a, o, false, true); }
void CmdPexpiretime(CmdContext& c, Args a, ReplySink& o) { ttl_generic(c, a, o, true, true); }

void CmdPersist(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  if (!e || e->expire_ms == 0) return out.integer(0);
  k.shard().set_expire_locked(e, 0);
  k.modified();
  out.integer(1);
}

void CmdKeys(CmdContext& ctx, Args args, ReplySink& out) {
  std::vector<std::string> found;
  bool all = args[1] == "*";
  for (size_t i = 0; i < ctx.store().shard_count(); ++i) {
    std::unique_lock<std::mutex> lock;
    if (!ctx.all_locked) lock = std::unique_lock<std::mutex>(ctx.store().shard(i).mutex());
    ctx.store().shard(i).table_locked().for_each([&](Entry* e) {
      if (ctx.store().shard(i).visible_locked(e, ctx.now_ms) && (all || store::glob_match(args[1], e->key())))
        found.emplace_back(e->key());
    });
  }
  out.array(found.size());
  for (auto& k : found) out.bulk(k);
}

/// SCAN cursor = (per-shard table cursor << shard_bits) | shard index; always < 2^53.
void CmdScan(CmdContext& ctx, Args args, ReplySink& out) {
  auto cur = parse_ll(args[1]);
  if (!cur || *cur < 0) return out.error("ERR invalid cursor");
  std::string_view match, type;
  long long count = 10;
  for (size_t i = 2; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return out.error(kErrSyntax);
    if (iequals(args[i], "match")) match = args[i + 1];
    else if (iequals(args[i], "type")) type = args[i + 1];
    else if (iequals(args[i], "count")) {
      auto c = parse_ll(args[i + 1]);
      if (!c) return out.error(kErrNotInt);
      if (*c < 1) return out.error(kErrSyntax);
      count = *c;
    } else return out.error(kErrSyntax);
  }
  auto& st = ctx.store();
  uint64_t cursor = static_cast<uint64_t>(*cur);
  size_t shard = cursor & ((1ull << st.shard_bits()) - 1);
  uint64_t tcur = cursor >> st.shard_bits();
  bool type_ok = type.empty() || iequals(type, "string");
  bool match_all = match.empty() || match == "*";
  std::vector<std::string> keys;
  // Redis's bound: at most COUNT*10 table steps per call (saturating: COUNT may be LLONG_MAX).
  long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
  while (shard < st.shard_count() && static_cast<long long>(keys.size()) < count && budget-- > 0) {
    std::unique_lock<std::mutex> lock;
    if (!ctx.all_locked) lock = std::unique_lock<std::mutex>(st.shard(shard).mutex());
    tcur = st.shard(shard).table_locked().scan(tcur, [&](Entry* e) {
      if (type_ok && st.shard(shard).visible_locked(e, ctx.now_ms) && (match_all || store::glob_match(match, e->key())))
        keys.emplace_back(e->key());
    });
    if (tcur == 0) ++shard;
  }
  uint64_t next = shard >= st.shard_count() ? 0 : ((tcur << st.shard_bits()) | shard);
  out.array(2);
  out.bulk(std::to_string(next));
  out.array(keys.size());
  for (auto& k : keys) out.bulk(k);
}

void CmdRandomkey(CmdContext& ctx, Args, ReplySink& out) {
  auto& st = ctx.store();
  std::random_device rd;
  std::mt19937_64 rng(rd());
  for (int attempt = 0; attempt < 100; ++attempt) {
    size_t i = rng() % st.shard_count();
    std::unique_lock<std::mutex> lock;
    if (!ctx.all_locked) lock = std::unique_lock<std::mutex>(st.shard(i).mutex());
    Entry* e = st.shard(i).table_locked().random_chain(rng());
    if (e && st.shard(i).visible_locked(e, ctx.now_ms)) return out.bulk(e->key());
  }
  // Sparse or mostly expired: fall back to the first live key.
  for (size_t i = 0; i < st.shard_count(); ++i) {
    std::unique_lock<std::mutex> lock;
    if (!ctx.all_locked) lock = std::unique_lock<std::mutex>(st.shard(i).mutex());
    std::string found;
    st.shard(i).table_locked().for_each([&](Entry* e) {
      if (found.empty() && st.shard(i).visible_locked(e, ctx.now_ms)) found = std::string(e->key());
    });
    if (!found.empty()) return out.bulk(found);
  }
  out.null();
}

void rename_generic(CmdContext& ctx, Args args, ReplySink& out, bool nx) {
  MultiKeyLock lock(ctx, {args[1], args[2]});
  uint64_t hs = store::Store::hash(args[1]), hd = store::Store::hash(args[2]);
  auto& src_shard = ctx.store().shard_for(hs);
  auto& dst_shard = ctx.store().shard_for(hd);
  Entry* src = src_shard.find_locked(args[1], hs, ctx.now_ms);
  if (!src) return out.error("ERR no such key");
  if (args[1] == args[2]) return nx ? out.integer(0) : out.simple("OK");
  if (nx && dst_shard.find_locked(args[2], hd, ctx.now_ms)) return out.integer(0);
  std::string value(src->value());
  int64_t exp = src->expire_ms;
  std::vector<std::string> tags = src_shard.tags_of_locked(src);  // tags move with the value
  src_shard.erase_locked(src);
  key_modified(ctx, args[1]);
  Entry* dst = dst_shard.put_locked(args[2], hd, value, exp);
  if (!dst) return out.error(kErrOom);
  std::vector<std::string_view> tag_views(tags.begin(), tags.end());
  dst_shard.attach_tags_locked(dst, tag_views);
  key_modified(ctx, args[2]);
  nx ? out.integer(1) : out.simple("OK");
}

void CmdRename(CmdContext& c, Args a, ReplySink& o) { rename_generic(c, a, o, false); }
void CmdRenamenx(CmdContext& c, Args a, ReplySink& o) { rename_generic(c, a, o, true); }

void CmdDbsize(CmdContext& ctx, Args, ReplySink& out) {
  long long n = 0;
  for (size_t i = 0; i < ctx.store().shard_count(); ++i) {
    std::unique_lock<std::mutex> lock;
    if (!ctx.all_locked) lock = std::unique_lock<std::mutex>(ctx.store().shard(i).mutex());
    n += static_cast<long long>(ctx.store().shard(i).size_locked());
  }
  out.integer(n);
}

void CmdFlush(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() > 2) return out.error(kErrSyntax);
  if (args.size() == 2 && !iequals(args[1], "sync") && !iequals(args[1], "async")) return out.error(kErrSyntax);
  {
    AllShardsLock lock(ctx);
    for (size_t i = 0; i < ctx.store().shard_count(); ++i) ctx.store().shard(i).clear_locked();
    ctx.server.tracking.flush_all();  // every tracking client: a null invalidation (Redis 7.0)
  }
  // As Redis 7.0's FLUSHALL: with save points set, save the empty keyspace at once, so a crash
  // does not bring the flushed keys back (not inside EXEC, which holds every shard lock).
  auto* p = ctx.server.persister;
  if (iequals(args[0], "flushall") && p && !ctx.all_locked && p->would_save_on_shutdown(false, false)) {
    std::string err;
    p->save(err);  // a failure is logged; FLUSHALL still succeeded
  }
  out.simple("OK");
}

}  // namespace

void register_keys(CommandTable& t) {
  const char* g = "generic";
  t.add({.name = "del", .arity = -2, .flags = kWrite, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRM | kKsDelete, .index = 1, .lastkey = -1}}, .handler = CmdDel, .group = g, .since = "1.0.0",
         .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
         .tips = "request_policy:multi_shard response_policy:agg_sum", .syntax = "key [key ...]",
         .summary = "Deletes one or more keys."});
  t.add({.name = "unlink", .arity = -2, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRM | kKsDelete, .index = 1, .lastkey = -1}}, .handler = CmdDel, .group = g, .since = "4.0.0",
         .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
         .tips = "request_policy:multi_shard response_policy:agg_sum", .syntax = "key [key ...]",
         .summary = "Deletes one or more keys (memory is freed at once)."});
  t.add({.name = "exists", .arity = -2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO, .index = 1, .lastkey = -1}}, .handler = CmdExists, .group = g, .since = "1.0.0",
         .complexity = "O(N) where N is the number of keys to check.",
         .tips = "request_policy:multi_shard response_policy:agg_sum", .syntax = "key [key ...]",
         .summary = "Counts how many of the keys exist."});
  t.add({.name = "touch", .arity = -2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO, .index = 1, .lastkey = -1}}, .handler = CmdTouch, .group = g, .since = "3.2.1",
         .complexity = "O(N) where N is the number of keys that will be touched.",
         .tips = "request_policy:multi_shard response_policy:agg_sum", .syntax = "key [key ...]",
         .summary = "Refreshes the recency of keys; returns how many exist."});
  t.add({.name = "type", .arity = 2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO, .index = 1}}, .handler = CmdType, .group = g, .since = "1.0.0", .complexity = "O(1)",
         .syntax = "key", .summary = "Returns the type of a key (string or none)."});
  t.add({.name = "expire", .arity = -3, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdExpire, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key seconds [NX | XX | GT | LT]",
         .summary = "Sets a key's time to live in seconds."});
  t.add({.name = "pexpire", .arity = -3, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdPexpire, .group = g, .since = "2.6.0",
         .complexity = "O(1)", .syntax = "key milliseconds [NX | XX | GT | LT]",
         .summary = "Sets a key's time to live in milliseconds."});
  t.add({.name = "expireat", .arity = -3, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdExpireat, .group = g, .since = "1.2.0",
         .complexity = "O(1)", .syntax = "key unix-time-seconds [NX | XX | GT | LT]",
         .summary = "Sets a key's expiry as a unix time in seconds."});
  t.add({.name = "pexpireat", .arity = -3, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdPexpireat, .group = g, .since = "2.6.0",
         .complexity = "O(1)", .syntax = "key unix-time-milliseconds [NX | XX | GT | LT]",
         .summary = "Sets a key's expiry as a unix time in milliseconds."});
  t.add({.name = "ttl", .arity = 2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdTtl, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .tips = "nondeterministic_output", .syntax = "key",
         .summary = "Seconds to live (-1 no expiry, -2 missing)."});
  t.add({.name = "pttl", .arity = 2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdPttl, .group = g, .since = "2.6.0",
         .complexity = "O(1)", .tips = "nondeterministic_output", .syntax = "key",
         .summary = "Milliseconds to live (-1 no expiry, -2 missing)."});
  t.add({.name = "expiretime", .arity = 2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdExpiretime, .group = g, .since = "7.0.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Expiry as unix seconds (-1, -2 as TTL)."});
  t.add({.name = "pexpiretime", .arity = 2, .flags = kReadonly | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdPexpiretime, .group = g, .since = "7.0.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Expiry as unix milliseconds (-1, -2 as TTL)."});
  t.add({.name = "persist", .arity = 2, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdPersist, .group = g, .since = "2.2.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Removes a key's expiry."});
  t.add({.name = "keys", .arity = 2, .flags = kReadonly, .acl = kAclKeyspace | kAclDangerous, .handler = CmdKeys,
         .group = g, .since = "1.0.0",
         .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
         .tips = "request_policy:all_shards nondeterministic_output_order", .syntax = "pattern",
         .summary = "Returns every key matching a glob pattern."});
  t.add({.name = "scan", .arity = -2, .flags = kReadonly, .acl = kAclKeyspace, .handler = CmdScan, .group = g,
         .since = "2.8.0",
         .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
         .tips = "nondeterministic_output request_policy:special",
         .syntax = "cursor [MATCH pattern] [COUNT count] [TYPE type]",
         .summary = "Iterates over the keyspace with a cursor."});
  t.add({.name = "randomkey", .arity = 1, .flags = kReadonly, .acl = kAclKeyspace, .handler = CmdRandomkey, .group = g,
         .since = "1.0.0", .complexity = "O(1)", .tips = "request_policy:all_shards nondeterministic_output",
         .summary = "Returns a random key."});
  t.add({.name = "rename", .arity = 3, .flags = kWrite, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsAccess | kKsDelete, .index = 1}, {.flags = kKsOW | kKsUpdate, .index = 2}},
         .handler = CmdRename, .group = g, .since = "1.0.0", .complexity = "O(1)", .syntax = "key newkey",
         .summary = "Renames a key, overwriting the destination."});
  t.add({.name = "renamenx", .arity = 3, .flags = kWrite | kFast, .acl = kAclKeyspace,
         .keys = {{.flags = kKsRW | kKsAccess | kKsDelete, .index = 1}, {.flags = kKsOW | kKsInsert, .index = 2}},
         .handler = CmdRenamenx, .group = g, .since = "1.0.0", .complexity = "O(1)", .syntax = "key newkey",
         .summary = "Renames a key only if the new name is free."});
  t.add({.name = "dbsize", .arity = 1, .flags = kReadonly | kFast, .acl = kAclKeyspace, .handler = CmdDbsize,
         .group = "server", .since = "1.0.0", .complexity = "O(1)",
         .tips = "request_policy:all_shards response_policy:agg_sum", .summary = "Returns the number of keys."});
  t.add({.name = "flushdb", .arity = -1, .flags = kWrite, .acl = kAclKeyspace | kAclDangerous, .handler = CmdFlush,
         .group = "server", .since = "1.0.0", .complexity = "O(N) where N is the number of keys in the selected database",
         .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "[ASYNC | SYNC]",
         .summary = "Removes every key."});
  t.add({.name = "flushall", .arity = -1, .flags = kWrite, .acl = kAclKeyspace | kAclDangerous, .handler = CmdFlush,
         .group = "server", .since = "1.0.0", .complexity = "O(N) where N is the total number of keys in all databases",
         .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "[ASYNC | SYNC]",
         .summary = "Removes every key."});
}

}  // namespace shardcache::commands
