// daemon/state/client_state.h: one connected client as every layer sees it (CLIENT LIST, INFO,
// WATCH, MULTI, the front end's session), and the registry of live clients.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace shardcache::commands {
class ReplySink;
}

namespace shardcache::state {

/// One key a client watches and whether it existed (live) when WATCH ran: a key that existed
/// then and is gone at EXEC was expired, evicted, invalidated or flushed, which aborts EXEC
/// just as a write does (Redis 7.0 also aborts when a watched key expires in between).
struct WatchedKey {
  std::string key;
  bool existed = false;
};

/// An invalidation on its way to a client that tracks keys (or takes their invalidations by
/// REDIRECT): the front end encodes it in the client's protocol when it arrives on its thread
/// (RESP3: a `>2 invalidate` push; RESP2 subscribed to __redis__:invalidate: a pub/sub message).
struct TrackingMessage {
  enum class Kind : uint8_t { Invalidate, RedirBroken };
  Kind kind = Kind::Invalidate;
  bool all = false;                 ///< FLUSHALL / FLUSHDB: a null instead of the key array
  bool via_redirect = false;        ///< sent for another client (RESP2 targets need this)
  uint64_t redirect = 0;            ///< RedirBroken: the client id that went away
  std::vector<std::string> keys;
};

/// One connected client (RESP connection or HTTP request).
struct ClientState {
  uint64_t id = 0;
  std::string addr, laddr;                  ///< set before the client is registered, then constant
  /// Protocol version (HELLO). Atomic: CLIENT LIST on other threads reads it.
  std::atomic<int> proto{2};
  /// CLIENT SETNAME / SETINFO values. Only the client's own thread writes them (through the
  /// setters, under info_mu) and reads them without the lock; other threads (CLIENT LIST) take
  /// info() for a consistent copy.
  const std::string& name() const { return name_; }
  void set_name(std::string v) { std::lock_guard g(info_mu_); name_ = std::move(v); }
  void set_lib_name(std::string v) { std::lock_guard g(info_mu_); lib_name_ = std::move(v); }
  void set_lib_ver(std::string v) { std::lock_guard g(info_mu_); lib_ver_ = std::move(v); }
  struct Info {
    std::string name, lib_name, lib_ver;
  };
  Info info() const { std::lock_guard g(info_mu_); return {name_, lib_name_, lib_ver_}; }
  /// Leaves MULTI, dropping the queued commands (EXEC, DISCARD, RESET, each REST request).
  void clear_multi() {
    in_multi = false;
    multi_dirty = false;
    queued.clear();
    queued_args = 0;
    multi_count.store(-1, std::memory_order_relaxed);
    multi_mem.store(0, std::memory_order_relaxed);
  }
  /// The state RESET leaves and every REST request starts from: out of MULTI, no name, RESP2,
  /// authenticated as given. Watches are left to the caller (commands::unwatch_all).
  void reset_session(bool authenticated_now) {
    clear_multi();
    set_name({});
    proto = 2;
    authenticated = authenticated_now;
    close_after_reply = false;
    reply_mode = 0;
    cluster_flags = 0;
  }
  bool authenticated = true;
  bool close_after_reply = false;           ///< QUIT, protocol errors, CLIENT KILL
  int64_t created_ms = 0;
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<uint64_t> last_cmd_id{0};     ///< the last command's (or subcommand's) row address (0: none/unknown)
  // MULTI state: queued commands own their bytes.
  bool in_multi = false;
  bool multi_dirty = false;                 ///< a queued command failed: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  size_t queued_args = 0;                   ///< arguments in `queued` (its memory bound, command_table.cpp)
  std::function<void()> kill;               ///< set by the front end: close this client
  /// What the cron asks of an idle client: to close (`timeout`) or to give back its buffers.
  enum class IdleAction { Close, Trim };
  /// Set by front ends the cron's idle checks apply to (RESP; HTTP has its own timeouts): on
  /// the client's own thread, if it is still idle for more than `idle_ms`, closes it or gives
  /// back the buffers its last requests left. A stepped command running keeps a client from
  /// either; a reply it does not read keeps it from a trim but not from closing. Called by the
  /// cron for clients whose last_interaction_ms is that old.
  std::function<void(IdleAction what, int64_t idle_ms)> if_idle;
  /// Set by a command that goes on in bounded steps (INVALIDATE) instead of replying at once.
  /// A front end with supports_continuation calls it again, serving its other clients in
  /// between, until it returns true (it has then written the reply); later input waits.
  std::function<bool(commands::ReplySink&)> continuation;
  bool supports_continuation = false;       ///< set by front ends that honour `continuation`
  // WATCH state (watch.cpp). `watched` belongs to the client's thread; other threads set
  // watch_dirty (under a registry slot lock) and read watch_count (CLIENT LIST).
  std::vector<WatchedKey> watched;
  std::atomic<bool> watch_dirty{false};     ///< a watched key was written: EXEC answers null
  std::atomic<uint32_t> watch_count{0};
  // Connection facts for CLIENT LIST / INFO, kept by the front end.
  std::atomic<int> fd{-1};
  std::atomic<uint32_t> qbuf{0}, qbuf_free{0};  ///< unparsed input bytes, free room in the buffer
  std::atomic<uint32_t> rbuf_peak{0};       ///< largest input buffer so far (rbp)
  std::atomic<uint32_t> out_pending{0};     ///< reply bytes the socket has not taken yet (obl)
  std::atomic<uint64_t> out_mem{0};         ///< bytes the output buffer holds allocated (omem)
  std::atomic<uint64_t> mem{0};             ///< input + output buffer bytes, as added to ServerState::clients_mem
  std::atomic<bool> no_evict{false};        ///< CLIENT NO-EVICT on: maxmemory-clients spares it
  std::atomic<uint64_t>* mem_sum = nullptr; ///< the io thread's ThreadStats::clients_mem; set before registering
  std::atomic<int> multi_count{-1};         ///< commands queued since MULTI; -1 outside MULTI
  std::atomic<size_t> multi_mem{0};         ///< argument bytes of the queued commands
  /// CLIENT REPLY: OFF holds back every reply, SKIP the next command's (SkipNext: set by
  /// CLIENT REPLY SKIP, becomes Skip after it). Only the client's own thread uses it.
  enum : uint8_t { kReplyOff = 1, kReplySkip = 2, kReplySkipNext = 4 };
  uint8_t reply_mode = 0;
  /// Cluster mode: ASKING lets the next command (or, inside MULTI, the transaction) use a slot
  /// this node imports; READONLY / READWRITE. Only the client's own thread uses them.
  enum : uint8_t { kAsking = 1, kReadonlyClient = 2 };
  uint8_t cluster_flags = 0;
  /// What the dispatcher checks for client-side caching and pub/sub, one byte on the hot path
  /// (only the client's own thread uses it): kPushTracking after CLIENT TRACKING ON (its reads
  /// are remembered), kPushSubscribed while it has subscriptions (RESP2's subscribed context).
  enum : uint8_t { kPushTracking = 1, kPushSubscribed = 2 };
  uint8_t push_mode = 0;
  /// CLIENT TRACKING state (state/tracking.h). Other threads read the flags and the redirect
  /// (invalidations, CLIENT LIST); the prefixes and channels belong to the client's thread.
  enum : uint32_t {
    kTrackOn = 1, kTrackBcast = 2, kTrackOptin = 4, kTrackOptout = 8, kTrackCaching = 16, kTrackNoloop = 32,
    kTrackBrokenRedir = 64,
  };
  std::atomic<uint32_t> tracking{0};
  std::atomic<uint64_t> tracking_redirect{0};  ///< 0 = none
  std::vector<std::string> tracking_prefixes;  ///< BCAST prefixes, in the order given
  std::vector<std::string> channels;           ///< SUBSCRIBE'd channels, in the order given
  std::atomic<uint32_t> subscriptions{0};      ///< channels.size(), for CLIENT LIST (sub=)
  /// Set by front ends that can send pushes (RESP): hands an invalidation to the client's own
  /// thread. Called from any thread, possibly under a shard lock; must not block.
  std::function<void(TrackingMessage)> push;

 private:
  mutable std::mutex info_mu_;
  std::string name_, lib_name_, lib_ver_;
};

/// Registry of live clients for CLIENT LIST / KILL and INFO clients.
class ClientRegistry {
 public:
  uint64_t add(std::shared_ptr<ClientState> c);
  void remove(uint64_t id);
  size_t count() const;
  std::vector<std::shared_ptr<ClientState>> snapshot() const;
  /// The live client with this id, or null.
  std::shared_ptr<ClientState> find(uint64_t id) const;
 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<ClientState>> clients_;
};

}  // namespace shardcache::state
