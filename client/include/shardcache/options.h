// shardcache/options.h: how a Client reaches its daemon: host, port, credentials, timeouts,
// pool and reconnect settings, from a struct or a `redis://` URL.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shardcache/near_cache.h"
#include "shardcache/result.h"

namespace shardcache {

/// Connection settings. Every field has a usable default (a local daemon on 6379).
struct ClientOptions {
  std::string host = "127.0.0.1";   ///< name or address (IPv6 without brackets)
  uint16_t port = 6379;
  std::string username;             ///< "" = the default user
  std::string password;             ///< "" = no AUTH
  int db = 0;                       ///< SELECTed after connecting when not 0
  std::string client_name;          ///< CLIENT SETNAME after connecting when not empty

  std::chrono::milliseconds connect_timeout{1000};  ///< TCP connect (resolve included)
  std::chrono::milliseconds command_timeout{1000};  ///< from a call's submission to its reply
  std::chrono::milliseconds reconnect_min{50};      ///< first backoff after a failed connect
  std::chrono::milliseconds reconnect_max{2000};    ///< backoff cap (doubles per failure)

  size_t pool_size = 2;   ///< connections; concurrent calls are pipelined on each
  size_t io_threads = 1;  ///< threads running the connections' I/O
  int protocol = 3;       ///< 3: try HELLO 3, fall back to RESP2 on error; 2: RESP2 only
  NearCacheOptions near_cache;  ///< in-process cache of GET values, kept coherent by CLIENT TRACKING

  /// Parses `redis://[[username]:password@]host[:port][/db][?option=value&...]`.
  /// Options: connect_timeout, timeout (command), pool, io_threads, protocol (2|3), name,
  /// reconnect_min, reconnect_max, near_cache (0|1), near_max_entries, near_max_bytes,
  /// near_max_ttl; durations in milliseconds. Userinfo is percent-decoded.
  /// IPv6 hosts go in brackets: redis://[::1]:6379. rediss:// (TLS) is refused.
  static Result<ClientOptions> from_url(std::string_view url);

  /// "host:port" (brackets around IPv6), for messages.
  std::string address() const;
};

}  // namespace shardcache
