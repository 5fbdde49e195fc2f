// daemon/state/watch_registry.h: WATCH's registry of key -> watching clients, in independently
// locked slots (the WATCH commands themselves are in commands/watch.h).
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

namespace shardcache::state {

struct ClientState;

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

}  // namespace shardcache::state
