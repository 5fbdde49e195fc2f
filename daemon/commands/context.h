// daemon/commands/context.h: what a command handler sees: the server-wide state (store, config,
// client registry, counters), the calling client's state, and the arguments.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/commands/command_stats.h"
#include "daemon/commands/security.h"
#include "daemon/commands/stats.h"
#include "daemon/commands/watch.h"
#include "daemon/config.h"
#include "daemon/persist/persister.h"
#include "daemon/store/store.h"

namespace shardcache::commands {

class ReplySink;
using Args = std::span<const std::string_view>;

/// Per-io-thread counters (no shared cache line on the hot path); INFO sums them.
struct alignas(64) ThreadStats {  // own cache line: no false sharing between io threads
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> clients_mem{0};     ///< buffer bytes of this thread's clients (client_memory.h)
  CommandStats per_command;                 ///< calls and latency by command (/metrics)
  void reset() {
    commands = 0; connections = 0; rejected_connections = 0; net_input_bytes = 0; net_output_bytes = 0;
    per_command.reset();
  }
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
  std::function<bool(ReplySink&)> continuation;
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
 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<ClientState>> clients_;
};

struct CommandSpec;

/// Server-wide state shared by every thread.
struct ServerState {
  store::Store& store;
  Config& config;
  ConfigRegistry config_params;
  std::string config_file;                  ///< the file the daemon was started with (CONFIG REWRITE); empty = none
  std::map<std::string, std::string> config_defaults;  ///< parameter -> value with no file and no flags
  ClientRegistry clients;
  std::vector<std::unique_ptr<ThreadStats>> thread_stats;
  int64_t start_ms = store::unix_ms();
  std::atomic<uint64_t> stat_expired_at_reset{0};
  std::atomic<bool> shutdown_requested{false};
  std::function<void()> request_shutdown;   ///< set by main: SHUTDOWN
  persist::Persister* persister = nullptr;  ///< set by main: SAVE, BGSAVE, LASTSAVE, INFO persistence
  std::string run_id;
  OpsSampler ops;                           ///< instantaneous_ops_per_sec (sampled by the cron)
  WatchRegistry watches;                    ///< WATCH: key -> watching clients
  std::atomic<uint64_t> evicted_clients{0};  ///< closed by maxmemory-clients (INFO evicted_clients)
  std::atomic<uint64_t> obuf_limit_disconnections{0};  ///< closed by client-output-buffer-limit
  std::mutex evict_mu;                      ///< one thread evicts clients at a time
  AuthFailures auth_failures;               ///< failed AUTH / HELLO AUTH / REST tokens (security.h)

  ServerState(store::Store& s, Config& c, size_t threads);
};

/// Per-call context.
struct CmdContext {
  ServerState& server;
  ClientState& client;
  ThreadStats& tstats;
  bool all_locked = false;                  ///< inside EXEC: every shard lock is held
  int64_t now_ms = 0;                       ///< taken once per command

  store::Store& store() { return server.store; }
};

}  // namespace shardcache::commands
