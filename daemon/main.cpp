// daemon/main.cpp: shardcached entry point: flags (CLI11, Redis option names), --version, the
// store, the RESP server, signals. Everything else lives in store/, commands/, net/.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <csignal>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "base/ascii.h"
#include "daemon/cluster/topology.h"
#include "daemon/commands/command_table.h"
#include "daemon/config.h"
#include "daemon/config_file.h"
#include "daemon/http/http_server.h"
#include "daemon/logging.h"
#include "daemon/net/resp_server.h"
#include "daemon/net/resp_session.h"
#include "daemon/persist/persister.h"
#include "daemon/server/accept_limits.h"
#include "daemon/server/runtime.h"
#include "daemon/store/alloc.h"
#include "daemon/store/store.h"

namespace {

using shardcache::Config;

bool is_loopback(const std::string& addr) { return addr == "127.0.0.1" || addr == "::1"; }

/// Resolves --bind (a numeric address or a host name such as localhost) to the numeric address
/// the listeners bind, preferring IPv4; empty when it does not resolve.
std::string resolve_bind(const std::string& bind) {
  std::error_code ec;
  auto addr = asio::ip::make_address(bind, ec);
  if (!ec) return addr.to_string();
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(bind, "", asio::ip::resolver_base::passive, ec);
  if (ec) return {};
  std::string v6;
  for (const auto& r : results) {
    if (r.endpoint().address().is_v4()) return r.endpoint().address().to_string();
    if (v6.empty()) v6 = r.endpoint().address().to_string();
  }
  return v6;
}

std::string random_run_id() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 40; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

/// Parses a yes/no flag value; nullopt otherwise.
std::optional<bool> yes_no(std::string_view v) {
  if (shardcache::base::iequals(v, "yes")) return true;
  if (shardcache::base::iequals(v, "no")) return false;
  return std::nullopt;
}

/// The persistence flags into cfg (yes/no flags in the order rdbcompression, rdbchecksum,
/// stop-writes-on-bgsave-error, rdb-skip-unsupported-types, rdb-start-empty-on-error); returns
/// an error text, or empty.
std::string apply_persistence_flags(Config& cfg, const std::string& save, const std::string& dir,
                                    const std::array<std::string, 5>& yn) {
  static constexpr const char* names[5] = {"--rdbcompression", "--rdbchecksum", "--stop-writes-on-bgsave-error",
                                           "--rdb-skip-unsupported-types", "--rdb-start-empty-on-error"};
  bool v[5];
  for (int i = 0; i < 5; ++i) {
    auto b = yes_no(yn[i]);
    if (!b) return std::string(names[i]) + ": argument must be 'yes' or 'no'";
    v[i] = *b;
  }
  cfg.rdbcompression = v[0];
  cfg.rdbchecksum = v[1];
  cfg.stop_writes_on_bgsave_error = v[2];
  cfg.rdb_skip_unsupported_types = v[3];
  cfg.rdb_start_empty_on_error = v[4];
  const auto registry = shardcache::make_config_registry(cfg, nullptr);  // outlives the param it finds
  if (const auto* p = registry.find("save"); p) {
    if (std::string err = p->set(save); !err.empty()) return "--save: " + err;
  }
  if (cfg.dbfilename.empty() || cfg.dbfilename.find('/') != std::string::npos)
    return "--dbfilename: dbfilename can't be a path, just a filename";
  std::error_code ec;
  auto abs = std::filesystem::canonical(dir.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(dir), ec);
  if (ec || !std::filesystem::is_directory(abs, ec)) return "Can't chdir to '" + (dir.empty() ? "." : dir) + "': not a directory";
  cfg.dir = abs.string();
  if (cfg.rdb_save_threads == 0) cfg.rdb_save_threads = std::max(1u, std::thread::hardware_concurrency());
  return {};
}

/// The --version line, in redis-server -v's shape.
std::string version_line() {
  return fmt::format("shardcached v={} redis-compat={} malloc={} bits={}", shardcache::kVersion,
                     shardcache::kRedisCompatVersion, shardcache::store::allocator_stats().name, sizeof(void*) * 8);
}

/// The configuration file named on the command line (`shardcached FILE [flags]`), as read.
struct StartupFile {
  std::string path;  ///< absolute; empty = started without a file
  std::vector<std::pair<std::string, std::string>> params;  ///< directives with no flag (set through the registry)
};

/// Parses `[FILE] [flags]` into cfg: the file's directives become flags placed before the
/// command line's, so those win (each flag takes its last value). Returns an exit code >= 0
/// when the program should exit now (1: a bad configuration file, as Redis).
int parse_flags(int argc, char** argv, Config& cfg, StartupFile& file) {
  std::vector<std::string> file_flags;
  int first_flag = 1;
  if (argc > 1 && argv[1][0] != '-') {  // the first argument, when not a flag, is the config file (as redis-server)
    first_flag = 2;
    auto loaded = shardcache::load_config_file(argv[1]);
    if (loaded.error) {
      std::fputs(loaded.error->report().c_str(), stderr);
      return 1;
    }
    for (const auto& w : loaded.settings.warnings) spdlog::warn("{}", w);
    file_flags = std::move(loaded.settings.flags);
    file.params = std::move(loaded.settings.params);
    std::error_code ec;
    file.path = std::filesystem::absolute(argv[1], ec).string();
  }
  std::vector<std::string> empty_flags;  // "--save=" reads as no value to CLI11: "--save" "" instead
  for (const auto& f : file_flags)
    if (f.back() == '=') empty_flags.push_back(f.substr(0, f.size() - 1));
  std::vector<const char*> args{argv[0]};
  size_t next_empty = 0;
  for (const auto& f : file_flags) {
    if (f.back() == '=') {
      args.push_back(empty_flags[next_empty++].c_str());
      args.push_back("");
    } else {
      args.push_back(f.c_str());
    }
  }
  for (int i = first_flag; i < argc; ++i) args.push_back(argv[i]);
  CLI::App app{"shardcached: a multi-threaded, Redis-compatible cache daemon\n"
               "Usage: shardcached [/path/to/shardcached.conf] [flags]  (flags override the file)"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the file's value, then the command line's
  std::string maxmemory = "256mb", policy = cfg.maxmemory_policy, bulk = "512mb", http_body = "64mb";
  uint64_t maxclients = cfg.maxclients, timeout = 0, http_idle = cfg.http_idle_timeout, http_header = cfg.http_header_timeout,
           http_body_time = cfg.http_body_timeout;
  std::string http_inflight = "256mb";
  std::string obuf_limit = shardcache::format_output_buffer_limits(cfg), maxmemory_clients = "0";
  std::string protected_mode = "yes", metrics_open = "no";
  uint64_t key_families_max = cfg.key_families_max;
  std::string save = cfg.save, dir, rdbcompression = "yes", rdbchecksum = "yes", stop_writes = "yes",
              skip_unsupported = "yes", start_empty = "no";
  app.add_option("--bind", cfg.bind, "address or host name to listen on (RESP and HTTP), e.g. 127.0.0.1, ::1, localhost, 0.0.0.0")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // given twice: the last one wins
      ->capture_default_str();
  app.add_option("--protected-mode", protected_mode,
                 "yes: with no password, refuse clients not from 127.0.0.1 / ::1 (Redis's protected-mode)")
      ->capture_default_str();
  app.add_option("--port", cfg.port, "RESP port (0 = pick a free one)")->capture_default_str();
  app.add_option("--http-port", cfg.http_port, "HTTP (Upstash REST, metrics) port; 0 disables")->capture_default_str();
  app.add_option("--http-max-body", http_body, "largest accepted REST request body (413 above)")->capture_default_str();
  app.add_option("--http-idle-timeout", http_idle, "seconds a keep-alive HTTP connection may wait for its next request")
      ->capture_default_str();
  app.add_option("--http-header-timeout", http_header, "seconds for a request's headers to arrive (408 after)")
      ->capture_default_str();
  app.add_option("--http-body-timeout", http_body_time, "seconds for a request's body to arrive after its headers (408 after)")
      ->capture_default_str();
  app.add_option("--http-max-inflight-body", http_inflight, "REST request body bytes all connections may be receiving at once (503 above)")
      ->capture_default_str();
  app.add_option("--timeout", timeout, "close RESP clients idle for this many seconds (0 = never)")->capture_default_str();
  app.add_option("--io-threads,--threads", cfg.threads, "io threads (default: core count)");
  app.add_option("--shards", cfg.shards, "keyspace shards, a power of two")->capture_default_str();
  app.add_option("--maxmemory", maxmemory, "memory budget for data (Redis syntax: 256mb, 1gb; 0 = none)")->capture_default_str();
  app.add_option("--maxmemory-policy", policy, "allkeys-lru, volatile-lru, allkeys-random, volatile-random, volatile-ttl, noeviction, allkeys-sieve (docs/operations.md)")
      ->capture_default_str();
  app.add_option("--maxclients", maxclients, "maximum simultaneous clients")->capture_default_str();
  app.add_option("--requirepass", cfg.requirepass, "password for AUTH (and REST bearer token)");
  app.add_flag("--metrics-open{yes}", metrics_open,
               "GET /metrics without the token when --requirepass is set (yes/no; the flag alone means yes)");
  app.add_option("--key-families-max", key_families_max,
                 "key families INFO, /metrics and the dashboard list by name (the rest in one (other) row)")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  app.add_option("--proto-max-bulk-len", bulk, "largest accepted bulk string")->capture_default_str();
  app.add_option("--client-output-buffer-limit", obuf_limit,
                 "output buffer limits by class: \"normal 256mb 0 0 pubsub 32mb 8mb 60\" (hard, soft, soft seconds)")
      ->capture_default_str();
  app.add_option("--maxmemory-clients", maxmemory_clients,
                 "memory all clients' buffers may use before the biggest are closed (bytes or % of maxmemory; 0 = none)")
      ->capture_default_str();
  std::string syslog_enabled = "no", cluster_enabled = "no";
  app.set_version_flag("-v,--version", version_line(), "print the version and exit");
  app.add_option("--loglevel", cfg.log.level, "debug, verbose, notice, warning, nothing (or spdlog's trace, info, warn, error, critical, off)")
      ->capture_default_str();
  app.add_option("--logfile", cfg.log.logfile, "append the log to this file (\"\" = stderr); SIGHUP reopens it");
  app.add_option("--syslog-enabled", syslog_enabled, "yes: also send the log to syslog")->capture_default_str();
  app.add_option("--syslog-ident", cfg.log.syslog_ident, "syslog identity")->capture_default_str();
  app.add_option("--syslog-facility", cfg.log.syslog_facility, "syslog facility: user, local0 ... local7")->capture_default_str();
  app.add_option("--save", save, "RDB save points \"seconds changes ...\" (\"\" = none; a final save on SIGTERM/SHUTDOWN when set)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->capture_default_str();
  app.add_option("--dir", dir, "directory of the RDB snapshot (default: the working directory)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--dbfilename", cfg.dbfilename, "the RDB snapshot's file name")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->capture_default_str();
  app.add_option("--rdbcompression", rdbcompression, "yes: LZF-compress strings longer than 20 bytes in snapshots")->capture_default_str();
  app.add_option("--rdbchecksum", rdbchecksum, "yes: write and check the snapshot's CRC-64")->capture_default_str();
  app.add_option("--stop-writes-on-bgsave-error", stop_writes, "yes: refuse writes (MISCONF) while the last background save failed")
      ->capture_default_str();
  app.add_option("--rdb-skip-unsupported-types", skip_unsupported,
                 "yes: load a snapshot's strings and skip its other keys (hashes, lists, ...); no: refuse such a file")
      ->capture_default_str();
  app.add_option("--rdb-start-empty-on-error", start_empty, "yes: start empty (with a warning) when the snapshot cannot be read; no: refuse to start")
      ->capture_default_str();
  app.add_option("--cluster-enabled", cluster_enabled, "yes: Redis Cluster mode, topology from --cluster-config-file")
      ->capture_default_str();
  app.add_option("--cluster-config-file", cfg.cluster_config_file,
                 "the cluster topology in Redis's nodes.conf format (relative to --dir); SIGHUP re-reads it")
      ->capture_default_str();
  app.add_option("--rdb-save-threads", cfg.rdb_save_threads, "threads encoding a snapshot or loading one (0 = core count)")->capture_default_str();
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto mm = shardcache::parse_memory(maxmemory);
  auto bl = shardcache::parse_memory(bulk);
  auto hb = shardcache::parse_memory(http_body);
  auto hi = shardcache::parse_memory(http_inflight);
  if (!mm || !bl || !hb || !hi) {
    spdlog::error("invalid memory value: {}", !mm ? maxmemory : !bl ? bulk : !hb ? http_body : http_inflight);
    return 2;
  }
  if (cfg.http_port < 0 || cfg.http_port > 65535) {
    spdlog::error("--http-port must be between 0 (disabled) and 65535");
    return 2;
  }
  cfg.http_max_body = *hb;
  if (std::string err = shardcache::set_output_buffer_limits(cfg, obuf_limit); !err.empty()) {
    spdlog::error("--client-output-buffer-limit: {}", err);
    return 2;
  }
  if (std::string err = shardcache::set_maxmemory_clients(cfg, maxmemory_clients); !err.empty()) {
    spdlog::error("--maxmemory-clients: {}", err);
    return 2;
  }
  cfg.http_max_inflight_body = *hi;
  cfg.timeout = timeout;
  cfg.http_idle_timeout = http_idle;
  cfg.http_header_timeout = http_header;
  cfg.http_body_timeout = http_body_time;
  if ((cfg.shards & (cfg.shards - 1)) != 0 || cfg.shards == 0 || cfg.shards > 4096) {
    spdlog::error("--shards must be a power of two between 1 and 4096");
    return 2;
  }
  cfg.maxmemory = *mm;
  cfg.proto_max_bulk_len = *bl;
  cfg.maxclients = maxclients;
  cfg.maxmemory_policy = policy;
  protected_mode = shardcache::base::lower(protected_mode);
  if (protected_mode != "yes" && protected_mode != "no") {
    spdlog::error("--protected-mode: argument must be 'yes' or 'no'");
    return 2;
  }
  cfg.protected_mode = protected_mode == "yes";
  if (auto b = yes_no(cluster_enabled); b) {
    cfg.cluster_enabled = *b;
  } else {
    spdlog::error("--cluster-enabled: argument must be 'yes' or 'no'");
    return 2;
  }
  if (auto b = yes_no(metrics_open); b) {
    cfg.metrics_open = *b;
  } else {
    spdlog::error("--metrics-open: argument must be 'yes' or 'no'");
    return 2;
  }
  cfg.key_families_max = key_families_max;
  if (auto b = yes_no(syslog_enabled); b) {
    cfg.log.syslog_enabled = *b;
  } else {
    spdlog::error("--syslog-enabled: argument must be 'yes' or 'no'");
    return 2;
  }
  if (std::string err = apply_persistence_flags(cfg, save, dir, {rdbcompression, rdbchecksum, stop_writes, skip_unsupported, start_empty});
      !err.empty()) {
    spdlog::error("{}", err);
    return 2;
  }
  if (cfg.bind.find_first_of(" \t,") != std::string::npos) {
    spdlog::error("--bind {}: one address only (listening on several is not supported)", cfg.bind);
    return 2;
  }
  cfg.listen_addr = resolve_bind(cfg.bind);
  if (cfg.listen_addr.empty()) {
    spdlog::error("--bind {}: not an address and does not resolve", cfg.bind);
    return 2;
  }
  if (cfg.threads <= 0) cfg.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  StartupFile file;
  (void)shardcache::logging::setup({});  // stderr at notice until the flags say otherwise
  std::signal(SIGHUP, SIG_IGN);  // until the server's handler reopens the log file on it
  if (int rc = parse_flags(argc, argv, cfg, file); rc >= 0) return rc;
  if (std::string err = shardcache::logging::setup(cfg.log); !err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  if (cfg.protected_mode && !is_loopback(cfg.listen_addr) && cfg.requirepass.empty()) {
    spdlog::error("refusing to start: --bind {} is not a loopback address and no --requirepass is set "
                  "(protected mode). Set a password, or bind 127.0.0.1 (or --protected-mode no).", cfg.bind);
    return 1;
  }
  shardcache::store::Store store(cfg.shards);
  shardcache::commands::ServerState state(store, cfg, static_cast<size_t>(cfg.threads));
  state.run_id = random_run_id();
  auto apply_memory = [&] {
    store.set_maxmemory(cfg.maxmemory.load());
    store.set_policy(shardcache::store::policy_from_name(cfg.get_policy()).value_or(shardcache::store::EvictionPolicy::AllKeysLru));
  };
  state.config_params = shardcache::make_config_registry(cfg, apply_memory);
  for (const auto& [name, value] : file.params) {  // directives without a flag (hz, client-query-buffer-limit)
    if (const auto* p = state.config_params.find(name); p && p->set) {
      if (std::string err = p->set(value); !err.empty()) {
        spdlog::error("{} {}: {}", name, value, err);
        return 1;
      }
    }
  }
  state.config_file = file.path;
  {  // CONFIG REWRITE writes what differs from these: the values with no file and no flags
    Config defaults;
    StartupFile none;
    char* argv0[] = {argv[0], nullptr};
    if (parse_flags(1, argv0, defaults, none) < 0) {
      const auto registry = shardcache::make_config_registry(defaults, nullptr);
      for (const auto& p : registry.params()) state.config_defaults[p.name] = p.get();
    }
  }
  if (const auto* p = state.config_params.find("maxmemory-policy"); p) {
    if (std::string err = p->set(cfg.get_policy()); !err.empty()) {
      spdlog::error("--maxmemory-policy: {}", err);
      return 2;
    }
  }
  apply_memory();
  (void)shardcache::commands::command_table();
  shardcache::persist::Persister persister(store, cfg, cfg.rdb_save_threads);
  if (auto loaded = persister.load(); !loaded.ok) {
    if (!cfg.rdb_start_empty_on_error) {
      spdlog::error("{}. Refusing to start: move the file away, or start with --rdb-start-empty-on-error yes", loaded.error);
      return 1;
    }
    spdlog::warn("{}. Starting empty (--rdb-start-empty-on-error yes)", loaded.error);
  }
  state.persister = &persister;
  if (cfg.cluster_enabled) {  // unlike Redis, the file must exist: shardcached never writes it
    std::filesystem::path p(cfg.cluster_config_file);
    state.cluster.config_path = p.is_absolute() ? p.string() : (std::filesystem::path(cfg.dir) / p).string();
    auto loaded = shardcache::cluster::load_nodes_conf(state.cluster.config_path);
    if (!loaded.topology) {
      spdlog::error("cluster-enabled yes: cluster config file {}{}: {}. Write it (tools/cluster.sh, docs/operations.md Cluster) "
                    "before starting", state.cluster.config_path, loaded.line ? ":" + std::to_string(loaded.line) : "", loaded.error);
      return 1;
    }
    unsigned owned = 0;
    for (unsigned slot = 0; slot < shardcache::cluster::kSlots; ++slot) owned += loaded.topology->owns(slot);
    spdlog::info("Cluster mode: node {} owns {} of {} slots ({} nodes, {})", loaded.topology->me().id, owned,
                 shardcache::cluster::kSlots, loaded.topology->nodes.size(), state.cluster.config_path);
    state.cluster.install(std::move(loaded.topology), shardcache::store::unix_ms());
    state.cluster.enabled = true;
  }

  // Like Redis: size the open-files limit for maxclients, or lower maxclients to what fits.
  if (uint64_t fitted = shardcache::server::fit_open_files_limit(cfg.maxclients.load()); fitted == 0) {
    return 1;
  } else {
    cfg.maxclients = fitted;
  }
  try {
    shardcache::server::Runtime server(state, static_cast<size_t>(cfg.threads), shardcache::net::RespSession::kInitialBuffer,
                                       shardcache::net::RespSession::kIdleBytes);
    shardcache::net::RespServer resp(server);
    state.request_shutdown = [&server] { server.stop(); };
    // SIGTERM / SIGINT: the final save (when save points are set) in its own thread, so the io
    // threads keep serving meanwhile; if it fails the server keeps running, as Redis does.
    asio::signal_set signals(server.context(0), SIGINT, SIGTERM);
    std::thread final_save;
    std::atomic<bool> saving{false};
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
      if (ec) return;
      signals.async_wait(on_signal);
      if (saving.exchange(true)) return;
      spdlog::info("Received {} scheduling shutdown...", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      if (final_save.joinable()) final_save.join();
      final_save = std::thread([&] {
        std::string err;
        if (persister.save_for_shutdown(false, false, err)) asio::post(server.context(0), [&server] { server.stop(); });
        else spdlog::warn("Errors trying to shut down the server. Check the logs for more information.");
        saving = false;
      });
    };
    signals.async_wait(on_signal);
    // SIGHUP: reopen the log file (logrotate); the daemon keeps running.
    asio::signal_set hup(server.context(0), SIGHUP);
    std::function<void(std::error_code, int)> on_hup = [&](std::error_code ec, int) {
      if (ec) return;
      shardcache::logging::reopen();
      if (state.cluster.enabled) {  // a new topology; a bad file keeps the one in force
        auto loaded = shardcache::cluster::load_nodes_conf(state.cluster.config_path);
        if (!loaded.topology) {
          spdlog::warn("SIGHUP: cluster config file {}{}: {}; keeping the topology in force", state.cluster.config_path,
                       loaded.line ? ":" + std::to_string(loaded.line) : "", loaded.error);
        } else {
          spdlog::info("SIGHUP: cluster topology reloaded from {} ({} nodes)", state.cluster.config_path,
                       loaded.topology->nodes.size());
          state.cluster.install(std::move(loaded.topology), shardcache::store::unix_ms());
        }
      }
      hup.async_wait(on_hup);
    };
    hup.async_wait(on_hup);
    std::signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<shardcache::http::HttpServer> http;  // declared after server: destroyed first
    if (cfg.http_port != 0) {
      try {
        http = std::make_unique<shardcache::http::HttpServer>(server, static_cast<uint16_t>(cfg.http_port), cfg.http_max_body);
      } catch (const std::system_error& e) {
        spdlog::error("cannot listen for HTTP on {}:{}: {}", cfg.bind, cfg.http_port, e.what());
        return 1;
      }
      http->start();
      spdlog::info("HTTP (Upstash REST, /metrics, /healthz) listening on {}:{}", cfg.bind, http->port());
    }
    spdlog::info("shardcached {} listening on {}:{} ({} io threads, {} shards, maxmemory {} {})", shardcache::kVersion, cfg.bind,
                 resp.port(), cfg.threads, cfg.shards, cfg.maxmemory.load(), cfg.get_policy());
    resp.start();
    server.run();
    if (final_save.joinable()) final_save.join();
  } catch (const std::system_error& e) {
    spdlog::error("cannot listen on {}:{}: {}", cfg.bind, cfg.port, e.what());
    return 1;
  }
  spdlog::info("shardcached stopped");
  return 0;
}
