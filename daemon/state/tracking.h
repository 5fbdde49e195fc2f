// daemon/state/tracking.h: the server side of client-side caching (CLIENT TRACKING, Redis 6+):
// which clients may hold which keys, and sending them an invalidation when a key changes.
// Default mode remembers the keys a tracking client read (key -> client ids, in independently
// locked slots, like WATCH's registry); BCAST mode keeps prefixes (prefix -> client ids) and
// sends every change of a matching key. The messages go through ClientState::push, which the
// front end (net/) runs on the client's own io thread. No Asio, no protocol.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/state/client_state.h"
#include "daemon/store/store.h"

namespace shardcache::state {

/// The tracking tables. Lock order: a slot or the prefix lock is taken after any shard lock and
/// released before the registry's lock is taken to deliver; no two slots are held at once.
class Tracking final : public store::RemovalObserver {
 public:
  Tracking(ClientRegistry& clients, store::Store& store) : clients_(clients), store_(store) {}
  ~Tracking() { if (store_.observer() == this) store_.set_observer(nullptr); }
  Tracking(const Tracking&) = delete;
  Tracking& operator=(const Tracking&) = delete;

  /// True when at least one client tracks (the one check a write pays otherwise).
  bool active() const { return clients_tracking_.load(std::memory_order_relaxed) != 0; }

  /// CLIENT TRACKING ON for `c` (flags: ClientState::kTrack* options; prefixes for BCAST, none
  /// = every key). The caller has checked Redis's rules.
  void enable(ClientState& c, uint64_t redirect, uint32_t options, const std::vector<std::string>& prefixes);
  /// CLIENT TRACKING OFF, RESET and closing: forgets the client's prefixes (its keys in the
  /// default table are dropped lazily, as Redis does).
  void disable(ClientState& c);

  /// After a read-only command of a tracking client (not BCAST): remember `key` for it, then
  /// drop keys over tracking-table-max-keys (`max_keys`, 0 = no limit) with their invalidations.
  void remember(ClientState& c, std::string_view key, uint64_t max_keys);
  /// A key changed (a write; `origin` is the writing client's id, 0 for the store's own
  /// removals): invalidates it for the clients that read it and the BCAST prefixes it matches.
  void invalidate(std::string_view key, uint64_t origin);
  /// FLUSHALL / FLUSHDB: every tracking client gets a null invalidation; the table is emptied.
  void flush_all();
  /// store::RemovalObserver: expiry, eviction and INVALIDATE's reaping.
  void removed(std::string_view key) override { if (active()) invalidate(key, 0); }

  /// INFO: clients tracking, keys in the table, (key, client) pairs, BCAST prefixes.
  uint64_t clients_tracking() const { return clients_tracking_.load(std::memory_order_relaxed); }
  uint64_t total_keys() const { return total_keys_.load(std::memory_order_relaxed); }
  uint64_t total_items() const { return total_items_.load(std::memory_order_relaxed); }
  uint64_t total_prefixes() const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct alignas(64) Slot {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<uint64_t>, StringHash, std::equal_to<>> keys;
  };
  static constexpr size_t kSlots = 64;
  Slot& slot(std::string_view key) { return slots_[(store::Store::hash(key) >> 20) & (kSlots - 1)]; }
  /// Drops keys from the table until it holds at most `max_keys` (bounded effort a call, as
  /// Redis), sending their invalidations.
  void limit(uint64_t max_keys) { if (total_keys() > max_keys) enforce_limit(max_keys); }

 private:
  /// Sends one message for tracking client `c` (following its redirect; a missing target marks
  /// the redirect broken and tells a RESP3 client so).
  void send(ClientState& c, TrackingMessage msg);
  void enforce_limit(uint64_t max_keys);
  void invalidate_tracked(std::string_view key, uint64_t origin);

  ClientRegistry& clients_;
  store::Store& store_;
  std::array<Slot, kSlots> slots_;
  std::atomic<uint32_t> clients_tracking_{0};
  std::atomic<uint32_t> bcast_clients_{0};
  std::atomic<uint64_t> total_keys_{0}, total_items_{0};
  std::atomic<size_t> evict_slot_{0};
  mutable std::shared_mutex prefix_mu_;
  std::vector<std::pair<std::string, std::vector<uint64_t>>> prefixes_;  ///< prefix -> BCAST client ids
};

}  // namespace shardcache::state
