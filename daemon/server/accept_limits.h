// daemon/server/accept_limits.h: what every listener needs to survive running out of file
// descriptors: the open-files limit sized to maxclients at start-up, as Redis does, and
// a paced retry after a failed accept.
#pragma once
#include <asio.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace shardcache::server {

/// File descriptors kept free beyond one per client (listeners, epoll, eventfds, logs), as
/// Redis's CONFIG_MIN_RESERVED_FDS.
constexpr uint64_t kReservedFds = 32;

/// Raises the soft RLIMIT_NOFILE to maxclients + kReservedFds (the hard limit too when allowed)
/// and returns the maxclients that fits: `maxclients` itself, or less when the limit could not
/// be raised far enough (logged with Redis's wording), or 0 when not even one client fits.
uint64_t fit_open_files_limit(uint64_t maxclients);

/// Paces an acceptor after a failed accept. EMFILE/ENFILE leave the connection waiting in the
/// backlog, so accepting again at once would fail again at once and spin a core: retry after a
/// short pause, and log at most once per second.
class AcceptRetry {
 public:
  explicit AcceptRetry(asio::any_io_executor ex) : timer_(std::move(ex)) {}
  /// Logs `ec` (rate-limited) and calls `retry` after the pause.
  void after_error(std::error_code ec, std::string_view listener, std::function<void()> retry);
  /// Failed accepts since start (for tests and logs).
  uint64_t failures() const { return failures_; }

 private:
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_log_{};
  uint64_t failures_ = 0;
  uint64_t unlogged_ = 0;
};

}  // namespace shardcache::server
