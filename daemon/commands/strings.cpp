// daemon/commands/strings.cpp: the string family (GET, SET and options, MGET/MSET, counters,
// ranges): one Cmd* handler per row, each parsing its arguments, locking the key's shard
// (KeyLock / MultiKeyLock) and replying, with a few shared helpers (option parsing, writes).
#include <climits>
#include <cmath>
#include <cstring>

#include "daemon/commands/command_table.h"
#include "daemon/commands/util.h"

namespace shardcache::commands {
namespace {

using store::Entry;

constexpr std::string_view kErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// Redis 7.0's checkStringLength: APPEND / SETRANGE may not make a value longer than proto-max-bulk-len.
bool string_length_ok(const CmdContext& ctx, unsigned long long len) {
  return len <= ctx.server.config.proto_max_bulk_len.load(std::memory_order_relaxed);
}

/// Parsed SET/GETEX expiry options.
struct ExpireOpt {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  int64_t expire_ms = 0;  // absolute; 0 = none given
  bool has_expire = false;
  size_t tags_from = 0;   // SET ... TAGS t [t ...]: index of the first tag; 0 = none
};

/// Converts EX/PX/EXAT/PXAT `arg` to absolute ms. Returns false with Redis's error in err.
bool to_absolute_ms(std::string_view unit, std::string_view arg, int64_t now, std::string_view cmd,
                    int64_t& out, std::string& err) {
  auto v = parse_ll(arg);
  if (!v) { err = kErrNotInt; return false; }
  long long n = *v;
  bool secs = iequals(unit, "ex") || iequals(unit, "exat");
  bool rel = iequals(unit, "ex") || iequals(unit, "px");
  if (n <= 0 || (secs && n > LLONG_MAX / 1000)) {
    err = "ERR invalid expire time in '" + std::string(cmd) + "' command";
    return false;
  }
  if (secs) n *= 1000;
  if (rel) {
    if (n > LLONG_MAX - now) { err = "ERR invalid expire time in '" + std::string(cmd) + "' command"; return false; }
    n += now;
  }
  out = n;
  return true;
}

/// Parses SET options (from index 3) or GETEX options (from index 2, getex=true).
bool parse_expire_opts(Args args, size_t from, bool getex, int64_t now, ExpireOpt& o, std::string& err) {
  std::string_view cmd = getex ? "getex" : "set";
  for (size_t i = from; i < args.size(); ++i) {
    std::string_view a = args[i];
    bool has_next = i + 1 < args.size();
    if (!getex && iequals(a, "nx") && !o.xx) o.nx = true;
    else if (!getex && iequals(a, "xx") && !o.nx) o.xx = true;
    else if (!getex && iequals(a, "get")) o.get = true;
    else if (!getex && iequals(a, "tags") && has_next) { o.tags_from = i + 1; break; }  // TAGS comes last
    else if (!getex && iequals(a, "keepttl") && !o.has_expire) o.keepttl = true;
    else if (getex && iequals(a, "persist") && !o.has_expire) o.persist = true;
    else if ((iequals(a, "ex") || iequals(a, "px") || iequals(a, "exat") || iequals(a, "pxat")) && has_next &&
             !o.keepttl && !o.persist && !o.has_expire) {
      if (!to_absolute_ms(a, args[++i], now, cmd, o.expire_ms, err)) return false;
      o.has_expire = true;
    } else {
      err = kErrSyntax;
      return false;
    }
  }
  return true;
}

/// Stores `value` in place of `e` (or creates it), keeping e's TTL. nullptr on OOM.
Entry* write_value(KeyLock& k, Entry* e, std::string_view value) {
  if (!e) return k.put(value, 0);
  if (e->val_len != value.size()) {
    e = k.shard().resize_value_locked(e, value.size());
    if (!e) return nullptr;
  }
  if (!value.empty()) std::memmove(e->value_data(), value.data(), value.size());
  return e;
}

void CmdGet(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  reply_value(out, k.lookup());
}

void CmdSet(CmdContext& ctx, Args args, ReplySink& out) {
  ExpireOpt o;
  std::string err;
  if (!parse_expire_opts(args, 3, false, ctx.now_ms, o, err)) return out.error(err);
  KeyLock k(ctx, args[1]);
  Entry* old = o.get ? k.lookup() : k.find();
  bool exists = old != nullptr;
  std::string old_value = (o.get && old) ? std::string(old->value()) : std::string();
  if ((o.nx && exists) || (o.xx && !exists)) {
    if (o.get) return exists ? out.bulk(old_value) : out.null();
    return out.null();
  }
  int64_t expire = o.has_expire ? o.expire_ms : (o.keepttl && old ? old->expire_ms : int64_t{0});
  Entry* e = k.put(old, args[2], expire);
  if (!e) return out.error(kErrOom);
  k.modified();
  if (o.tags_from) k.shard().attach_tags_locked(e, args.subspan(o.tags_from));
  if (o.get) return exists ? out.bulk(old_value) : out.null();
  out.simple("OK");
}

void set_with_ttl(CmdContext& ctx, Args args, ReplySink& out, bool millis, std::string_view name) {
  auto v = parse_ll(args[2]);
  if (!v) return out.error(kErrNotInt);
  std::string err;
  int64_t abs = 0;
  if (!to_absolute_ms(millis ? "px" : "ex", args[2], ctx.now_ms, name, abs, err)) return out.error(err);
  KeyLock k(ctx, args[1]);
  if (!k.put(args[3], abs)) return out.error(kErrOom);
  k.modified();
  out.simple("OK");
}

void CmdSetex(CmdContext& ctx, Args args, ReplySink& out) { set_with_ttl(ctx, args, out, false, "setex"); }
void CmdPsetex(CmdContext& ctx, Args args, ReplySink& out) { set_with_ttl(ctx, args, out, true, "psetex"); }

void CmdSetnx(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  if (k.find()) return out.integer(0);
  if (!k.put(args[2], 0)) return out.error(kErrOom);
  k.modified();
  out.integer(1);
}

void CmdGetset(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.lookup();
  std::string old = e ? std::string(e->value()) : std::string();
  bool had = e != nullptr;
  if (!k.put(args[2], 0)) return out.error(kErrOom);
  k.modified();
  had ? out.bulk(old) : out.null();
}

void CmdGetdel(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.lookup();
  if (!e) return out.null();
  out.bulk(e->value());
  k.shard().erase_locked(e);
  k.modified();
}

void CmdGetex(CmdContext& ctx, Args args, ReplySink& out) {
  ExpireOpt o;
  std::string err;
  if (!parse_expire_opts(args, 2, true, ctx.now_ms, o, err)) return out.error(err);
  KeyLock k(ctx, args[1]);
  Entry* e = k.lookup();
  if (!e) return out.null();
  out.bulk(e->value());
  if (o.has_expire || (o.persist && e->expire_ms != 0)) {  // PERSIST on a persistent key changes nothing
    k.shard().set_expire_locked(e, o.has_expire ? o.expire_ms : 0);
    k.modified();
  }
}

void CmdMget(CmdContext& ctx, Args args, ReplySink& out) {
  out.array(args.size() - 1);
  for (size_t i = 1; i < args.size(); ++i) {
    KeyLock k(ctx, args[i]);
    reply_value(out, k.lookup());
  }
}

std::vector<std::string_view> keys_of_pairs(Args args) {
  std::vector<std::string_view> keys;
  for (size_t i = 1; i < args.size(); i += 2) keys.push_back(args[i]);
  return keys;
}

/// MSET / MSETNX body; the caller holds every involved shard.
bool mset_locked(CmdContext& ctx, Args args) {
  for (size_t i = 1; i + 1 < args.size(); i += 2) {
    uint64_t h = store::Store::hash(args[i]);
    if (!ctx.store().shard_for(h).put_locked(args[i], h, args[i + 1], 0)) return false;
    key_modified(ctx, args[i]);
  }
  return true;
}

void CmdMset(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() % 2 == 0) return out.error(arity_error("mset"));
  MultiKeyLock lock(ctx, keys_of_pairs(args));
  if (!mset_locked(ctx, args)) return out.error(kErrOom);
  out.simple("OK");
}

void CmdMsetnx(CmdContext& ctx, Args args, ReplySink& out) {
  if (args.size() % 2 == 0) return out.error(arity_error("msetnx"));
  MultiKeyLock lock(ctx, keys_of_pairs(args));
  for (size_t i = 1; i < args.size(); i += 2) {
    uint64_t h = store::Store::hash(args[i]);
    if (ctx.store().shard_for(h).find_locked(args[i], h, ctx.now_ms)) return out.integer(0);
  }
  if (!mset_locked(ctx, args)) return out.error(kErrOom);
  out.integer(1);
}

void incr_by(CmdContext& ctx, std::string_view key, long long delta, ReplySink& out) {
  KeyLock k(ctx, key);
  Entry* e = k.find();
  long long cur = 0;
  if (e) {
    auto v = parse_ll(e->value());
    if (!v) return out.error(kErrNotInt);
    cur = *v;
  }
  if ((delta < 0 && cur < 0 && delta < LLONG_MIN - cur) || (delta > 0 && cur > 0 && delta > LLONG_MAX - cur))
    return out.error(kErrOverflow);
  long long n = cur + delta;
  std::string s = std::to_string(n);
  if (!write_value(k, e, s)) return out.error(kErrOom);
  k.modified();
  out.integer(n);
}

void CmdIncr(CmdContext& ctx, Args args, ReplySink& out) { incr_by(ctx, args[1], 1, out); }
void CmdDecr(CmdContext& ctx, Args args, ReplySink& out) { incr_by(ctx, args[1], -1, out); }

void CmdIncrby(CmdContext& ctx, Args args, ReplySink& out) {
  auto d = parse_ll(args[2]);
  if (!d) return out.error(kErrNotInt);
  incr_by(ctx, args[1], *d, out);
}

void CmdDecrby(CmdContext& ctx, Args args, ReplySink& out) {
  auto d = parse_ll(args[2]);
  if (!d) return out.error(kErrNotInt);
  if (*d == LLONG_MIN) return out.error("ERR decrement would overflow");
  incr_by(ctx, args[1], -*d, out);
}

void CmdIncrbyfloat(CmdContext& ctx, Args args, ReplySink& out) {
  auto d = parse_ld(args[2]);
  if (!d) return out.error(kErrNotFloat);
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  long double cur = 0;
  if (e) {
    auto v = parse_ld(e->value());
    if (!v) return out.error(kErrNotFloat);
    cur = *v;
  }
  long double n = cur + *d;
  if (std::isnan(n) || std::isinf(n)) return out.error("ERR increment would produce NaN or Infinity");
  std::string s = format_ld(n);
  if (!write_value(k, e, s)) return out.error(kErrOom);
  k.modified();
  out.bulk(s);
}

void CmdAppend(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  if (!e) {
    if (!k.put(args[2], 0)) return out.error(kErrOom);
    k.modified();
    return out.integer(static_cast<long long>(args[2].size()));
  }
  size_t old_len = e->val_len;
  if (!string_length_ok(ctx, old_len + args[2].size())) return out.error(kErrStringTooLong);
  e = k.shard().resize_value_locked(e, old_len + args[2].size());
  if (!e) return out.error(kErrOom);
  std::memcpy(e->value_data() + old_len, args[2].data(), args[2].size());
  k.modified();
  out.integer(e->val_len);
}

void CmdStrlen(CmdContext& ctx, Args args, ReplySink& out) {
  KeyLock k(ctx, args[1]);
  Entry* e = k.lookup();
  out.integer(e ? e->val_len : 0);
}

void CmdGetrange(CmdContext& ctx, Args args, ReplySink& out) {
  auto s = parse_ll(args[2]), t = parse_ll(args[3]);
  if (!s || !t) return out.error(kErrNotInt);
  KeyLock k(ctx, args[1]);
  Entry* e = k.lookup();
  if (!e) return out.bulk("");
  long long len = e->val_len, start = *s, end = *t;
  if (start < 0 && end < 0 && start > end) return out.bulk("");
  if (start < 0) start = std::max(0LL, len + start);
  if (end < 0) end = std::max(0LL, len + end);
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return out.bulk("");
  out.bulk(e->value().substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void CmdSetrange(CmdContext& ctx, Args args, ReplySink& out) {
  auto off = parse_ll(args[2]);
  if (!off) return out.error(kErrNotInt);
  if (*off < 0) return out.error("ERR offset is out of range");
  std::string_view val = args[3];
  KeyLock k(ctx, args[1]);
  Entry* e = k.find();
  if (val.empty()) return out.integer(e ? e->val_len : 0);  // as Redis: nothing to write, no size check
  if (!string_length_ok(ctx, static_cast<unsigned long long>(*off) + val.size())) return out.error(kErrStringTooLong);
  size_t need = static_cast<size_t>(*off) + val.size();
  const bool created = e == nullptr;
  if (created) {
    e = k.put(std::string_view(), 0);  // grown in place below: no second copy of a large value
    if (!e) return out.error(kErrOom);
  }
  size_t old_len = e->val_len;
  if (need > old_len) {
    Entry* grown = k.shard().resize_value_locked(e, need);
    if (!grown) {
      if (created) k.shard().erase_locked(e);  // leave no empty key behind
      return out.error(kErrOom);
    }
    e = grown;
    std::memset(e->value_data() + old_len, 0, need - old_len);
  }
  std::memcpy(e->value_data() + *off, val.data(), val.size());
  k.modified();
  out.integer(e->val_len);
}

/// SET's key flags for COMMAND GETKEYSANDFLAGS: it reads the key only with GET (Redis's setGetKeys).
uint32_t set_key_flags(Args args) {
  for (size_t i = 3; i < args.size(); ++i)
    if (iequals(args[i], "get")) return kKsRW | kKsAccess | kKsUpdate;
  return kKsOW | kKsUpdate;
}

}  // namespace

void register_strings(CommandTable& t) {
  const char* g = "string";
  t.add({.name = "get", .arity = 2, .flags = kReadonly | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdGet, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Returns the string value of a key."});
  t.add({.name = "set", .arity = -3, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate | kKsVariableFlags, .index = 1,
                   .notes = "RW and ACCESS due to the optional `GET` argument"}},
         .key_flags = set_key_flags, .handler = CmdSet, .group = g, .since = "1.0.0", .complexity = "O(1)",
         .syntax = "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] [TAGS tag [tag ...]]",
         .summary = "Sets the string value of a key, ignoring its type; creates it if missing. TAGS (last) attaches tags for INVALIDATETAG; they live and die with this value."});
  t.add({.name = "setnx", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsOW | kKsInsert, .index = 1}}, .handler = CmdSetnx, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key value", .summary = "Sets a key only when it does not exist."});
  t.add({.name = "setex", .arity = 4, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsOW | kKsUpdate, .index = 1}}, .handler = CmdSetex, .group = g, .since = "2.0.0",
         .complexity = "O(1)", .syntax = "key seconds value", .summary = "Sets a key and its expiry in seconds."});
  t.add({.name = "psetex", .arity = 4, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsOW | kKsUpdate, .index = 1}}, .handler = CmdPsetex, .group = g, .since = "2.6.0",
         .complexity = "O(1)", .syntax = "key milliseconds value", .summary = "Sets a key and its expiry in milliseconds."});
  t.add({.name = "getset", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdGetset, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key value", .summary = "Sets a key and returns its previous value."});
  t.add({.name = "getdel", .arity = 2, .flags = kWrite | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsDelete, .index = 1}}, .handler = CmdGetdel, .group = g, .since = "6.2.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Returns a key's value and deletes the key."});
  t.add({.name = "getex", .arity = -2, .flags = kWrite | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1, .notes = "RW and UPDATE because it changes the TTL"}},
         .handler = CmdGetex, .group = g, .since = "6.2.0", .complexity = "O(1)",
         .syntax = "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
         .summary = "Returns a key's value and optionally changes its expiry."});
  t.add({.name = "mget", .arity = -2, .flags = kReadonly | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1, .lastkey = -1}}, .handler = CmdMget, .group = g,
         .since = "1.0.0", .complexity = "O(N) where N is the number of keys to retrieve.",
         .tips = "request_policy:multi_shard", .syntax = "key [key ...]", .summary = "Returns the values of several keys."});
  t.add({.name = "mset", .arity = -3, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsOW | kKsUpdate, .index = 1, .lastkey = -1, .keystep = 2}}, .handler = CmdMset, .group = g,
         .since = "1.0.1", .complexity = "O(N) where N is the number of keys to set.",
         .tips = "request_policy:multi_shard response_policy:all_succeeded", .syntax = "key value [key value ...]",
         .summary = "Sets several keys atomically."});
  t.add({.name = "msetnx", .arity = -3, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsOW | kKsInsert, .index = 1, .lastkey = -1, .keystep = 2}}, .handler = CmdMsetnx, .group = g,
         .since = "1.0.1", .complexity = "O(N) where N is the number of keys to set.",
         .tips = "request_policy:multi_shard response_policy:agg_min", .syntax = "key value [key value ...]",
         .summary = "Sets several keys only when none of them exists."});
  t.add({.name = "incr", .arity = 2, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdIncr, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Increments the integer value of a key by one."});
  t.add({.name = "decr", .arity = 2, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdDecr, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key", .summary = "Decrements the integer value of a key by one."});
  t.add({.name = "incrby", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdIncrby, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key increment", .summary = "Increments the integer value of a key."});
  t.add({.name = "decrby", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdDecrby, .group = g, .since = "1.0.0",
         .complexity = "O(1)", .syntax = "key decrement", .summary = "Decrements the integer value of a key."});
  t.add({.name = "incrbyfloat", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsAccess | kKsUpdate, .index = 1}}, .handler = CmdIncrbyfloat, .group = g,
         .since = "2.6.0", .complexity = "O(1)", .syntax = "key increment",
         .summary = "Increments the floating point value of a key."});
  t.add({.name = "append", .arity = 3, .flags = kWrite | kDenyOom | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsInsert, .index = 1}}, .handler = CmdAppend, .group = g, .since = "2.0.0",
         .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
         .syntax = "key value", .summary = "Appends a string to a key's value."});
  t.add({.name = "strlen", .arity = 2, .flags = kReadonly | kFast, .acl = kAclString,
         .keys = {{.flags = kKsRO, .index = 1}}, .handler = CmdStrlen, .group = g, .since = "2.2.0", .complexity = "O(1)",
         .syntax = "key", .summary = "Returns the length of a key's value."});
  t.add({.name = "getrange", .arity = 4, .flags = kReadonly, .acl = kAclString,
         .keys = {{.flags = kKsRO | kKsAccess, .index = 1}}, .handler = CmdGetrange, .group = g, .since = "2.4.0",
         .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
         .syntax = "key start end", .summary = "Returns a substring of a key's value."});
  t.add({.name = "setrange", .arity = 4, .flags = kWrite | kDenyOom, .acl = kAclString,
         .keys = {{.flags = kKsRW | kKsUpdate, .index = 1}}, .handler = CmdSetrange, .group = g, .since = "2.2.0",
         .complexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
         .syntax = "key offset value", .summary = "Overwrites part of a key's value at an offset."});
}

}  // namespace shardcache::commands
