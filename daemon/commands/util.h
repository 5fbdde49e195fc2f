// daemon/commands/util.h: helpers shared by the command families: Redis's strict number
// parsing, error texts, and shard locking that respects EXEC (where every shard is held).
#pragma once
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ascii.h"
#include "base/numbers.h"
#include "daemon/commands/context.h"
#include "daemon/commands/reply_sink.h"

namespace shardcache::commands {

inline constexpr std::string_view kErrNotInt = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kErrOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kErrOverflow = "ERR increment or decrement would overflow";

using base::parse_ll;  // Redis's string2ll
/// Redis's strtold-based parse for INCRBYFLOAT / scores: rejects spaces, empty, nan.
std::optional<long double> parse_ld(std::string_view s);
/// Formats a long double like Redis's INCRBYFLOAT ("%.17Lf" with trailing zeros trimmed).
std::string format_ld(long double v);
/// Redis's "wrong number of arguments for 'x' command" text.
std::string arity_error(std::string_view fullname);
using base::lower;
using base::upper;
/// Compares secrets (AUTH password, REST bearer token) without an early exit on the first
/// differing byte, so the time taken does not tell how much of a guess was right.
bool secret_equals(std::string_view a, std::string_view b);
/// Resident set size of this process in bytes (/proc/self/statm); INFO and /metrics report it.
size_t process_rss();

/// Holds the lock of the shard owning one key for the scope (not when inside EXEC).
class KeyLock {
 public:
  KeyLock(CmdContext& ctx, std::string_view key)
      : ctx_(ctx), key_(key), hash_(store::Store::hash(key)), shard_(ctx.store().shard_for(hash_)), now_(ctx.now_ms) {
    if (!ctx.all_locked) lock_ = std::unique_lock<std::mutex>(shard_.mutex());
  }
  store::Shard& shard() { return shard_; }
  uint64_t hash() const { return hash_; }
  std::string_view key() const { return key_; }
  /// Live entry without counting a hit/miss.
  store::Entry* find() { return shard_.find_locked(key_, hash_, now_); }
  /// Live entry, counting a hit or miss and refreshing recency.
  store::Entry* lookup() { return shard_.lookup_locked(key_, hash_, now_); }
  store::Entry* put(std::string_view value, int64_t expire_ms) { return shard_.put_locked(key_, hash_, value, expire_ms); }
  /// put() for a key just looked up under this lock: `existing` is what find()/lookup() returned.
  store::Entry* put(store::Entry* existing, std::string_view value, int64_t expire_ms) {
    return shard_.put_existing_locked(existing, key_, hash_, value, expire_ms);
  }
  /// Tells WATCH and client-side caching the key was changed (Redis's signalModifiedKey); call
  /// while the lock is held, after a change that took effect (not for a no-op such as SET NX on
  /// an existing key).
  void modified() {
    if (ctx_.server.watches.active()) ctx_.server.watches.touch(key_, hash_);
    if (ctx_.server.tracking.active()) [[unlikely]] ctx_.server.tracking.invalidate(key_, ctx_.client.id);
  }

 private:
  CmdContext& ctx_;
  std::string_view key_;
  uint64_t hash_;
  store::Shard& shard_;
  int64_t now_;
  std::unique_lock<std::mutex> lock_;
};

/// KeyLock::modified() for a key whose shard lock the caller holds some other way (MultiKeyLock).
inline void key_modified(CmdContext& ctx, std::string_view key) {
  if (ctx.server.watches.active()) ctx.server.watches.touch(key, store::Store::hash(key));
  if (ctx.server.tracking.active()) [[unlikely]] ctx.server.tracking.invalidate(key, ctx.client.id);
}

/// Holds the locks of every shard touched by a set of keys, in ascending shard order.
class MultiKeyLock {
 public:
  MultiKeyLock(CmdContext& ctx, const std::vector<std::string_view>& keys);
  ~MultiKeyLock();
  MultiKeyLock(const MultiKeyLock&) = delete;
  MultiKeyLock& operator=(const MultiKeyLock&) = delete;
 private:
  CmdContext& ctx_;
  std::vector<size_t> held_;
};

/// Holds every shard lock (FLUSHALL, KEYS snapshot); a no-op inside EXEC.
class AllShardsLock {
 public:
  explicit AllShardsLock(CmdContext& ctx) : ctx_(ctx), owned_(!ctx.all_locked) { if (owned_) ctx_.store().lock_all(); }
  ~AllShardsLock() { if (owned_) ctx_.store().unlock_all(); }
  AllShardsLock(const AllShardsLock&) = delete;
  AllShardsLock& operator=(const AllShardsLock&) = delete;
 private:
  CmdContext& ctx_;
  bool owned_;
};

/// Writes the reply for "value of key": bulk, or null when missing.
inline void reply_value(ReplySink& out, const store::Entry* e) {
  if (e) out.bulk(e->value()); else out.null();
}

}  // namespace shardcache::commands
