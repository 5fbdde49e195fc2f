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

/// Parses Redis memory syntax: "1gb", "256mb", "100k", plain bytes. nullopt if invalid.
std::optional<uint64_t> parse_memory(std::string_view s);
/// Formats bytes as Redis's *_human fields do ("1.50M").
std::string human_bytes(uint64_t n);

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
  std::atomic<uint64_t> client_output_buffer_limit{256ull * 1024 * 1024};  ///< hard limit for normal clients
  std::atomic<uint64_t> timeout{0};
  std::atomic<int> hz{10};
  /// Redis's protected-mode: with no password, clients from addresses other than 127.0.0.1 and
  /// ::1 are refused (security.h: protected_mode_denies).
  std::atomic<bool> protected_mode{true};

  /// The numeric address the listeners bind.
  const std::string& listen_address() const { return listen_addr.empty() ? bind : listen_addr; }

  mutable std::mutex mu;
  std::string maxmemory_policy = "allkeys-lru";
  std::string requirepass;  ///< empty = no password

  std::string get_requirepass() const { std::lock_guard g(mu); return requirepass; }
  std::string get_policy() const { std::lock_guard g(mu); return maxmemory_policy; }
};

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
