// daemon/commands/watch.h: WATCH's registry: which clients watch which keys, so that a write
// to a watched key marks its watchers dirty and their EXEC answers a null array (Redis 7).
// Writers mark while they still hold the key's shard lock (KeyLock::modified), so an EXEC that
// holds every shard lock sees every write that came before it. When nobody watches anything,
// the write path costs one relaxed atomic load (active()).
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shardcache::commands {

struct ClientState;
struct ServerState;
struct CmdContext;

/// One key a client watches and whether it existed (live) when WATCH ran: a key that existed
/// then and is gone at EXEC was expired, evicted, invalidated or flushed, which aborts EXEC
/// just as a write does (Redis 7.0 also aborts when a watched key expires in between).
struct WatchedKey {
  std::string key;
  bool existed = false;
};

/// Key -> watching clients, in independently locked slots. The slot mutexes are always taken
/// last (after any shard lock), never while holding another slot.
class WatchRegistry {
 public:
  /// True when at least one client watches at least one key.
  bool active() const { return pairs_.load(std::memory_order_relaxed) != 0; }
  /// Adds `c` as a watcher of `key` (`hash` = Store::hash(key)); false when it already was one.
  bool add(ClientState& c, std::string_view key, uint64_t hash);
  /// Removes `c` as a watcher of `key`.
  void remove(ClientState& c, std::string_view key, uint64_t hash);
  /// Marks every client watching `key` dirty. Call with the key's shard lock held.
  void touch(std::string_view key, uint64_t hash);
  /// Number of distinct watched keys (INFO watching_keys style figure; takes every slot lock).
  size_t key_count() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct alignas(64) Slot {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::vector<ClientState*>, StringHash, std::equal_to<>> keys;
  };
  static constexpr size_t kSlots = 64;
  Slot& slot(uint64_t hash) { return slots_[(hash >> 20) & (kSlots - 1)]; }
  std::array<Slot, kSlots> slots_;
  std::atomic<size_t> pairs_{0};  ///< (key, client) pairs registered
};

/// WATCH for one key: registers the client and records whether the key is live now.
void watch_key(CmdContext& ctx, std::string_view key);
/// Forgets every key `c` watches and clears its dirty flag (UNWATCH, EXEC, DISCARD, RESET, close).
void unwatch_all(ServerState& server, ClientState& c);
/// At EXEC, with every shard lock held: true when no watched key was written, and none that
/// was live at WATCH is gone now.
bool watched_keys_unchanged(CmdContext& ctx);

}  // namespace shardcache::commands
