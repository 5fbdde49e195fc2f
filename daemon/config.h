// daemon/config.h: the daemon's settings (from CLI11 flags) and the CONFIG GET/SET registry
// over them, with Redis's parameter names, value syntax and error texts.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardcache {

/// The Redis version shardcached answers as (INFO redis_version, HELLO, the RDB redis-ver field).
inline constexpr std::string_view kRedisCompatVersion = "7.2.0";
/// shardcached's own version.
inline constexpr std::string_view kShardcacheVersion = "0.1.0";

/// Parses Redis memory syntax: "1gb", "256mb", "100k", plain bytes. nullopt if invalid.
std::optional<uint64_t> parse_memory(std::string_view s);
/// Formats bytes as Redis's *_human fields do ("1.50M").
std::string human_bytes(uint64_t n);

/// client-output-buffer-limit classes, in Redis's CONFIG GET order.
enum class ObufClass : int { Normal = 0, Replica = 1, Pubsub = 2 };
inline constexpr int kObufClasses = 3;

/// One class's output buffer limits (0 = none): over `hard` bytes closes the client at once;
/// over `soft` bytes for more than `soft_seconds` closes it too.
struct ObufLimit {
  std::atomic<uint64_t> hard{0}, soft{0}, soft_seconds{0};
};

/// All settings. Values read on hot paths are atomics; strings are guarded by mu.
struct Config {
  std::string bind = "127.0.0.1";  ///< as given (an address or a host name such as localhost)
  std::string listen_addr;         ///< `bind` resolved to a numeric address (main); empty = `bind`
  int port = 6379;
  int http_port = 8079;
  uint64_t http_max_body = 64ull * 1024 * 1024;  ///< larger REST request bodies get 413
  int threads = 0;  // 0 = core count
  size_t shards = 64;
  std::string loglevel = "info";

  std::atomic<uint64_t> maxclients{10000};
  std::atomic<uint64_t> maxmemory{256ull * 1024 * 1024};
  std::atomic<uint64_t> proto_max_bulk_len{512ull * 1024 * 1024};
  std::atomic<uint64_t> client_query_buffer_limit{1024ull * 1024 * 1024};
  /// client-output-buffer-limit by class. Unlike Redis (normal 0 0 0), normal clients have a
  /// 256 MB hard limit by default.
  ObufLimit obuf_limits[kObufClasses];
  /// maxmemory-clients: a byte count, or (pct != 0) a percentage of maxmemory; 0 = off.
  std::atomic<uint64_t> maxmemory_clients{0};
  std::atomic<uint32_t> maxmemory_clients_pct{0};
  std::atomic<uint64_t> timeout{0};  ///< seconds a RESP client may stay idle (0 = forever)
  std::atomic<uint64_t> http_idle_timeout{60};    ///< seconds a keep-alive HTTP connection may wait for a request
  std::atomic<uint64_t> http_header_timeout{10};  ///< seconds from a request's first byte to its last header line
  std::atomic<uint64_t> http_body_timeout{60};    ///< seconds from a request's headers to its last body byte
  /// Bytes of REST request bodies all connections together may be receiving (declared lengths).
  std::atomic<uint64_t> http_max_inflight_body{256ull * 1024 * 1024};
  std::atomic<int> hz{10};
  /// Redis's protected-mode: with no password, clients from addresses other than 127.0.0.1 and
  /// ::1 are refused (security.h: protected_mode_denies).
  std::atomic<bool> protected_mode{true};

  /// The numeric address the listeners bind.
  const std::string& listen_address() const { return listen_addr.empty() ? bind : listen_addr; }

  // Persistence (RDB snapshots; daemon/persist/). Redis's names and defaults.
  std::atomic<bool> rdbcompression{true};
  bool rdbchecksum = true;                          ///< immutable at run time, as in Redis
  std::atomic<bool> stop_writes_on_bgsave_error{true};
  /// A snapshot holding keys of other types (hashes, lists, ...): skip them with a warning (true)
  /// or refuse to start (false).
  bool rdb_skip_unsupported_types = true;
  /// An unreadable snapshot at start-up: refuse to start (false) or start empty with a warning.
  bool rdb_start_empty_on_error = false;
  unsigned rdb_save_threads = 0;                    ///< 0 = the core count

  mutable std::mutex mu;
  std::string maxmemory_policy = "allkeys-lru";
  std::string requirepass;  ///< empty = no password
  /// `save` points, Redis's syntax ("3600 1 300 100 60 10000"; "" = none) and its default.
  std::string save = "3600 1 300 100 60 10000";
  std::string dir;                                  ///< absolute; main sets it (default: the working directory)
  std::string dbfilename = "dump.rdb";
  std::string get_save() const { std::lock_guard g(mu); return save; }
  /// dir/dbfilename.
  std::string rdb_path() const { std::lock_guard g(mu); return dir + "/" + dbfilename; }

  std::string get_requirepass() const { std::lock_guard g(mu); return requirepass; }
  std::string get_policy() const { std::lock_guard g(mu); return maxmemory_policy; }
  /// maxmemory-clients in bytes now (a percentage follows maxmemory); 0 = no limit.
  uint64_t maxmemory_clients_bytes() const {
    const uint32_t pct = maxmemory_clients_pct.load(std::memory_order_relaxed);
    return pct ? maxmemory.load(std::memory_order_relaxed) / 100 * pct : maxmemory_clients.load(std::memory_order_relaxed);
  }
  Config() {
    obuf_limits[0].hard = 256ull * 1024 * 1024;
    obuf_limits[1].hard = 256ull * 1024 * 1024;
    obuf_limits[1].soft = 64ull * 1024 * 1024;
    obuf_limits[1].soft_seconds = 60;
    obuf_limits[2].hard = 32ull * 1024 * 1024;
    obuf_limits[2].soft = 8ull * 1024 * 1024;
    obuf_limits[2].soft_seconds = 60;
  }
};

/// Applies a client-output-buffer-limit value ("<class> <hard> <soft> <soft-seconds>" repeated;
/// classes normal, replica/slave, pubsub; memory units allowed). All or nothing: returns
/// Redis's error text and changes nothing when any part is invalid, else empty.
std::string set_output_buffer_limits(Config& cfg, std::string_view value);
/// CONFIG GET client-output-buffer-limit: "normal H S SEC slave H S SEC pubsub H S SEC".
std::string format_output_buffer_limits(const Config& cfg);
/// Applies a maxmemory-clients value ("0", bytes with units, or "N%" up to 100%); returns
/// Redis's error text or empty.
std::string set_maxmemory_clients(Config& cfg, std::string_view value);

/// One CONFIG parameter: its Redis name, how to read it, how to set it (returns an error
/// message or empty on success).
struct ConfigParam {
  std::string name;
  std::function<std::string()> get;
  std::function<std::string(std::string_view)> set;  ///< null = immutable
};

/// CONFIG GET/SET over named parameters.
class ConfigRegistry {
 public:
  void add(ConfigParam p) { params_.push_back(std::move(p)); }
  const std::vector<ConfigParam>& params() const { return params_; }
  const ConfigParam* find(std::string_view name) const;
 private:
  std::vector<ConfigParam> params_;
};

/// Builds the registry over `cfg`. `on_memory` runs after maxmemory or policy change.
ConfigRegistry make_config_registry(Config& cfg, std::function<void()> on_memory);

}  // namespace shardcache
