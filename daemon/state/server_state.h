// daemon/state/server_state.h: the state every thread of the server shares: the store, the
// config, the registry of live clients, the per-io-thread counters, WATCH's registry, the
// client-side caching's tracking tables, the server-wide counters and the diagnosis records (error stats, slow log, latency events). The runtime (daemon/server/) owns it and both front ends and every
// command handler reach it; it sees no sockets, no protocol and no command code.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/cluster/cluster_state.h"
#include "daemon/config.h"
#include "daemon/persist/persister.h"
#include "daemon/state/auth_failures.h"
#include "daemon/state/client_state.h"
#include "daemon/state/diagnostics.h"
#include "daemon/state/history.h"
#include "daemon/state/server_stats.h"
#include "daemon/state/thread_stats.h"
#include "daemon/state/tracking.h"
#include "daemon/state/watch_registry.h"
#include "daemon/store/store.h"

namespace shardcache::state {

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
  History history;                          ///< the dashboard's last 15 minutes (sampled by the cron)
  WatchRegistry watches;                    ///< WATCH: key -> watching clients
  Tracking tracking{clients, store};        ///< CLIENT TRACKING: key / prefix -> tracking clients
  std::atomic<uint64_t> evicted_clients{0};  ///< closed by maxmemory-clients (INFO evicted_clients)
  std::atomic<uint64_t> obuf_limit_disconnections{0};  ///< closed by client-output-buffer-limit
  std::mutex evict_mu;                      ///< one thread evicts clients at a time
  AuthFailures auth_failures;               ///< failed AUTH / HELLO AUTH / REST tokens (auth_failures.h)
  cluster::ClusterState cluster;            ///< cluster mode (off unless cluster-enabled yes)
  ErrorStats errors;                        ///< error replies by prefix (INFO errorstats, total_error_replies)
  SlowLog slowlog;                          ///< SLOWLOG
  LatencyMonitor latency_events;            ///< LATENCY LATEST/HISTORY/DOCTOR
  mutable std::mutex command_stats_mu;      ///< guards command_stats_base
  CommandStatsSnapshot command_stats_base;  ///< the counters at the last CONFIG RESETSTAT (server_stats.h)

  ServerState(store::Store& s, Config& c, size_t threads);
};

}  // namespace shardcache::state
